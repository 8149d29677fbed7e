/** Shared by the database tests: the real server of the test environment (never skipped when unreachable). */
import { randomBytes } from 'node:crypto';
import { openPostgres } from '../../database/connection/postgres';
import { DatabaseError, type Database } from '../../database/connection/types';
import { expect } from 'vitest';

export const TEST_URL = process.env.PGPERF_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name of our own for this run (dropped in afterAll). */
export function uniqueSchema(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Opens the test server and proves it answers; an unreachable server fails the run with a clear message. */
export async function openTestServer(): Promise<Database> {
  const db = openPostgres(TEST_URL);
  try {
    await db.serverVersion();
  } catch (err) {
    await db.close().catch(() => undefined);
    throw new Error(
      `the PostgreSQL test server is unreachable at ${db.label} (PGPERF_TEST_DATABASE_URL, default ` +
        `postgres://postgres@127.0.0.1:5432/test): ${(err as Error).message}. These tests need it and are not skipped.`,
      { cause: err },
    );
  }
  return db;
}

/** Runs one statement on a fresh session. */
export async function q(db: Database, sql: string, params?: unknown[]) {
  const s = await db.session();
  let broken = false;
  try {
    return await s.query(sql, params);
  } catch (err) {
    broken = true;
    throw err;
  } finally {
    await s.release(broken);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** What a call throws (undefined when it returns). */
export function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** The error a promise rejects with, checked to be a DatabaseError (a promise that resolves fails the test). */
export async function rejection(p: Promise<unknown>): Promise<DatabaseError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DatabaseError);
  return err as DatabaseError;
}
