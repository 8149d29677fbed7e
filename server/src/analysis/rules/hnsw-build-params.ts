import { as, numberOf, type Node } from '../ast';
import { defineRule, type Report } from '../rule';
import type { Severity, TextEdit } from '../types';
import { elementType, indexLayout, type IndexLayout } from './_pgvector';

/** pgvector's defaults and bounds for HNSW build parameters. */
const DEFAULT_M = 16;
const DEFAULT_EF = 64;
const M_RANGE: [number, number] = [2, 100];
const EF_RANGE: [number, number] = [4, 1000];

interface Band {
  /** The guide's dimension this band comes from. */
  guideDim: number;
  lo: number;
  hi: number;
  /** The guide's production ef_construction for that dimension. */
  ef: number;
}

/**
 * The tuning guide's m band for a dimension: the row of the nearest guide dimension (384: 8–12, 768: 16,
 * 1536: 24). So below 576 dimensions → 8–12, 576–1151 → 16, 1152 and above → 24.
 */
export function bandFor(dim: number): Band {
  if (dim < 576) return { guideDim: 384, lo: 8, hi: 12, ef: 128 };
  if (dim < 1152) return { guideDim: 768, lo: 16, hi: 16, ef: 128 };
  return { guideDim: 1536, lo: 24, hi: 24, ef: 256 };
}

const bandText = (b: Band) => (b.lo === b.hi ? `m = ${b.lo}` : `m = ${b.lo}–${b.hi}`);

interface Param {
  def: Node;
  value: number | undefined;
  /** Code-token indexes of the parameter name and of the last token of its value. */
  first: number;
  last: number;
}

function findParam(layout: IndexLayout, statement: { loc(l: number): number }, def: Node): Param {
  const tokens = layout.tokens;
  const off = statement.loc(def.location);
  const first = tokens.findIndex((t) => t.start === off);
  let last = first;
  // name [= value]: the value runs to the next ',' or ')' at depth 0.
  let depth = 0;
  for (let k = first + 1; k < tokens.length; k++) {
    const t = tokens[k].text;
    if (depth === 0 && (t === ',' || t === ')')) break;
    if (t === '(') depth++;
    else if (t === ')') depth--;
    last = k;
  }
  return { def, value: numberOf(def.arg), first, last };
}

const messages = {
  mRange: 'pgvector rejects m = {{m}}: HNSW allows m = {{lo}}–{{hi}}. Use m = {{newM}}{{dimText}}.',
  efRange: 'pgvector rejects ef_construction = {{ef}}: HNSW allows {{lo}}–{{hi}}. Use ef_construction = {{newEf}}.',
  efBelowTwiceM:
    '{{efText}} is less than 2 × m ({{mText}}): pgvector refuses to build the index ("ef_construction must be ' +
    'greater than or equal to 2 * m"). Use at least 4 × m, e.g. m = {{newM}}, ef_construction = {{newEf}}.',
  efBelowFourTimesM:
    "{{efText}} is below 4 × m = {{fourM}} ({{mText}}): the tuning guide's rule of thumb is 2 × m minimum, 4 × m " +
    'recommended; a shallow build search gives a lower-quality graph (768-dim, m = 16: ef_construction 64 → 92 % ' +
    'recall, 128 → 96 %). Use ef_construction = {{newEf}}.',
  mBelowBand:
    "{{mText}} is outside the tuning guide's band{{dimText}} ({{band}}, the {{guideDim}}-dim row; 384: 8–12, 768: 16, 1536: 24): " +
    'too few links lose recall (768-dim: m = 12 → 92 %, m = 16 → 96 % recall@10). Use m = {{newM}}.',
  mAboveBand:
    "{{mText}} is outside the tuning guide's band{{dimText}} ({{band}}, the {{guideDim}}-dim row; 384: 8–12, 768: 16, 1536: 24): " +
    'more links cost memory and insert time for little recall (768-dim: m = 24 → 98 % recall at 1.8× the index size of m = 16). ' +
    'Use m = {{newM}}.',
};

