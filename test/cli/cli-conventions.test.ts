/**
 * The CLI's conventions, on the built bundle as a user runs it: every command and subcommand answers `--help` /
 * `-h` with its own usage on stdout (exit 0); every user mistake — an option Node would word, `docs` onto a file,
 * an output file in a missing folder, a statement EXPLAIN cannot run, database settings that do not parse — is one
 * `pgperf:` line on stderr with exit 2 (README: "2 bad usage") and no stack trace, found before any work: no
 * embedded database opened, no connection made (a listening socket counts them), no scratch schema or role left
 * on the real PostgreSQL server.
 */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../database/connection/types';
import { RULES } from '../../server/src/analysis/rules/index';
import { main } from '../../cli/main';
import { openTestServer, q, TEST_URL } from '../db/helpers';
import { run, type Run } from './spawn-cli';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgperf-cli-conventions-'));
  writeFileSync(join(dir, 'a-file'), 'not a folder\n');
  mkdirSync(join(dir, 'out'));
});

/** A user error: exit 2, nothing on stdout, exactly one `pgperf:` line on stderr, no stack frame. */
function expectUsageError(r: Run, message: RegExp | string): void {
  expect(r.code, r.err).toBe(2);
  expect(r.out).toBe('');
  expect(r.err).not.toMatch(/^\s+at /m);
  expect(r.err).toMatch(/^pgperf: [^\n]+\n$/);
  if (typeof message === 'string') expect(r.err).toContain(message);
  else expect(r.err).toMatch(message);
}

