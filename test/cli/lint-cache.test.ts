/**
 * The lint cache of `pgperf lint`, through the built CLI as a user runs it: a run with nothing changed prints what
 * the run without the cache prints, byte for byte; any change to an input gives that change's output; a damaged,
 * forged or unwritable cache costs time only. Host files' SQL strings are read back from the cache after a change
 * elsewhere (shown by an entry edited in the file reaching the output).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { beforeEach, describe, expect, it } from 'vitest';

const BIN = resolve(__dirname, '../../bin/pgperf.js');

let dir: string;
let cacheHome: string;

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, 'lint', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '', XDG_CACHE_HOME: cacheHome, ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The cache file of the working folder (one per folder in pgperf's cache folder). */
function cacheFile(): string {
  const files = readdirSync(join(cacheHome, 'pgperf')).filter((f) => f.endsWith('.cache'));
  expect(files).toHaveLength(1);
  return join(cacheHome, 'pgperf', files[0]!);
}

interface CacheShape {
  runs: Map<string, unknown>;
  hosts: Map<string, { sql: { sql: string; starts: Int32Array; ends: Int32Array }[] }>;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgperf-cache-'));
  cacheHome = mkdtempSync(join(tmpdir(), 'pgperf-cache-home-'));
  mkdirSync(join(dir, 'migrations'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'migrations', '001_items.sql'), 'CREATE TABLE items (id bigint PRIMARY KEY, name text, created_at timestamptz);\n');
  writeFileSync(join(dir, 'queries.sql'), 'SELECT id, name FROM items ORDER BY id LIMIT 10 OFFSET 20;\n');
  writeFileSync(
    join(dir, 'src', 'items.ts'),
    'export async function page(db: any, after: number) {\n  return db.query(`SELECT id, name FROM items WHERE id > ${after} ORDER BY id LIMIT 10 OFFSET 40`);\n}\n',
  );
});

describe('pgperf lint cache', () => {
  it('a second run with nothing changed prints the same bytes and exit code as a run without the cache', () => {
    for (const format of ['json', 'text', 'sarif']) {
      const uncached = run(['--format', format, '--no-cache']);
      const first = run(['--format', format]);
      const second = run(['--format', format]);
      expect(uncached.out.length).toBeGreaterThan(0);
      expect(first).toEqual(uncached);
      expect(second).toEqual(uncached);
    }
    const runs = (deserialize(readFileSync(cacheFile())) as CacheShape).runs;
    expect(runs.size).toBe(3);
  });

  it('--no-cache leaves no cache file; --no-cache with --cache-location is bad usage', () => {
    run(['--no-cache']);
    expect(existsSync(join(cacheHome, 'pgperf'))).toBe(false);
    const both = run(['--no-cache', '--cache-location', 'x.cache']);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/--no-cache and --cache-location do not go together/);
    expect(both.err).not.toMatch(/\n\s+at /);
  });

  it('a change to any input gives that change: a file, a new file, the configuration, a host file', () => {
    run(['--format', 'json']);
    const offsets = (out: string) => (JSON.parse(out) as { findings: { ruleId: string }[] }).findings.filter((f) => f.ruleId === 'offset-pagination').length;
    expect(offsets(run(['--format', 'json']).out)).toBe(2);
    appendFileSync(join(dir, 'queries.sql'), 'SELECT id FROM items ORDER BY id LIMIT 5 OFFSET 5;\n');
    expect(offsets(run(['--format', 'json']).out)).toBe(3);
    writeFileSync(join(dir, 'more.sql'), 'SELECT name FROM items ORDER BY id LIMIT 5 OFFSET 50;\n');
    expect(offsets(run(['--format', 'json']).out)).toBe(4);
    writeFileSync(join(dir, '.pgperf.json'), JSON.stringify({ rules: { 'offset-pagination': 'off' } }));
    expect(offsets(run(['--format', 'json']).out)).toBe(0);
    writeFileSync(join(dir, '.pgperf.json'), '{}');
    writeFileSync(join(dir, 'src', 'items.ts'), 'export const q = (db: any) => db.query(`SELECT id FROM items`);\n');
    const after = run(['--format', 'json']);
    expect(offsets(after.out)).toBe(3);
    expect(after).toEqual(run(['--format', 'json', '--no-cache']));
  });

  it('after a change elsewhere, a host file unchanged is read from the cache, not parsed again', () => {
    run(['--format', 'json']);
    // An entry edited in the cache file (same length, offsets inside the text) shows whether it is read back.
    const path = cacheFile();
    const data = deserialize(readFileSync(path)) as CacheShape;
    const [entry] = [...data.hosts.values()];
    expect(entry!.sql).toHaveLength(1);
    const original = entry!.sql[0]!.sql;
    entry!.sql[0]!.sql = 'VACUUM FULL items'.padEnd(original.length, ' ');
    writeFileSync(path, serialize(data));
    appendFileSync(join(dir, 'queries.sql'), 'SELECT 1;\n');
    expect(run(['--format', 'json']).out).toMatch(/"ruleId": "vacuum-full"/);
    expect(run(['--format', 'json', '--no-cache']).out).not.toMatch(/"ruleId": "vacuum-full"/);
  });

  it('a damaged, truncated, foreign or forged cache file is an empty cache: the output is the uncached one', () => {
    const uncached = run(['--format', 'json', '--no-cache']);
    run(['--format', 'json']);
    const path = cacheFile();
    const good = readFileSync(path);
    const variants: Buffer[] = [
      Buffer.from('not a cache at all'),
      good.subarray(0, good.length >> 1),
      serialize({ format: 'pgperf-lint-cache/1', build: 'another build', runs: new Map(), hosts: new Map() }),
      Buffer.alloc(0),
    ];
    // Forged: every kept run gone and each host extraction's offsets pointing past the end of its file.
    const forged = deserialize(good) as CacheShape;
    forged.runs.clear();
    for (const h of forged.hosts.values()) for (const e of h.sql) e.starts.fill(1_000_000);
    variants.push(serialize(forged));
    for (const bytes of variants) {
      writeFileSync(path, bytes);
      expect(run(['--format', 'json'])).toEqual(uncached);
    }
  });

  it('a cache that cannot be written is one line on stderr; the run and its exit code are unchanged', () => {
    const uncached = run(['--format', 'text', '--no-cache']);
    writeFileSync(join(dir, 'plain-file'), '');
    const r = run(['--format', 'text', '--cache-location', 'plain-file/inside.cache']);
    expect(r.out).toBe(uncached.out);
    expect(r.code).toBe(uncached.code);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^pgperf: the lint cache could not be saved to .*plain-file\/inside\.cache \(\w+\); --no-cache skips it/);
  });

  it('--cache-location keeps the cache in that file (relative to the working folder)', () => {
    const first = run(['--cache-location', 'ci/pgperf.cache']);
    expect(existsSync(join(dir, 'ci', 'pgperf.cache'))).toBe(true);
    expect(existsSync(join(cacheHome, 'pgperf'))).toBe(false);
    expect(run(['--cache-location', 'ci/pgperf.cache'])).toEqual(first);
  });
});
