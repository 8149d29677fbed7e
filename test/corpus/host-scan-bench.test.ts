/**
 * The embedded-SQL scan benchmark (bench/host-scan.mjs) runs as a user runs it, on the built bundles in dist/,
 * over the apps corpus (../shared/corpus/apps): its JSON has every field, with values that agree with the corpus.
 * Timing targets are the benchmark's business, never a test's. (bench/host-edit.mjs, which needs no corpus, is
 * tested in test/bench/host-bench.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../server/src/analysis/config';
import { matchesGlobs } from '../../server/src/analysis/glob';

const ROOT = resolve(__dirname, '../..');
const APPS = resolve(ROOT, '../shared/corpus/apps');

function bench(script: string, args: string[]): Record<string, any> {
  const r = spawnSync(process.execPath, [join(ROOT, 'bench', script), ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${script} exited ${r.status}:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

const LANGUAGE: Record<string, string> = {
  '.ts': 'typescript',
  '.mts': 'typescript',
  '.cts': 'typescript',
  '.tsx': 'typescript',
  '.js': 'javascript',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
  '.jsx': 'javascript',
  '.py': 'python',
  '.go': 'go',
  '.rs': 'rust',
};

/**
 * The corpus's files by kind, counted apart from the bench: a walk of each application (its own workspace) with the
 * default include/exclude globs, which leave host test code out.
 */
function corpusFiles(): { sql: number; host: Record<string, number> } {
  const out = { sql: 0, host: {} as Record<string, number> };
  const walk = (root: string, d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(root, full);
      else if (!matchesGlobs(relative(root, full).split(sep).join('/'), DEFAULT_CONFIG.include, DEFAULT_CONFIG.exclude)) continue;
      else if (e.name.endsWith('.sql')) out.sql++;
      else if (LANGUAGE[extname(e.name)]) {
        const lang = LANGUAGE[extname(e.name)]!;
        out.host[lang] = (out.host[lang] ?? 0) + 1;
      }
    }
  };
  for (const app of readdirSync(APPS, { withFileTypes: true })) if (app.isDirectory()) walk(join(APPS, app.name), join(APPS, app.name));
  return out;
}

const positiveTiming = (t: Record<string, number>) => {
  expect(Object.keys(t).sort()).toEqual(['max', 'median', 'min', 'p90']);
  expect(t.min).toBeGreaterThan(0);
  expect(t.median).toBeGreaterThanOrEqual(t.min!);
  expect(t.p90).toBeGreaterThanOrEqual(t.median!);
  expect(t.max).toBeGreaterThanOrEqual(t.p90!);
};

describe('bench/host-scan.mjs', () => {
  it('reports both scans of the apps corpus, per MB of SQL, with SQL strings found in every language', () => {
    const r = bench('host-scan.mjs', ['--runs', '1', '--warmup', '0']);
    const files = corpusFiles();
    const hostTotal = Object.values(files.host).reduce((n, x) => n + x, 0);
    expect(r).toMatchObject({ bench: 'host-scan', applications: 14, runs: 1, warmup: 0, fileReadingTimed: false, targetRatio: 1.5, internalErrors: 0 });
    expect(r.sqlOnly.files).toBe(files.sql);
    expect(r.withHost.files).toBe(files.sql + hostTotal);
    expect(r.withHost.hostFiles).toBe(hostTotal);
    for (const scan of [r.sqlOnly, r.withHost]) {
      positiveTiming(scan.msPerRun);
      expect(scan.sqlMB).toBeGreaterThan(0);
      expect(scan.msPerSqlMB).toBeCloseTo(scan.msPerRun.median / scan.sqlMB, -1);
      expect(scan.findings).toBeGreaterThan(0);
    }
    // (b) finds the .sql files' SQL and more; the host files are larger than the SQL in them
    expect(r.withHost.sqlMB).toBeGreaterThan(r.sqlOnly.sqlMB);
    expect(r.withHost.hostMB).toBeGreaterThan(r.withHost.sqlMB - r.sqlOnly.sqlMB);
    expect(Object.keys(r.withHost.languages).sort()).toEqual(Object.keys(files.host).sort());
    let strings = 0;
    for (const [lang, l] of Object.entries<Record<string, number>>(r.withHost.languages)) {
      expect(l.files, lang).toBe(files.host[lang]);
      expect(l.sqlStrings, lang).toBeGreaterThan(0);
      expect(l.filesWithSql, lang).toBeGreaterThan(0);
      expect(l.filesWithSql, lang).toBeLessThanOrEqual(l.files!);
      expect(l.sqlStrings, lang).toBeGreaterThanOrEqual(l.filesWithSql!);
      expect(l.sqlViewMB, lang).toBeGreaterThan(0);
      expect(l.syntaxErrors, lang).toBeLessThanOrEqual(l.findings!);
      strings += l.sqlStrings!;
    }
    expect(r.withHost.sqlStrings).toBe(strings);
    expect(r.ratioPerSqlMB).toBeCloseTo(r.withHost.msPerSqlMB / r.sqlOnly.msPerSqlMB, 2);
    expect(r.pass).toBe(r.ratioPerSqlMB <= 1.5);
    // (d), the host parse alone: files the prefilter lets through, parsed and nothing read; the floor under (b).
    expect(r.hostParseOnly.filesParsed).toBeGreaterThan(0);
    expect(r.hostParseOnly.filesParsed).toBeLessThanOrEqual(hostTotal);
    expect(r.hostParseOnly.parsedMB).toBeGreaterThan(0);
    expect(r.hostParseOnly.msPerRun.median).toBeGreaterThan(0);
    expect(r.singleThreadFloorRatio).toBeCloseTo((r.sqlOnly.msPerRun.median + r.hostParseOnly.msPerRun.median) / r.withHost.sqlMB / r.sqlOnly.msPerSqlMB, 1);
    expect(r.singleThreadFloorRatio).toBeLessThan(r.ratioPerSqlMB);
    expect(r.initParserMs).toBeGreaterThan(0);
    expect(r.initEmbeddedMs).toBeGreaterThan(0);
  }, 180_000);
});