/** A TCP listener that only counts connections: a DATABASE_URL pointing at it shows whether the CLI connected. */
async function listener(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let count = 0;
  const server: Server = createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as { port: number }).port;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/test`,
    connections: () => count,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

describe('--help on every command', () => {
  // [args, a line of that command's usage, a line of another command's usage that must not be there]
  const CASES: [string[], string, string | undefined][] = [
    [['--help'], 'pgperf lint [paths…] [--format text|json|sarif] [--config file]', undefined],
    [['-h'], 'pgperf bench rls [--rows N] [--rounds N] [--yes] [--json F]', undefined],
    [['help'], 'pgperf docs <folder>', undefined],
    [['lint', '--help'], 'pgperf lint [paths…] [--format text|json|sarif] [--config file]', 'pgperf explain'],
    [['lint', '-h'], 'pgperf lint [paths…]', 'pgperf bench'],
    [['explain', '--help'], 'pgperf explain [--analyze] [--yes] [--format text|json] [--generic] [--param V]… [--allow-irreversible]', 'pgperf lint'],
    [['explain', '-h'], '(SQL | --file F [--line N] | --compare-fix F:LINE [--rule ID] [--runs N])', 'pgperf bench'],
    [['bench', '--help'], 'pgperf bench hnsw [--dim N]', 'pgperf lint'],
    [['bench', '-h'], 'pgperf bench rls [--rows N]', 'pgperf explain'],
    [['bench', 'hnsw', '--help'], 'pgperf bench hnsw [--dim N] [--count N] [--queries N] [--distribution clustered|uniform]', 'pgperf bench rls'],
    [['bench', 'hnsw', '-h'], '[--recall-target 0.95] [--seed N] [--table T --column C] [--yes] [--json F] [--csv F]', 'pgperf bench rls'],
    [['bench', 'rls', '--help'], 'pgperf bench rls [--rows N] [--rounds N] [--yes] [--json F]', 'pgperf bench hnsw'],
    [['bench', 'rls', '-h'], 'pgperf bench rls [--rows N]', 'pgperf bench hnsw'],
    [['rules', '--help'], 'pgperf rules [--format text|json]', 'pgperf docs'],
    [['rules', '-h'], 'pgperf rules [--format text|json]', 'pgperf lint'],
    [['docs', '--help'], 'pgperf docs <folder>', 'pgperf rules'],
    [['docs', '-h'], 'pgperf docs <folder>', 'pgperf lint'],
    [['lsp', '--help'], 'pgperf lsp --stdio', 'pgperf lint'],
    [['help', 'bench', 'hnsw'], 'pgperf bench hnsw [--dim N]', 'pgperf bench rls'],
    [['help', 'explain'], 'pgperf explain [--analyze]', 'pgperf lint'],
    // Help wins over any other mistake on the line.
    [['lint', '--format', 'xml', '--help'], 'pgperf lint [paths…]', 'pgperf explain'],
    [['bench', 'hnsw', '--dim', '99999', '--bogus', '-h'], 'pgperf bench hnsw [--dim N]', 'pgperf bench rls'],
  ];

  it.each(CASES)('%j: exit 0, its usage on stdout, nothing on stderr', async (args, mine, other) => {
    const r = await run(args, dir);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toContain(mine);
    if (other !== undefined) {
      expect(r.out).toMatch(/^Usage:\n/);
      expect(r.out).not.toContain(other);
    }
  });

  it('"--help" after "--" or as an option\'s value is no request for help', async () => {
    // After "--" it is the SQL (a comment: no statement).
    expectUsageError(await run(['explain', '--', '--help'], dir), 'no SQL statement given');
    // As a value of --param it looks like a forgotten value.
    expectUsageError(await run(['explain', '--param', '-h', 'SELECT $1'], dir), '--param needs a value, not the option-like "-h"');
  });

  it('help on a command that does not exist is a usage error naming the ones that do', async () => {
    expectUsageError(
      await run(['help', 'frobnicate'], dir),
      'no help on "frobnicate" (there is: lint, explain, bench, bench hnsw, bench rls, health, data, whatif, rules, docs, lsp)',
    );
  });
});

describe("option mistakes are pgperf's own one-line messages", () => {
  it.each([
    [
      ['lint', '--bogus'],
      'unknown option "--bogus" for pgperf lint ("pgperf lint --help" lists its options; an argument that starts with "-" goes after "--")',
    ],
    [['explain', '--bogus', 'SELECT 1'], 'unknown option "--bogus" for pgperf explain ("pgperf explain --help" lists its options'],
    [['bench', 'hnsw', '--bogus'], 'unknown option "--bogus" for pgperf bench hnsw ("pgperf bench hnsw --help" lists its options)'],
    [['bench', 'rls', '--csv', 'x.csv'], 'unknown option "--csv" for pgperf bench rls'],
    [['docs', '-x', 'out'], 'unknown option "-x" for pgperf docs'],
    [['rules', 'extra'], 'pgperf rules takes options only, not "extra" ("pgperf rules --help" lists its options)'],
    [['bench', 'rls', 'extra'], 'pgperf bench rls takes options only, not "extra"'],
    [['explain', '--format'], '--format needs a value'],
    [['lint', '--config'], '--config needs a value'],
    [['bench', 'rls', '--yes=1'], '--yes takes no value (got "--yes=1")'],
    [['frobnicate'], 'unknown command "frobnicate": "pgperf --help" lists the commands'],
    [['bench', 'ivfflat'], 'unknown benchmark "ivfflat" (hnsw or rls): "pgperf bench --help" describes both'],
  ])('%j → exit 2: %s', async (args, message) => {
    const r = await run(args, dir);
    expectUsageError(r, message);
    // Node's wording, with its unbalanced quote, never reaches the user.
    expect(r.err).not.toMatch(/To specify a positional argument|Unknown option '/);
    expect((r.err.match(/"/g) ?? []).length % 2).toBe(0);
  });
});

describe('pgperf docs', () => {
  it('onto an existing file: one line, exit 2, the file untouched', async () => {
    expectUsageError(await run(['docs', 'a-file'], dir), 'docs: a-file exists and is not a folder');
    expectUsageError(
      await run(['docs', 'a-file/pages'], dir),
      'docs: cannot create the folder a-file/pages: a part of the path is a file, not a folder (ENOTDIR)',
    );
    expectUsageError(await run(['docs'], dir), 'docs needs one folder (got none)');
  });

  it('into a new folder (and its missing parents): one page per rule, exit 0', async () => {
    const r = await run(['docs', 'pages/rules'], dir);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(`wrote ${RULES.length} rule pages to pages/rules\n`);
    expect(readdirSync(join(dir, 'pages', 'rules')).sort()).toEqual(RULES.map((x) => `${x.meta.id}.md`).sort());
  });
});

describe('output paths are checked before any work', () => {
  const TINY_HNSW = ['--dim', '4', '--count', '20', '--queries', '2', '--k', '2', '--m', '2', '--ef-construction', '4', '--ef-search', '2'];
  const CASES: [string[], string][] = [
    [['bench', 'rls', '--json', 'missing/x.json'], '--json missing/x.json: no such folder missing (create it first)'],
    [['bench', 'hnsw', ...TINY_HNSW, '--json', 'missing/x.json'], '--json missing/x.json: no such folder missing'],
    [['bench', 'hnsw', ...TINY_HNSW, '--csv', 'missing/deeper/x.csv'], '--csv missing/deeper/x.csv: no such folder missing/deeper'],
    [['bench', 'hnsw', ...TINY_HNSW, '--json', 'ok.json', '--csv', 'a-file/x.csv'], '--csv a-file/x.csv: a-file is not a folder'],
    [['bench', 'rls', '--json', 'out'], '--json out: is a folder, not a file'],
    [['bench', 'hnsw', ...TINY_HNSW, '--json', 'same.txt', '--csv', './same.txt'], '--json and --csv name the same file ./same.txt'],
  ];

  it.each(CASES)('embedded default: %j exits 2 before the database opens', async (args, message) => {
    const r = await run(args, dir);
    expectUsageError(r, message);
    // The run says which database it opens before any work: it stopped at the arguments.
    expect(r.err).not.toContain('embedded database');
    for (const f of ['ok.json', 'same.txt', 'missing']) expect(existsSync(join(dir, f))).toBe(false);
  });

  it.each(CASES)('DATABASE_URL to a listening socket: %j makes no connection', async (args, message) => {
    const l = await listener();
    try {
      expectUsageError(await run([...args, '--yes'], dir, { DATABASE_URL: l.url }), message);
      expect(l.connections()).toBe(0);
    } finally {
      await l.close();
    }
  });

  describe('on the real PostgreSQL server', () => {
    let db: Database;
    const scratch = async () => {
      const schemas = (await q(db, "SELECT nspname AS n FROM pg_namespace WHERE nspname LIKE 'pgperf%' ORDER BY 1")).rows.map((r) => String(r.n));
      const roles = (await q(db, "SELECT rolname AS n FROM pg_roles WHERE rolname LIKE 'pgperf%' ORDER BY 1")).rows.map((r) => String(r.n));
      return { schemas, roles };
    };
    beforeAll(async () => {
      db = await openTestServer();
    });
    afterAll(async () => {
      await db?.close();
    });

    it.each([
      [['bench', 'rls', '--rows', '200', '--rounds', '2', '--json', 'missing/rls.json']],
      [['bench', 'hnsw', ...TINY_HNSW, '--csv', 'missing/hnsw.csv']],
    ])('%j: exit 2 before connecting, no pgperf schema or role created', async (args) => {
      const before = await scratch();
      const r = await run(args, dir, { DATABASE_URL: TEST_URL });
      expectUsageError(r, 'no such folder missing');
      expect(r.err).not.toContain('database:');
      const after = await scratch();
      // Only schemas and roles that were already there (another run's) may remain.
      expect(after.schemas.filter((s) => !before.schemas.includes(s))).toEqual([]);
      expect(after.roles.filter((s) => !before.roles.includes(s))).toEqual([]);
    });
  });
});

describe('pgperf explain: a statement EXPLAIN cannot run is bad usage, refused before any database', () => {
  it.each([
    ['BEGIN', 'EXPLAIN cannot run BEGIN: it explains SELECT'],
    ['VACUUM items', 'EXPLAIN cannot run VACUUM'],
    ['CREATE TABLE t (id int)', 'EXPLAIN cannot run CREATE TABLE'],
    ['SELEC 1', 'syntax error'],
  ])('%s → exit 2 (embedded default: not opened)', async (sql, message) => {
    const r = await run(['explain', sql], dir);
    expectUsageError(r, message);
    expect(r.err).not.toContain('database:');
  });

  it('with DATABASE_URL to a listening socket: no connection', async () => {
    const l = await listener();
    try {
      expectUsageError(await run(['explain', 'VACUUM items'], dir, { DATABASE_URL: l.url }), 'EXPLAIN cannot run VACUUM');
      expect(l.connections()).toBe(0);
    } finally {
      await l.close();
    }
  });

  it('a statement it can run still reaches the database (exit 0 on the real server)', async () => {
    const r = await run(['explain', 'SELECT 1'], dir, { DATABASE_URL: TEST_URL });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Result');
  });
});

describe('database settings that do not parse are bad usage; a server that refuses is not', () => {
  const SETTINGS: [string, Record<string, string>, string][] = [
    ['DATABASE_URL=notaurl', { DATABASE_URL: 'notaurl' }, 'DATABASE_URL is not a postgres:// URL'],
    ['PGPORT=abc', { PGPORT: 'abc' }, 'PGPORT="abc" is not a port number (1 to 65535)'],
    ['PGSSLMODE=bogus', { PGHOST: '127.0.0.1', PGSSLMODE: 'bogus' }, 'PGSSLMODE="bogus" is not one of'],
  ];
  const COMMANDS: [string, string[]][] = [
    ['explain', ['explain', 'SELECT 1']],
    ['bench hnsw', ['bench', 'hnsw', '--dim', '4', '--count', '20', '--queries', '2', '--k', '2', '--m', '2', '--ef-construction', '4', '--ef-search', '2']],
    ['bench rls', ['bench', 'rls', '--rows', '200', '--rounds', '2']],
  ];
  it.each(COMMANDS.flatMap(([name, args]) => SETTINGS.map(([what, vars, message]) => [name, what, args, vars, message] as const)))(
    '%s with %s: exit 2, one line',
    async (_name, _what, args, vars, message) => {
      const r = await run(args, dir, vars);
      expectUsageError(r, `pgperf: ${message}`);
    },
  );

  it.each(COMMANDS)('%s against a port nothing listens on: exit 1 (the database, not the user)', async (_name, args) => {
    const r = await run(args, dir, { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test' });
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/cannot reach 127\.0\.0\.1:1\/test/);
    expect(r.err).not.toMatch(/^\s+at /m);
  });
});

describe('no stack trace on a user error in lint', () => {
  it('a path that does not exist, a config that is not JSON: one line, exit 2', async () => {
    expectUsageError(await run(['lint', 'nope.sql'], dir), 'no such file or directory: nope.sql');
    writeFileSync(join(dir, 'bad.json'), '{ not json');
    expectUsageError(await run(['lint', '--config', 'bad.json', 'a-file'], dir), 'bad.json: invalid JSON');
    expectUsageError(await run(['lint', '--format', 'xml'], dir), 'unknown format "xml" (text, json or sarif)');
  });
});

describe('the top level', () => {
  it('an unexpected error is one line asking for a report, exit 2, no stack trace', async () => {
    let err = '';
    const io = {
      out: () => {
        throw new Error('stdout closed\n    at somewhere (x.js:1:1)');
      },
      err: (s: string) => (err += s),
      cwd: dir,
      color: false,
    };
    const debug = process.env.PGPERF_DEBUG;
    delete process.env.PGPERF_DEBUG;
    try {
      expect(await main(['rules'], io)).toBe(2);
    } finally {
      if (debug !== undefined) process.env.PGPERF_DEBUG = debug;
    }
    expect(err).toBe('pgperf: internal error (please report it): stdout closed\n');
  });
});
