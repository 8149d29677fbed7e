import { as, quoteIdent } from '../ast';
import { defineRule } from '../rule';
import type { TextEdit } from '../types';
import { identText, indexLayout, METRIC_OP, opclassMetric } from './_pgvector';

/** pgvector's dimension limits for HNSW and IVFFlat indexes, per type. */
const LIMIT: Record<string, number> = { vector: 2000, halfvec: 4000 };

export const hnswDimensionLimit = defineRule({
  meta: {
    id: 'hnsw-dimension-limit',
    category: 'pgvector',
    severity: 'error',
    fixable: true,
    docs: {
      summary: 'HNSW (or IVFFlat) index on a `vector(n)` column with more than 2,000 dimensions: pgvector cannot build it.',
      why:
        'pgvector indexes at most 2,000 dimensions of `vector` (4,000 of `halfvec`) with HNSW and IVFFlat; a larger ' +
        'column makes CREATE INDEX fail with "column cannot have more than 2000 dimensions for hnsw index". The tuning ' +
        'guide lists 3072-dimension embeddings as "No HNSW support (pgvector 2000-dim limit)". IVFFlat has the same ' +
        'limit and fails the same way, so it is checked too.',
      fix:
        'Up to 4,000 dimensions, index the column cast to half precision: `USING hnsw ((embedding::halfvec(3072)) ' +
        'halfvec_cosine_ops)` (the quick fix does this, mapping vector_*_ops to halfvec_*_ops). Queries must then sort ' +
        'by the same expression, `ORDER BY embedding::halfvec(3072) <=> $1::halfvec(3072)`, or the index is not used. ' +
        'Above 4,000 dimensions there is no fix: reduce the dimensions (a smaller model, or a shortened Matryoshka ' +
        'embedding) or index a binary quantization (`binary_quantize(embedding)::bit(n)` with bit_hamming_ops) and ' +
        're-rank the candidates with the full vectors.',
      bad: 'CREATE TABLE docs (id bigint, embedding vector(3072));\nCREATE INDEX ON docs USING hnsw (embedding vector_cosine_ops);',
      good:
        'CREATE TABLE docs (id bigint, embedding vector(3072));\n' +
        'CREATE INDEX ON docs USING hnsw ((embedding::halfvec(3072)) halfvec_cosine_ops);\n' +
        'SELECT id FROM docs ORDER BY embedding::halfvec(3072) <=> $1::halfvec(3072) LIMIT 10;',
    },
    messages: {
      beyondHalfvec:
        '{{what}}: pgvector indexes at most {{limits}}, so CREATE INDEX fails. ' +
        'Reduce the dimensions (a smaller or shortened embedding) or index a binary quantization ' +
        '(binary_quantize({{column}})::bit({{n}}) with bit_hamming_ops) and re-rank with the full vectors.',
      castToHalfvec:
        '{{what}}: pgvector indexes at most 2000 dimensions of vector, so CREATE INDEX fails. Index the column cast to ' +
        'halfvec({{n}}) (limit 4000); queries must then ORDER BY {{column}}::halfvec({{n}}) {{op}} $1::halfvec({{n}}) to use it.',
    },
  },
  check({ statement, catalog, report }) {
    if (statement.kind !== 'IndexStmt') return;
    const b = statement.body;
    const method = String(b.accessMethod ?? '').toLowerCase();
    if (method !== 'hnsw' && method !== 'ivfflat') return;
    const table = catalog.resolveRangeVar(b.relation, statement);
    if (!table) return;
    const layout = indexLayout(statement);
    if (!layout) return;
    const params = (b.indexParams ?? []) as unknown[];
    params.forEach((p, i) => {
      const elem = as(p, 'IndexElem');
      const slice = layout.elements[i];
      if (!elem || !slice) return;
      // A plain column, `(embedding)`, or anything else (an expression already chooses its own type).
      const ref = as(elem.expr, 'ColumnRef');
      const name: string | undefined = elem.name ?? (ref && ref.fields?.length === 1 ? ref.fields[0]?.String?.sval : undefined);
      if (!name) return;
      const col = table.columns.get(name);
      const limit = col ? LIMIT[col.type] : undefined;
      if (!col || limit === undefined || col.typmod === undefined || col.typmod <= limit) return;
      const n = col.typmod;
      const tokens = layout.tokens;
      const start = tokens[slice[0]].start;
      const end = tokens[slice[1]].end;
      const what = `${method === 'hnsw' ? 'HNSW' : 'IVFFlat'} index on ${col.type}(${n})`;
      if (col.type !== 'vector' || n > 4000) {
        const limits = col.type === 'vector' ? '2000 dimensions of vector (4000 as halfvec)' : '4000 dimensions of halfvec';
        report({ start, end, messageId: 'beyondHalfvec', data: { what, limits, column: quoteIdent(name), n } });
        return;
      }
      const opclass = (elem.opclass ?? []).map((o: unknown) => as(o, 'String')?.sval as string).pop();
      const metric = opclassMetric(opclass, 'vector');
      const known = metric === 'l2' || metric === 'ip' || metric === 'cosine' || metric === 'l1';
      const op = known ? METRIC_OP[metric] : '<->';
      const edits: TextEdit[] = [];
      const cast = `::halfvec(${n})`;
      if (elem.name) {
        const colTok = tokens[slice[0]];
        edits.push({ start: colTok.start, end: colTok.end, newText: `(${colTok.text}${cast})` });
      } else {
        const span = statement.span(ref!);
        if (span) edits.push({ start: span.end, end: span.end, newText: cast });
      }
      if (opclass) {
        let opTok = -1;
        for (let k = slice[1]; k >= slice[0]; k--)
          if (identText(tokens[k]) === opclass) {
            opTok = k;
            break;
          }
        if (opTok >= 0 && known) edits.push({ start: tokens[opTok].start, end: tokens[opTok].end, newText: `halfvec_${metric}_ops` });
        else edits.length = 0;
      }
      const ident = quoteIdent(name);
      report({
        start,
        end,
        messageId: 'castToHalfvec',
        data: { what, n, column: ident, op },
        fix: edits.length > 0 ? { title: `Index ${ident}::halfvec(${n})${opclass ? ` with halfvec_${metric}_ops` : ''}`, edits } : undefined,
      });
    });
  },
});
