import { describe, expect, it } from 'vitest';
import { applyEdits } from '../../server/src/analysis/fix';
import { parseSql } from '../../server/src/analysis/pg';
import { bandFor } from '../../server/src/analysis/rules/hnsw-build-params';
import { fixOnDb } from '../fix-on-db';
import { applyFix, findings, flagged } from '../helpers';

const db = fixOnDb();

const RULE = 'hnsw-build-params';
const TABLE =
  'CREATE TABLE docs (id bigint, e384 vector(384), e768 vector(768), e1024 vector(1024), e1536 vector(1536), e3072 vector(3072), h3072 halfvec(3072), e vector);\n';
const idx = (rest: string) => TABLE + `CREATE INDEX idx ON docs USING hnsw ${rest};`;

/** For statements with several findings: every finding's fix is the same, and applying it silences the rule. */
function fixAll(sql: string): string {
  const f = findings(sql, RULE);
  expect(f.length).toBeGreaterThan(1);
  const fixed = applyEdits(sql, f[0].fix!.edits);
  for (const x of f) expect(applyEdits(sql, x.fix!.edits)).toBe(fixed);
  expect(parseSql(fixed).ok).toBe(true);
  expect(findings(fixed, RULE)).toEqual([]);
  return fixed;
}

describe(RULE, () => {
  it.each([
    // [index, flagged text, severity, message fragment, message id]
    ['(e768 vector_cosine_ops) WITH (m = 16, ef_construction = 24)', 'ef_construction = 24', 'error', 'less than 2 × m', 'efBelowTwiceM'],
    ['(e vector_cosine_ops) WITH (m = 40)', 'm = 40', 'error', 'the default ef_construction = 64 is less than 2 × m', 'efBelowTwiceM'],
    ['(e vector_cosine_ops) WITH (m = 16, ef_construction = 40)', 'ef_construction = 40', 'info', 'below 4 × m = 64', 'efBelowFourTimesM'],
    [
      '(e768 vector_cosine_ops) WITH (m = 8, ef_construction = 128)',
      'm = 8',
      'info',
      "outside the tuning guide's band for 768-dimension vectors (m = 16",
      'mBelowBand',
    ],
    ['(e384 vector_cosine_ops) WITH (m = 16, ef_construction = 128)', 'm = 16', 'info', 'm = 8–12', 'mAboveBand'],
    ['(e1536 vector_cosine_ops)', 'USING hnsw', 'info', 'the default m = 16 is outside', 'mBelowBand'],
    ['(e1536 vector_cosine_ops) WITH (ef_construction = 256)', 'WITH (ef_construction = 256)', 'info', 'the default m = 16', 'mBelowBand'],
    ['(e1024 vector_l2_ops) WITH (m = 24, ef_construction = 256)', 'm = 24', 'info', '1024-dimension vectors (m = 16, the 768-dim row', 'mAboveBand'],
    ['((e3072::halfvec(3072)) halfvec_cosine_ops) WITH (m = 16, ef_construction = 256)', 'm = 16', 'info', '3072-dimension', 'mBelowBand'],
    ['(e vector_l2_ops) WITH (m = 200, ef_construction = 400)', 'm = 200', 'error', 'pgvector rejects m = 200', 'mRange'],
    ['(e vector_l2_ops) WITH (m = 16, ef_construction = 2000)', 'ef_construction = 2000', 'error', 'pgvector rejects ef_construction = 2000', 'efRange'],
  ])('fires on %s', (rest, text, severity, fragment, messageId) => {
    const sql = idx(rest);
    const f = findings(sql, RULE);
    expect(f).toHaveLength(1);
    expect(flagged(sql, f[0])).toBe(text);
    expect(f[0].severity).toBe(severity);
    expect(f[0].message).toContain(fragment);
    expect(f[0].messageId).toBe(messageId);
    expect(f[0].fix).toBeDefined();
  });

  it('reports an error and an info on the same index, each with its own severity', () => {
    const sql = idx('(e1536 vector_cosine_ops) WITH (m = 16, ef_construction = 20)');
    const f = findings(sql, RULE);
    expect(f.map((x) => [flagged(sql, x), x.severity])).toEqual([
      ['m = 16', 'info'],
      ['ef_construction = 20', 'error'],
    ]);
    // Either fix sets both recommended values, after which the rule is silent.
    const fixed = applyEdits(sql, f[1].fix!.edits);
    expect(fixed).toBe(idx('(e1536 vector_cosine_ops) WITH (m = 24, ef_construction = 256)'));
    expect(findings(fixed, RULE)).toEqual([]);
  });

  it("reports m out of pgvector's range alone", () => {
    const sql = idx('(e768 vector_l2_ops) WITH (m = 1, ef_construction = 2)');
    const f = findings(sql, RULE);
    expect(f.map((x) => [flagged(sql, x), x.severity])).toEqual([
      ['m = 1', 'error'],
      ['ef_construction = 2', 'error'],
    ]);
    expect(fixAll(sql)).toBe(idx('(e768 vector_l2_ops) WITH (m = 16, ef_construction = 128)'));
  });

  it('honours a configured severity', async () => {
    const { config } = await import('../helpers');
    const f = findings(idx('(e768 vector_cosine_ops) WITH (m = 16, ef_construction = 24)'), RULE, config({ rules: { [RULE]: 'warning' } }));
    expect(f[0].severity).toBe('warning');
  });

  it.each([
    '(e768 vector_cosine_ops) WITH (m = 16, ef_construction = 128)',
    '(e768 vector_cosine_ops)',
    '(e768 vector_cosine_ops) WITH (m = 16, ef_construction = 64)',
    '(e384 vector_cosine_ops) WITH (m = 12, ef_construction = 128)',
    '(e384 vector_cosine_ops) WITH (m = 8, ef_construction = 32)',
    '(e1536 vector_cosine_ops) WITH (m = 24, ef_construction = 256)',
    '(e vector_l2_ops) WITH (m = 32, ef_construction = 128)',
    '(e vector_l2_ops)',
  ])('does not fire on %s', (rest) => {
    expect(findings(idx(rest), RULE)).toEqual([]);
  });

  it('leaves tuning advice out on an index pgvector cannot build (hnsw-dimension-limit reports it)', () => {
    expect(findings(idx('(e3072 vector_cosine_ops)'), RULE)).toEqual([]);
    expect(findings(idx('(e3072 vector_cosine_ops) WITH (m = 24, ef_construction = 64)'), RULE)).toEqual([]);
    const sql = idx('(e3072 vector_cosine_ops) WITH (m = 16, ef_construction = 16)');
    expect(findings(sql, RULE).map((f) => [flagged(sql, f), f.severity])).toEqual([['ef_construction = 16', 'error']]);
    // once cast to halfvec the band applies
    expect(findings(idx('((e3072::halfvec(3072)) halfvec_cosine_ops)'), RULE)).toHaveLength(1);
  });

  it('does not fire on IVFFlat or B-tree indexes', () => {
    expect(findings(TABLE + 'CREATE INDEX ON docs USING ivfflat (e1536 vector_l2_ops) WITH (lists = 100);', RULE)).toEqual([]);
    expect(findings(TABLE + 'CREATE INDEX ON docs (id);', RULE)).toEqual([]);
  });

  it('maps every dimension to the nearest guide row', () => {
    expect([128, 384, 575, 576, 768, 1024, 1151, 1152, 1536, 3072].map((d) => bandFor(d).guideDim)).toEqual([
      384, 384, 384, 768, 768, 768, 768, 1536, 1536, 1536,
    ]);
  });

  it('fix edits the values in place', () => {
    const sql = idx('(e768 vector_cosine_ops)\n  WITH (m = 16, /* was 32 */ ef_construction = 24)');
    expect(applyFix(sql, RULE)).toBe(idx('(e768 vector_cosine_ops)\n  WITH (m = 16, /* was 32 */ ef_construction = 128)'));
  });

  it('fix sets m to the band and raises ef_construction to match', () => {
    expect(applyFix(idx("(e768 vector_cosine_ops) WITH (m = '8', ef_construction = 128)"), RULE)).toBe(
      idx('(e768 vector_cosine_ops) WITH (m = 16, ef_construction = 128)'),
    );
    expect(fixAll(idx('(e384 vector_cosine_ops) WITH (m = 32, ef_construction = 40)'))).toBe(
      idx('(e384 vector_cosine_ops) WITH (m = 12, ef_construction = 128)'),
    );
    expect(applyFix(idx('(e vector_l2_ops) WITH (m = 16, ef_construction = 40)'), RULE)).toBe(idx('(e vector_l2_ops) WITH (m = 16, ef_construction = 64)'));
  });

  it('fix adds a missing parameter inside the WITH list', () => {
    expect(applyFix(idx('(e1536 vector_cosine_ops) WITH (ef_construction = 256)'), RULE)).toBe(
      idx('(e1536 vector_cosine_ops) WITH (ef_construction = 256, m = 24)'),
    );
    // m = 40 → 16: the default ef_construction = 64 is then 4 × m, so it is not added.
    expect(fixAll(idx('(e768 vector_cosine_ops) WITH (m = 40)'))).toBe(idx('(e768 vector_cosine_ops) WITH (m = 16)'));
    expect(applyFix(idx('(e1536 vector_cosine_ops) WITH (m = 24)'), RULE)).toBe(idx('(e1536 vector_cosine_ops) WITH (m = 24, ef_construction = 256)'));
  });

  it('fix adds a WITH clause when there is none', () => {
    const sql = TABLE + 'CREATE INDEX idx ON docs USING hnsw (e1536 vector_cosine_ops)\n  WHERE id > 0;';
    expect(applyFix(sql, RULE)).toBe(
      TABLE + 'CREATE INDEX idx ON docs USING hnsw (e1536 vector_cosine_ops) WITH (m = 24, ef_construction = 256)\n  WHERE id > 0;',
    );
  });
});

