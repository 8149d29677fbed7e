/**
 * The expectations both attack rounds share: one explain() call settled, what must ask (refused without and with
 * a "no", the victims unchanged each time) and what must not (a plan, no question, nothing changed).
 */
import { expect } from 'vitest';
import type { Database } from '../../database/connection/types';
import { explain, ExplainRefused } from '../../database/explain/run';
import { confirmer, type ConfirmRequest, settle, type Victims } from './helpers';

const TIMEOUT_MS = 20_000;

export interface Options {
  analyze?: boolean;
  settings?: Record<string, string>;
  params?: unknown[];
  confirm?: (r: ConfirmRequest) => Promise<boolean>;
  timeoutMs?: number;
}

/** One explain() call, settled (never throws). */
export function attempt(db: Database, sql: string, o: Options = {}) {
  const { analyze = true, timeoutMs = TIMEOUT_MS, ...rest } = o;
  return settle(explain(db, { sql, analyze, timeoutMs, ...rest }));
}

/** A label for an outcome that should have been a refusal. */
export function outcome(r: Awaited<ReturnType<typeof attempt>>): unknown {
  return r.ok ? `ran without asking (${r.value.analyzed ? 'executed' : 'planned'})` : r.error;
}

/** Must ask: ExplainRefused without confirm and when confirm says no, the state unchanged after each attempt. */
export async function expectAsks(fx: Victims, db: Database, sql: string, o: Options = {}): Promise<void> {
  const analyze = o.analyze ?? true;
  const before = await fx.state();
  const bare = await attempt(db, sql, o);
  expect.soft(await fx.state(), 'state after the attempt without confirm').toEqual(before);
  expect.soft(outcome(bare), 'without confirm').toBeInstanceOf(ExplainRefused);
  const no = confirmer(() => false);
  const refused = await attempt(db, sql, { ...o, confirm: no.confirm });
  expect.soft(await fx.state(), 'state after confirm said no').toEqual(before);
  expect.soft(outcome(refused), 'confirm said no').toBeInstanceOf(ExplainRefused);
  expect.soft(no.calls.length, 'confirm calls').toBe(1);
  expect.soft(no.calls[0]?.analyze, 'the request says which EXPLAIN').toBe(analyze);
}

/** Must not ask: a plan, no confirm call, nothing changed. */
export async function expectNoQuestion(fx: Victims, db: Database, sql: string, o: Options = {}): Promise<void> {
  const before = await fx.state();
  const c = confirmer(() => false);
  const r = await attempt(db, sql, { ...o, confirm: c.confirm });
  expect.soft(r.ok ? 'a plan' : r.error, sql).toBe('a plan');
  expect.soft(c.calls, `confirm was called for: ${sql}`).toEqual([]);
  expect.soft(await fx.state(), sql).toEqual(before);
}