export const hnswBuildParams = defineRule({
  meta: {
    id: 'hnsw-build-params',
    category: 'pgvector',
    severity: 'error',
    fixable: true,
    docs: {
      summary:
        'HNSW build parameters pgvector rejects (`ef_construction < 2 × m`, error) or that stray from the tuning guide ' +
        '(m outside the band for the dimension, `ef_construction < 4 × m`; info).',
      why:
        'pgvector refuses to build an HNSW index whose ef_construction is below 2 × m ("ef_construction must be greater ' +
        'than or equal to 2 * m"); it also rejects m outside 2–100 and ef_construction outside 4–1000. When WITH leaves ' +
        'them out, m = 16 and ef_construction = 64. The tuning guide picks m by dimension: 384 → 8–12, 768 → 16, ' +
        '1536 → 24 (other dimensions take the row of the nearest of these: below 576 → 8–12, 576–1151 → 16, ' +
        '1152 and above → 24). On 768-dim vectors m = 12 gave 92 % recall@10, m = 16 96 %, m = 24 98 % at almost twice ' +
        'the index size. Its rule of thumb for ef_construction is 2 × m minimum, 4 × m recommended, with 128 for ' +
        '384/768-dim and 256 for 1536-dim production indexes (768-dim, m = 16: 64 → 92 % recall, 128 → 96 %).',
      fix:
        'The quick fix sets the recommended values in place: m to the band for the dimension, and ef_construction, when it ' +
        'is below 4 × m, to the larger of 4 × m and the guide value for the dimension (128 or 256). A missing parameter is ' +
        'added to the WITH list, or a WITH clause is added. Benchmark recall before changing a tuned production index.',
      bad:
        'CREATE TABLE docs (id bigint, embedding vector(768));\n' +
        'CREATE INDEX ON docs USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 24);',
      good:
        'CREATE TABLE docs (id bigint, embedding vector(768));\n' +
        'CREATE INDEX ON docs USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 128);',
    },
    messages,
  },
  check({ statement, catalog, report }) {
    if (statement.kind !== 'IndexStmt') return;
    const b = statement.body;
    if (String(b.accessMethod ?? '').toLowerCase() !== 'hnsw') return;
    const layout = indexLayout(statement);
    if (!layout) return;
    const tokens = layout.tokens;
    let mParam: Param | undefined;
    let efParam: Param | undefined;
    for (const o of b.options ?? []) {
      const d = as(o, 'DefElem');
      if (d?.defname === 'm') mParam = findParam(layout, statement, d);
      else if (d?.defname === 'ef_construction') efParam = findParam(layout, statement, d);
    }
    if ((mParam && (mParam.first < 0 || mParam.value === undefined)) || (efParam && (efParam.first < 0 || efParam.value === undefined))) return;
    const m = mParam?.value ?? DEFAULT_M;
    const ef = efParam?.value ?? DEFAULT_EF;

    const table = catalog.resolveRangeVar(b.relation, statement);
    const elem = as((b.indexParams ?? [])[0], 'IndexElem');
    const t = elem ? elementType(elem, table) : undefined;
    const dim = t && (t.type === 'vector' || t.type === 'halfvec') && t.dim && t.dim > 0 ? t.dim : undefined;
    // An index over more dimensions than HNSW takes cannot be built at all (hnsw-dimension-limit reports it):
    // tuning advice would only be noise there, so no band check.
    const unbuildable = dim !== undefined && ((t!.type === 'vector' && dim > 2000) || (t!.type === 'halfvec' && dim > 4000));
    const band = dim !== undefined && !unbuildable ? bandFor(dim) : undefined;

    // The recommended values, shared by every finding's fix: applying it leaves nothing for this rule to report.
    const mOutOfRange = m < M_RANGE[0] || m > M_RANGE[1];
    const mOutOfBand = !!band && (m < band.lo || m > band.hi);
    const newM = mOutOfBand ? Math.min(Math.max(m, band!.lo), band!.hi) : mOutOfRange ? DEFAULT_M : m;
    const efOk = (v: number) => v >= 4 * newM && v <= EF_RANGE[1];
    const newEf = efOk(ef) ? ef : Math.min(EF_RANGE[1], Math.max(4 * newM, band?.ef ?? 0));

    // Ranges: the parameter, else the WITH clause, else `USING hnsw`.
    const withTok = b.options?.length ? tokens.findIndex((tk, k) => k > layout.close && tk.keyword === 'WITH') : -1;
    let withEnd = -1;
    if (withTok >= 0) {
      let depth = 0;
      for (let k = withTok + 1; k < tokens.length; k++) {
        if (tokens[k].text === '(') depth++;
        else if (tokens[k].text === ')' && --depth === 0) {
          withEnd = k;
          break;
        }
      }
    }
    const absentRange =
      withTok >= 0 && withEnd >= 0
        ? { start: tokens[withTok].start, end: tokens[withEnd].end }
        : layout.using >= 0
          ? { start: tokens[layout.using].start, end: tokens[layout.method].end }
          : { start: tokens[layout.open].start, end: tokens[layout.close].end };
    const rangeOf = (p: Param | undefined) => (p ? { start: tokens[p.first].start, end: tokens[p.last].end } : absentRange);

    const edits: TextEdit[] = [];
    const add: string[] = [];
    const set = (p: Param | undefined, name: string, oldValue: number, value: number) => {
      if (value === oldValue && p) return;
      if (!p) {
        if (value !== oldValue) add.push(`${name} = ${value}`);
        return;
      }
      const eq = tokens[p.first + 1]?.text === '=' ? p.first + 2 : -1;
      if (eq < 0 || eq > p.last) edits.push({ start: tokens[p.first].start, end: tokens[p.last].end, newText: `${name} = ${value}` });
      else edits.push({ start: tokens[eq].start, end: tokens[p.last].end, newText: String(value) });
    };
    set(mParam, 'm', m, newM);
    set(efParam, 'ef_construction', ef, newEf);
    if (add.length > 0) {
      if (withEnd >= 0) {
        // After the last parameter, inside the list.
        const anchor = tokens[withEnd - 1];
        edits.push({ start: anchor.end, end: anchor.end, newText: `, ${add.join(', ')}` });
      } else {
        // After the element list (and an INCLUDE list, if any).
        let after = layout.close;
        if (tokens[after + 1]?.keyword === 'INCLUDE' && tokens[after + 2]?.text === '(') {
          let depth = 0;
          for (let k = after + 2; k < tokens.length; k++) {
            if (tokens[k].text === '(') depth++;
            else if (tokens[k].text === ')' && --depth === 0) {
              after = k;
              break;
            }
          }
        }
        edits.push({ start: tokens[after].end, end: tokens[after].end, newText: ` WITH (${add.join(', ')})` });
      }
    }
    const changed = [newM !== m ? `m = ${newM}` : '', newEf !== ef ? `ef_construction = ${newEf}` : ''].filter(Boolean);
    const fix = edits.length > 0 ? { title: `Set ${changed.join(', ')}`, edits } : undefined;
    const emit = (r: Omit<Report<keyof typeof messages>, 'fix'>, severity: Severity) => report({ ...r, severity, fix });

    const mText = mParam ? `m = ${m}` : `the default m = ${m}`;
    const efText = efParam ? `ef_construction = ${ef}` : `the default ef_construction = ${ef}`;
    const dimText = dim !== undefined ? ` for ${dim}-dimension vectors` : '';
    const efRangeData = { ef, lo: EF_RANGE[0], hi: EF_RANGE[1], newEf };

    if (mOutOfRange) {
      emit({ ...rangeOf(mParam), messageId: 'mRange', data: { m, lo: M_RANGE[0], hi: M_RANGE[1], newM, dimText } }, 'error');
      // Comparing ef_construction or the band with an impossible m would only add noise.
      if (ef < EF_RANGE[0] || ef > EF_RANGE[1]) {
        emit({ ...rangeOf(efParam), messageId: 'efRange', data: efRangeData }, 'error');
      }
      return;
    }
    if (ef < EF_RANGE[0] || ef > EF_RANGE[1]) {
      emit({ ...rangeOf(efParam), messageId: 'efRange', data: efRangeData }, 'error');
    } else if (ef < 2 * m) {
      emit(
        {
          ...rangeOf(efParam ?? mParam),
          messageId: 'efBelowTwiceM',
          data: { efText, mText, newM, newEf },
        },
        'error',
      );
    } else if (ef < 4 * m && !unbuildable) {
      emit(
        {
          ...rangeOf(efParam),
          messageId: 'efBelowFourTimesM',
          data: { efText, fourM: 4 * m, mText, newEf },
        },
        'info',
      );
    }
    if (mOutOfBand) {
      emit(
        {
          ...rangeOf(mParam),
          messageId: m < band!.lo ? 'mBelowBand' : 'mAboveBand',
          data: { mText, dimText, band: bandText(band!), guideDim: band!.guideDim, newM },
        },
        'info',
      );
    }
  },
});
