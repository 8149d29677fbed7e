/**
 * Attacks on "EXPLAIN (ANALYZE) never leaves a change behind" through the built CLI (`pgperf explain`, a child
 * process, DATABASE_URL and PGOPTIONS as a user sets them). Judged by the state on the server afterwards: the
 * victim row and its lock, the sequence, the statement's backend.
 *
 * - Ctrl-C (SIGINT) and SIGTERM while EXPLAIN ANALYZE runs: the statement is cancelled on the server and rolled
 *   back, the row is not left locked, the CLI exits 130.
 * - --timeout 0 means no statement_timeout (not 1 ms).
 * - PGOPTIONS that change lexing (standard_conforming_strings, client_encoding, backslash_quote) smuggle nothing.
 * - --yes confirms writes and unknown calls; effects a rollback cannot undo need --allow-irreversible as well.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../database/connection/types';
import { assertFreshBuild, lit, openAdmin, q, rows, serverUrl, settle, startCli, uniqueSchema, Victims, waitFor, within, type Exit } from './helpers';

describe('pgperf explain (the CLI) on the PostgreSQL server', () => {
  const prefix = uniqueSchema('pgperf_seccli');
  /** The CLI's connections are named `${prefix}_cli_<test>`, so that each test finds (and ends) its own. */
  const cliApp = (tag: string) => `${prefix}_cli_${tag}`;
  let admin: Database;
  let fx: Victims;
  let dir: string;
  const children: ChildProcess[] = [];

  /** Runs the CLI to its end (at most `ms`). */
  async function cli(args: string[], tag: string, extra: Record<string, string> = {}, ms = 60_000): Promise<Exit> {
    const { child, exit } = startCli(args, dir, { DATABASE_URL: serverUrl(cliApp(tag)), ...extra });
    children.push(child);
    const r = await within(exit, ms);
    if (!r) throw new Error(`pgperf ${args.join(' ')} did not end within ${ms} ms`);
    return r;
  }

  const backendsOf = async (tag: string) =>
    rows(admin, "SELECT pid, state, query FROM pg_stat_activity WHERE application_name = $1 AND state <> 'idle'", [cliApp(tag)]);

  const rowOne = async () => Number((await rows(admin, `SELECT v FROM ${fx.victim} WHERE id = 1`))[0].v);

  beforeAll(async () => {
    assertFreshBuild();
    admin = await openAdmin(prefix);
    fx = new Victims(admin, 'postgres', {}, prefix);
    await fx.setup();
    dir = mkdtempSync(join(tmpdir(), 'pgperf-sec-cli-'));
  }, 60_000);

  afterEach(async () => {
    // A CLI a failed test left running (the tests started these processes themselves), then its backends.
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await q(admin, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE starts_with(application_name, $1)', [`${prefix}_cli_`]);
    await waitFor(
      async () => (await rows(admin, 'SELECT 1 FROM pg_stat_activity WHERE starts_with(application_name, $1)', [`${prefix}_cli_`])).length === 0,
      10_000,
      'the CLI backends to end',
    );
    await fx.restore();
  }, 60_000);

  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (!admin) return;
    await fx?.teardown();
    await admin.close();
  });

  describe.each(['SIGINT', 'SIGTERM'] as const)('%s during EXPLAIN ANALYZE', (signal) => {
    it('cancels the statement on the server, rolls back, leaves the row unlocked, exits 130', async () => {
      const tag = signal.toLowerCase();
      const before = await rowOne();
      const sql = `update ${fx.victim} set v = v + 1 where id = 1 returning pg_sleep(30)`;
      const { child, exit } = startCli(['explain', '--analyze', '--yes', sql], dir, { DATABASE_URL: serverUrl(cliApp(tag)) });
      children.push(child);
      await waitFor(
        async () => (await backendsOf(tag)).some((b) => b.state === 'active' && String(b.query).includes('pg_sleep(30)')),
        20_000,
        'the UPDATE to run on the server',
      );

      const sent = Date.now();
      child.kill(signal);
      const r = await within(exit, 8_000);
      expect
        .soft(r ? { code: r.code, signal: r.signal } : 'still running 8 s after the signal', `how the CLI ended (stderr: ${r?.err.trim()})`)
        .toEqual({ code: 130, signal: null });
      expect.soft(Date.now() - sent, 'ms from the signal to the exit').toBeLessThan(5_000);

      // The statement no longer runs (cancelled, not left sleeping on a connection nobody reads).
      const stopped = await settle(
        waitFor(async () => !(await backendsOf(tag)).some((b) => String(b.query).includes('pg_sleep(30)')), 5_000, 'the statement to stop'),
      );
      expect.soft(stopped.ok, 'the UPDATE still runs on the server 5 s after the signal').toBe(true);
      expect.soft(await rowOne(), 'the row').toBe(before);
      const lock = await settle(q(admin, `SELECT v FROM ${fx.victim} WHERE id = 1 FOR UPDATE NOWAIT`));
      expect.soft(lock.ok ? 'not locked' : (lock.error as Error).message, 'SELECT … FOR UPDATE NOWAIT').toBe('not locked');
    }, 60_000);
  });

  describe('--timeout', () => {
    const actualRows = (r: Exit) => (JSON.parse(r.out) as { plan: { Plan: { 'Actual Rows': number } }[] }).plan[0].Plan['Actual Rows'];

    it('--timeout 0 runs with no statement_timeout', async () => {
      const r = await cli(
        ['explain', '--analyze', '--format', 'json', '--timeout', '0', "select 1 where current_setting('statement_timeout') = '0'"],
        'timeout0',
      );
      expect(r.code, r.err).toBe(0);
      expect(actualRows(r), "rows of: select 1 where current_setting('statement_timeout') = '0'").toBe(1);
      const slow = await cli(['explain', '--analyze', '--timeout', '0', 'select pg_sleep(0.05)'], 'timeout0');
      expect(slow.code, slow.err).toBe(0);
    });

    it('--timeout N is N ms: 2500 is shown as 2500ms, 1 stops a 50 ms statement', async () => {
      const r = await cli(
        ['explain', '--analyze', '--format', 'json', '--timeout', '2500', "select 1 where current_setting('statement_timeout') = '2500ms'"],
        'timeoutn',
      );
      expect(r.code, r.err).toBe(0);
      expect(actualRows(r)).toBe(1);
      const one = await cli(['explain', '--analyze', '--timeout', '1', 'select pg_sleep(0.05)'], 'timeoutn');
      expect(one.code).toBe(1);
      expect(one.err).toMatch(/statement_timeout|timeout/);
    });
  });

  // node-postgres passes PGOPTIONS on; its startup packet's client_encoding=UTF8 outranks `-c client_encoding`
  // there, so the SJIS cases guard that, while standard_conforming_strings and backslash_quote do reach the session.
  describe('PGOPTIONS that change how the server lexes (honoured by node-postgres)', () => {
    const cases = (): [string, string, string][] => {
      const v = fx.victim;
      const call = `${fx.schema}.touch_imm(1)`;
      return [
        ['-c standard_conforming_strings=off', 'a smuggled DELETE', `select 'a\\' as x, '; commit; delete from ${v}; explain (format json) select 1; -- '`],
        ['-c standard_conforming_strings=off', 'a call the parser takes for a string', `select 'a\\' as x, ', ${call} -- ' as y`],
        ['-c client_encoding=SJIS', 'a smuggled DELETE', `select E'Á\\'; commit; delete from ${v}; -- ' as x`],
        ['-c client_encoding=SJIS', 'a call the parser takes for a string', `select E'Á\\' , ${call} -- '`],
        [
          '-c standard_conforming_strings=off -c backslash_quote=on -c client_encoding=SJIS',
          'a smuggled DELETE',
          `select 'a\\' as x, '; commit; delete from ${v}; -- '`,
        ],
      ];
    };
    it.each([
      ['plain EXPLAIN', [] as string[]],
      ['EXPLAIN ANALYZE --yes', ['--analyze', '--yes']],
    ])(
      '%s: nothing smuggled runs',
      async (_mode, flags) => {
        for (const [options, what, sql] of cases()) {
          const before = await fx.state();
          const r = await cli(['explain', ...flags, sql], 'pgoptions', { PGOPTIONS: options });
          expect.soft(await fx.state(), `PGOPTIONS="${options}", ${what} (exit ${r.code}: ${r.err.trim().split('\n').pop()})`).toEqual(before);
        }
      },
      120_000,
    );
  });

  describe('what needs which flag', () => {
    it('--yes does not cover setval(): exit 2 naming setval and --allow-irreversible; with both flags it runs', async () => {
      const sql = `select setval(${lit(fx.seq)}, 500)`;
      const before = await fx.state();
      const r = await cli(['explain', '--analyze', '--yes', sql], 'irreversible');
      expect.soft(await fx.state(), 'state after --yes alone').toEqual(before);
      expect.soft(r.code, `exit code (stderr: ${r.err.trim()})`).toBe(2);
      expect.soft(r.err, 'stderr names setval').toMatch(/setval/);
      expect.soft(r.err, 'stderr names --allow-irreversible').toMatch(/--allow-irreversible/);
      expect.soft(r.out, 'no plan on stdout').toBe('');
      const allowed = await cli(['explain', '--analyze', '--yes', '--allow-irreversible', sql], 'irreversible');
      expect.soft(allowed.code, `exit code with --allow-irreversible (stderr: ${allowed.err.trim()})`).toBe(0);
      expect.soft((await fx.state()).sequence, 'the sequence after --allow-irreversible').toEqual({ last_value: 500, is_called: true });
    });

    it('a call behind an IMMUTABLE or STABLE label needs --yes, also for plain EXPLAIN (planning runs it); without it nothing runs', async () => {
      const before = await fx.state();
      for (const args of [
        ['explain', `select ${fx.schema}.touch_imm(1)`],
        ['explain', `select * from ${fx.victim} where v = ${fx.schema}.touch_stable(1)`],
        ['explain', '--analyze', `select ${fx.schema}.touch_stable(1)`],
      ]) {
        const r = await cli(args, 'hidden');
        expect.soft(await fx.state(), args.join(' ')).toEqual(before);
        expect.soft(r.code, `${args.join(' ')}: exit code (stderr: ${r.err.trim()})`).toBe(2);
      }
    });
  });
});
