/** `pgperf lint` over a tree with a `.pgperf.json` in a subfolder: that folder is a project of its own. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { foldersAbove, groupByProject, projectOf } from '../../server/src/analysis/projects';

const BIN = resolve(__dirname, '../../bin/pgperf.js');

function lint(cwd: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'lint', ...args, '--format', 'json'], { cwd, encoding: 'utf8' });
  const json = JSON.parse(r.stdout) as { findings: { file: string; ruleId: string; severity: string }[]; configProblems: { file: string }[] };
  return { code: r.status, err: r.stderr, ...json };
}

describe('projects', () => {
  it('a file belongs to the deepest folder above it that holds a .pgperf.json', () => {
    const roots = ['apps/a', 'apps/a/fixtures', 'apps/b'];
    expect(projectOf('apps/a/m/1.sql', roots)).toBe('apps/a');
    expect(projectOf('apps/a/fixtures/x.sql', roots)).toBe('apps/a/fixtures');
    expect(projectOf('apps/ab/x.sql', roots)).toBe('');
    expect(projectOf('top.sql', roots)).toBe('');
    expect([...groupByProject(['apps/b/1.sql', 'top.sql', 'apps/a/1.sql'], (p) => p, roots).keys()]).toEqual(['', 'apps/a', 'apps/b']);
    expect(foldersAbove('/w/apps/a/m/1.sql', '/w')).toEqual(['/w/apps/a/m', '/w/apps/a', '/w/apps']);
  });

  describe('pgperf lint', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'pgperf-projects-'));
      for (const d of ['svc-a/migrations', 'svc-b/migrations']) mkdirSync(join(dir, d), { recursive: true });
      // Two services of a monorepo, each with its own `events` table: partitioned in one, plain in the other.
      writeFileSync(
        join(dir, 'svc-a/migrations/001_events.sql'),
        'CREATE TABLE events (id bigint, at timestamptz, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);\n',
      );
      writeFileSync(join(dir, 'svc-b/.pgperf.json'), JSON.stringify({ rules: { 'vacuum-full': 'off' } }));
      writeFileSync(
        join(dir, 'svc-b/migrations/001_events.sql'),
        'CREATE TABLE events (id bigint PRIMARY KEY);\nCREATE UNIQUE INDEX events_id ON events (id);\n',
      );
      writeFileSync(join(dir, 'svc-b/migrations/002_items.sql'), 'CREATE TABLE items (id int);\nVACUUM FULL items;\n');
      writeFileSync(join(dir, 'svc-a/migrations/002_items.sql'), 'CREATE TABLE items (id int);\nVACUUM FULL items;\n');
      writeFileSync(join(dir, 'svc-a/migrations/003_sessions.sql'), 'CREATE TABLE sessions (id int, status text);\n');
      writeFileSync(join(dir, 'svc-b/migrations/004_status.sql'), 'CREATE INDEX sessions_status ON sessions (status);\n');
    });

    it("gives the subfolder its own catalog: its plain table is not the other project's partitioned one", () => {
      const r = lint(dir);
      expect(r.err).toBe('');
      const of = (rule: string) => r.findings.filter((f) => f.ruleId === rule).map((f) => f.file);
      expect(of('partition-key-in-unique')).toEqual([]);
      // svc-b has no `sessions` table: svc-a's is not a live table of svc-b's migration.
      expect(of('create-index-concurrently')).toEqual([]);
      // Linted alone as one tree (the subfolder config removed), the index would be read against svc-a's table.
      const flat = mkdtempSync(join(tmpdir(), 'pgperf-projects-flat-'));
      for (const d of ['svc-a/migrations', 'svc-b/migrations']) mkdirSync(join(flat, d), { recursive: true });
      writeFileSync(join(flat, 'svc-a/migrations/003_sessions.sql'), 'CREATE TABLE sessions (id int, status text);\n');
      writeFileSync(join(flat, 'svc-b/migrations/004_status.sql'), 'CREATE INDEX sessions_status ON sessions (status);\n');
      expect(lint(flat).findings.map((f) => f.ruleId)).toEqual(['create-index-concurrently']);
    });

    it('gives the subfolder its own config', () => {
      const r = lint(dir);
      const vacuum = r.findings.filter((f) => f.ruleId === 'vacuum-full').map((f) => f.file);
      expect(vacuum).toEqual(['svc-a/migrations/002_items.sql']);
    });

    it('reports a subproject config problem under its own file name', () => {
      const bad = mkdtempSync(join(tmpdir(), 'pgperf-projects-bad-'));
      mkdirSync(join(bad, 'sub'));
      writeFileSync(join(bad, 'sub/.pgperf.json'), JSON.stringify({ rules: { 'no-such-rule': 'error' } }));
      writeFileSync(join(bad, 'sub/a.sql'), 'SELECT 1;\n');
      const r = lint(bad);
      expect(r.configProblems.map((p) => p.file)).toEqual(['sub/.pgperf.json']);
    });
  });
});
