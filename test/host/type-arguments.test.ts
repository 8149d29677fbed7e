import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EMBEDDED_OPTIONS, initEmbedded, type EmbeddedSql } from '../../server/src/analysis/host';
import { expectMapped, expectParses, extract } from './helpers';

beforeAll(() => initEmbedded());

// Type arguments on a tag or a call. The TypeScript grammar reads `tag<T>\`…\`` as the comparisons (tag < T) > `…`,
// `tag<T[]>\`…\`` as a call of `tag<T[]>` with a missing `!` (and then pulls an `x =` or `await` before it into the
// callee), `tag<Array<T>>\`…\`` as tag < (Array < (T >> `…`)): every shape must still be found by its tag, with the
// tag's own `$n` parameters, also where the keyword fallback is off.
const NO_FALLBACK = { ...DEFAULT_EMBEDDED_OPTIONS, keywordFallback: false };

/** The one query extracted from `src`, with the fallback on and off (the same both ways). */
function only(src: string, path = 'src/store.ts'): EmbeddedSql {
  const found = extract(path, src);
  expect(found, JSON.stringify(found.map((e) => [e.foundBy, e.sql]))).toHaveLength(1);
  const strict = extract(path, src, NO_FALLBACK);
  expect(strict.map((e) => [e.api, e.foundBy, e.sql, e.start, e.end])).toEqual(found.map((e) => [e.api, e.foundBy, e.sql, e.start, e.end]));
  return found[0];
}

describe('tagged templates with type arguments', () => {
  const tagged: [string, string, string][] = [
    // [type arguments, expression before the template, api]
    ['<TraceEvent>', 'prisma.$queryRaw', 'prisma.$queryRaw``'],
    ['<TraceEvent[]>', 'prisma.$queryRaw', 'prisma.$queryRaw``'],
    ['<{ id: string; at: Date }[]>', 'tx.$queryRaw', 'tx.$queryRaw``'],
    ['<Row>', 'sql', 'sql``'],
    ['<Row[]>', 'sql', 'sql``'],
    ['<Row[][]>', 'sql', 'sql``'],
    ['<readonly Row[]>', 'sql', 'sql``'],
    ['<{ a: number }>', 'sql', 'sql``'],
    ['<{ a: number }[]>', 'sql', 'sql``'],
    ['<Array<Row>>', 'sql', 'sql``'],
    ['<Map<string, Row>>', 'sql', 'sql``'],
    ['<Pick<Row, "id" | "at">[]>', 'sql', 'sql``'],
    ['<A | B>', 'sql', 'sql``'],
    ['<[number, string]>', 'sql', 'sql``'],
    ['<"count">', 'sql', 'sql``'],
    ['<Row>', 'db.sql', 'db.sql``'],
    ['<Row>', 'Prisma.sql', 'Prisma.sql``'],
  ];
  const body = 'SELECT id, at FROM events WHERE tenant_id = ${tenant} AND at >= ${since} ORDER BY at LIMIT ${n}';
  const expected = 'SELECT id, at FROM events WHERE tenant_id = $1 AND at >= $2 ORDER BY at LIMIT $3';

  // Each shape where it stands: a declaration, an assignment, a return after await, an arrow's body (plain and async).
  const places: [string, (e: string) => string][] = [
    ['const', (e) => `const rows = ${e};`],
    ['assignment', (e) => `let rows; rows = ${e};`],
    ['return await', (e) => `async function f() {\n  return await ${e};\n}`],
    ['arrow', (e) => `export const list = (tenant: string) => ${e};`],
    ['async arrow', (e) => `export const list = async (tenant: string) => await ${e};`],
    ['then', (e) => `${e}.then((rows) => rows.length);`],
  ];
  for (const [types, tag, api] of tagged) {
    for (const [place, wrap] of places) {
      it(`${tag}${types}\`…\` in ${place}`, () => {
        const src = wrap(`${tag}${types}\`${body}\``);
        const q = only(src);
        expect([q.api, q.foundBy, q.sql]).toEqual([api, 'tag', expected]);
        expect(q.holes.map((h) => src.slice(h.hostStart, h.hostEnd))).toEqual(['${tenant}', '${since}', '${n}']);
        expect(src.slice(q.start, q.end)).toBe(`\`${body}\``);
        expectMapped(q, src, 'LIMIT');
        expectParses(q);
      });
    }
  }

  it('a template that does not parse alone (a clause in a hole) is found by its tag, in .ts and .tsx', () => {
    // As an event-log query on a partitioned table reads: an optional filter spliced in as a fragment.
    const src = [
      'export class EventStore {',
      '  async traceEvents(traceId: string, from: Date, to: Date, debug: boolean) {',
      '    return await this.readReplica.$queryRaw<TraceEvent[]>`',
      '      SELECT "spanId", "parentId", message',
      '        FROM "TaskEventPartitioned"',
      '       WHERE "traceId" = ${traceId}',
      '         AND "createdAt" >= ${from.toISOString()}::timestamp',
      '         AND "createdAt" < ${to.toISOString()}::timestamp',
      "         ${debug ? Prisma.empty : Prisma.sql`AND kind <> 'LOG'`}",
      '       ORDER BY "startTime" ASC',
      '       LIMIT ${limit}',
      '    `;',
      '  }',
      '}',
    ].join('\n');
    for (const path of ['src/store.ts', 'src/store.tsx']) {
      const q = only(src, path);
      expect([q.api, q.foundBy]).toEqual(['this.readReplica.$queryRaw``', 'tag']);
      expect(q.sql).toContain('"traceId" = $1');
      expect(q.sql).toContain('"createdAt" >= $2::timestamp');
      expect(q.sql).toContain('LIMIT $5');
      expect(q.holesUnreadable).toBe(true);
      expectMapped(q, src, 'LIMIT');
    }
  });

  it('an unknown tag with type arguments is not a tag: only the keyword fallback reads it, with padded values', () => {
    const src = 'const rows = gql<Row[]>`SELECT id FROM t WHERE a = ${a}`; const n = count<Row>`SELECT 1`;';
    expect(extract('a.ts', src, NO_FALLBACK)).toEqual([]);
    const found = extract('a.ts', src);
    expect(found.map((e) => e.foundBy)).toEqual(['keyword', 'keyword']);
    expect(found[0].sql).toMatch(/^SELECT id FROM t WHERE a = \$\d{3}$/);
  });

  it('comparisons with a template on the right are not tags', () => {
    const src = 'if (sql < limit && total > `SELECT 1`) run(); const b = sql < a || b > `DELETE FROM t`;';
    expect(extract('a.ts', src, NO_FALLBACK)).toEqual([]);
  });
});

