/**
 * Deferred parsing (parseSqlDeferred, each statement's tree parsed on demand) agrees with parsing at once on every
 * file of ../shared/corpus/real-world.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeferredNode, parseSql, parseSqlDeferred } from '../../server/src/analysis/pg';

/** parseSqlDeferred's statements with every deferred tree parsed: what parseSql gives. */
function materialized(sql: string) {
  const r = parseSqlDeferred(sql);
  if (!r.ok) return r;
  return { ok: true, stmts: r.stmts.map((s) => ({ ...s, stmt: s.stmt instanceof DeferredNode ? s.stmt.parse() : s.stmt })) };
}

describe('the parser binding on the real-world corpus', () => {
  it('agrees with parsing at once on every file of the real-world corpus', () => {
    const dir = resolve(__dirname, '../../../shared/corpus/real-world');
    const files = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : e.name.endsWith('.sql') ? [join(d, e.name)] : []));
    let compared = 0;
    for (const f of files(dir)) {
      const sql = readFileSync(f, 'utf8');
      const whole = parseSql(sql);
      expect(materialized(sql), f).toEqual(whole);
      compared++;
    }
    expect(compared).toBeGreaterThan(400);
  });
});
