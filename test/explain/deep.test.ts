/**
 * Input deeper than any recursion could take: long expressions and deep nesting get a plan or a clear error,
 * never a RangeError, on the PostgreSQL server and on the embedded database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbedded } from '../../database/connection/embedded';
import { openPostgres } from '../../database/connection/postgres';
import type { Database } from '../../database/connection/types';
import { explain, ExplainUnsupported } from '../../database/explain/run';
import { classify } from '../../database/explain/safety';
import { TEST_DATABASE_URL } from './scenarios';

const sum = (n: number) => `SELECT ${Array.from({ length: n }, () => '1').join(' + ')}`;
const nested = (n: number) => `SELECT ${'('.repeat(n)}1${')'.repeat(n)}`;
const subqueries = (n: number) => `SELECT ${'(SELECT '.repeat(n)}1${')'.repeat(n)}`;

/** A plan, or an error that says what happened: anything but a crash of pgperf itself. */
async function planOrClearError(db: Database, sql: string, analyze: boolean): Promise<string> {
  try {
    const r = await explain(db, { sql, analyze, timeoutMs: 20_000 });
    return `plan:${r.tree.nodeType}`;
  } catch (e) {
    expect(e).not.toBeInstanceOf(RangeError);
    expect((e as Error).message).not.toMatch(/call stack/i);
    return e instanceof ExplainUnsupported ? `unsupported:${(e as Error).message}` : `error:${(e as Error).message}`;
  }
}

describe('deep input', () => {
  it('the embedded database plans a 1,000-term sum (under its depth limit)', async () => {
    const db = await openEmbedded({});
    try {
      expect(await planOrClearError(db, sum(1_000), true)).toBe('plan:Result');
    } finally {
      await db.close();
    }
  }, 60_000);

  it.each([2_000, 20_000])('classify survives %i terms', async (n) => {
    const cls = await classify(`${sum(n)} + random()`);
    expect(cls.error ?? cls.functions).toBeDefined();
    if (!cls.error) expect(cls.functions).toEqual([['random']]);
  });

  for (const [name, open] of [
    ['the PostgreSQL server', async () => openPostgres(TEST_DATABASE_URL)],
    ['the embedded database', async () => openEmbedded({})],
  ] as const) {
    describe(name, () => {
      let db: Database;
      beforeAll(async () => {
        db = await open();
      }, 60_000);
      afterAll(async () => db?.close());

      it('a 2,000-term sum gets a plan (the server) or a clear error (PGlite), with and without ANALYZE', async () => {
        for (const analyze of [false, true]) {
          const out = await planOrClearError(db, sum(2_000), analyze);
          if (name === 'the PostgreSQL server') expect(out).toBe('plan:Result');
          else expect(out).toMatch(/^unsupported:the statement nests 4005 levels deep, more than the embedded database can parse/);
        }
      }, 60_000);

      it.each([
        ['20,000 terms', sum(20_000)],
        ['5,000 nested parentheses', nested(5_000)],
        ['500 nested subqueries', subqueries(500)],
      ])(
        '%s: a plan or a clear error',
        async (_what, sql) => {
          const out = await planOrClearError(db, sql, true);
          expect(out).toMatch(/^(plan:|unsupported:|error:.*(stack depth|too complex|nesting))/);
        },
        60_000,
      );
    });
  }
});