describe(`${RULE}: the fix runs on PostgreSQL (pgvector) with the workspace schema`, () => {
  it.each([
    '(e768 vector_cosine_ops)\n  WITH (m = 16, /* was 32 */ ef_construction = 24)',
    "(e768 vector_cosine_ops) WITH (m = '8', ef_construction = 128)",
    '(e768 vector_l2_ops) WITH (m = 16, ef_construction = 40)',
    '(e1536 vector_cosine_ops) WITH (ef_construction = 256)',
    '(e1536 vector_cosine_ops) WITH (m = 24)',
    '(e1536 vector_cosine_ops)',
  ])('%s', async (rest) => {
    const r = await db.check(idx(rest), RULE);
    expect(r.how).toBe('executed');
    expect(r.statement).toMatch(/WITH \(/);
  });

  // PostgreSQL cannot build an HNSW index on a vector column without dimensions, fix or not: reported as
  // unchecked (the fix is not to blame), never as passed.
  it('an index on a vector column without dimensions is rejected before the fix as well', async () => {
    const sql = idx('(e vector_l2_ops) WITH (m = 16, ef_construction = 40)');
    await expect(db.check(sql, RULE)).rejects.toThrow(/could not be checked on PGlite/);
    const r = await db.check(sql, RULE, { unchecked: /rejected before the fix as well: .*column does not have dimensions/ });
    expect(r.statement).toContain('ef_construction = 64');
  });
});