describe('calls with type arguments', () => {
  const calls: [string, string, string][] = [
    // [call before the arguments, arguments, api]
    ['prisma.$queryRawUnsafe<Row>', "('SELECT id FROM accounts WHERE id = $1', id)", '$queryRawUnsafe'],
    ['prisma.$queryRawUnsafe<Row[]>', '(`SELECT id FROM accounts WHERE id = $1`, id)', '$queryRawUnsafe'],
    ['tx.$executeRawUnsafe<number>', "('DELETE FROM accounts WHERE id = $1', id)", '$executeRawUnsafe'],
    ['this.pool.query<Row>', "('SELECT id FROM accounts WHERE id = $1', [id])", 'query'],
    ['this.pool.query<Row[]>', "('SELECT id FROM accounts WHERE id = $1', [id])", 'query'],
    ['db.query<{ a: number }>', "('SELECT 1 AS a FROM accounts WHERE id = $1', [id])", 'query'],
    ['db.query<{ a: number }[]>', "('SELECT 1 AS a FROM accounts WHERE id = $1', [id])", 'query'],
    ['db.query<Map<string, Row>>', "('SELECT id FROM accounts WHERE id = $1', [id])", 'query'],
    ['client.query<QueryResultRow, [string]>', "('SELECT id FROM accounts WHERE id = $1', [id])", 'query'],
  ];
  const places: [string, (e: string) => string][] = [
    ['const', (e) => `const r = await ${e};`],
    ['assignment', (e) => `let r; r = ${e};`],
    ['arrow', (e) => `export const get = (id: string) => ${e};`],
  ];
  for (const [callee, args, api] of calls) {
    for (const [place, wrap] of places) {
      it(`${callee}${args} in ${place}`, () => {
        const src = wrap(`${callee}${args}`);
        const q = only(src);
        expect([q.api, q.foundBy]).toEqual([api, 'call']);
        expect(q.sql).toMatch(/ WHERE id = \$1$/);
        expectMapped(q, src, 'accounts');
        expectParses(q);
      });
    }
  }
});
