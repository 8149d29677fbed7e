/** The built `pgperf` command, run as a user runs it (a child process on the bundle in dist/). */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RULES } from '../../server/src/analysis/rules/index';

const BIN = resolve(__dirname, '../../bin/pgperf.js');

function run(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pgperf-cli-'));
  mkdirSync(join(dir, 'db', 'schema'), { recursive: true });
  mkdirSync(join(dir, 'node_modules', 'x'), { recursive: true });
  writeFileSync(join(dir, 'db', 'schema', 'tables.sql'), 'CREATE TABLE items (id int PRIMARY KEY, name text);\n');
  writeFileSync(join(dir, 'db', 'maintenance.sql'), "-- café ☕\nSELECT 'é';\nVACUUM FULL items;\n");
  writeFileSync(join(dir, 'db', 'broken.sql'), 'SELECT 1;\nSELEC 2;\n');
  writeFileSync(join(dir, 'node_modules', 'x', 'ignored.sql'), 'VACUUM FULL ignored;\n');
  writeFileSync(join(dir, 'warn.sql'), 'REINDEX TABLE items;\n');
});

describe('pgperf CLI', () => {
  it('--help and --version exit 0; no command or a bad one exits 2', () => {
    const help = run(['--help'], dir);
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/pgperf lint \[paths…\] \[--format text\|json\|sarif\] \[--config file\]/);
    expect(run(['--version'], dir).out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(run([], dir).code).toBe(2);
    const bad = run(['frobnicate'], dir);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/unknown command "frobnicate"/);
  });

  it('bad usage exits 2 with a clear message', () => {
    expect(run(['lint', '--format', 'xml'], dir)).toMatchObject({ code: 2, err: expect.stringMatching(/unknown format "xml"/) });
    expect(run(['lint', '--frobnicate'], dir)).toMatchObject({ code: 2, err: expect.stringMatching(/--frobnicate/) });
    expect(run(['lint', 'missing.sql'], dir)).toMatchObject({ code: 2, err: expect.stringMatching(/no such file or directory: missing.sql/) });
  });

  it('text output: file:line:col severity rule message, a summary, exit 1 on an error finding, no colour off a TTY', () => {
    const r = run(['lint', 'db'], dir);
    expect(r.code).toBe(1);
    const lines = r.out.trimEnd().split('\n');
    expect(lines).toContain('db/broken.sql:2:1 error syntax-error syntax error at or near "SELEC"');
    expect(lines.some((l) => l.startsWith('db/maintenance.sql:3:8 warning vacuum-full VACUUM FULL holds'))).toBe(true);
    expect(lines[lines.length - 1]).toBe('3 files, 5 statements: 1 error, 1 warning, 0 infos');
    expect(r.out).not.toContain('\x1b[');
    expect(r.out).not.toMatch(/node_modules/);
  });

  it('exit 0 when the worst finding is a warning', () => {
    const r = run(['lint', 'warn.sql'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^warn.sql:1:1 warning reindex-concurrently /);
  });

  it('JSON output has 1-based positions, fixes and a summary', () => {
    const r = run(['lint', 'warn.sql', '--format', 'json'], dir);
    const j = JSON.parse(r.out);
    expect(j.summary).toEqual({ files: 1, statements: 1, error: 0, warning: 1, info: 0 });
    expect(j.findings[0]).toMatchObject({ file: 'warn.sql', line: 1, column: 1, endLine: 1, endColumn: 14, ruleId: 'reindex-concurrently' });
    expect(j.findings[0].fix.edits).toEqual([{ start: 13, end: 13, newText: ' CONCURRENTLY' }]);
  });

  it('SARIF 2.1.0: rule metadata for every rule, results with relative URIs and 1-based regions', () => {
    const r = run(['lint', '.', '--format', 'sarif'], dir);
    expect(r.code).toBe(1);
    const region = z.object({
      startLine: z.number().int().min(1),
      startColumn: z.number().int().min(1),
      endLine: z.number().int().min(1),
      endColumn: z.number().int().min(1),
    });
    const sarif = z
      .object({
        $schema: z.string().url(),
        version: z.literal('2.1.0'),
        runs: z
          .array(
            z.object({
              tool: z.object({
                driver: z.object({
                  name: z.literal('pgperf'),
                  version: z.string(),
                  rules: z.array(
                    z.object({
                      id: z.string(),
                      shortDescription: z.object({ text: z.string().min(10) }),
                      fullDescription: z.object({ text: z.string().min(10) }),
                      help: z.object({ text: z.string(), markdown: z.string() }),
                      defaultConfiguration: z.object({ level: z.enum(['error', 'warning', 'note']) }),
                    }),
                  ),
                }),
              }),
              columnKind: z.literal('utf16CodeUnits'),
              results: z.array(
                z.object({
                  ruleId: z.string(),
                  ruleIndex: z.number().int().min(0),
                  level: z.enum(['error', 'warning', 'note']),
                  message: z.object({ text: z.string().min(1) }),
                  locations: z
                    .array(
                      z.object({ physicalLocation: z.object({ artifactLocation: z.object({ uri: z.string(), uriBaseId: z.literal('%SRCROOT%') }), region }) }),
                    )
                    .length(1),
                }),
              ),
            }),
          )
          .length(1),
      })
      .parse(JSON.parse(r.out));
    const run0 = sarif.runs[0];
    expect(run0.tool.driver.rules.map((x) => x.id)).toEqual(RULES.map((x) => x.meta.id));
    for (const res of run0.results) expect(run0.tool.driver.rules[res.ruleIndex].id).toBe(res.ruleId);
    const vacuum = run0.results.find((x) => x.ruleId === 'vacuum-full')!;
    expect(vacuum.locations[0].physicalLocation.artifactLocation.uri).toBe('db/maintenance.sql');
    expect(vacuum.locations[0].physicalLocation.region).toEqual({ startLine: 3, startColumn: 8, endLine: 3, endColumn: 12 });
    expect(run0.results.map((x) => x.locations[0].physicalLocation.artifactLocation.uri)).not.toContain('node_modules/x/ignored.sql');
  });

  it('--config: severities apply, bad values are reported with their path, unreadable or invalid files exit 2', () => {
    writeFileSync(join(dir, 'strict.json'), JSON.stringify({ rules: { 'reindex-concurrently': 'error', 'vacuum-full': 'sometimes' }, tenantColumn: 7 }));
    const r = run(['lint', 'warn.sql', '--config', 'strict.json'], dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/warn.sql:1:1 error reindex-concurrently/);
    expect(r.err).toMatch(/strict.json: rules.vacuum-full: .* \(ignored\)/);
    expect(r.err).toMatch(/strict.json: tenantColumn: .* \(ignored\)/);

    expect(run(['lint', 'warn.sql', '--config', 'nope.json'], dir)).toMatchObject({
      code: 2,
      err: expect.stringMatching(/cannot read config nope.json: ENOENT/),
    });
    writeFileSync(join(dir, 'broken.json'), '{ "rules": ');
    expect(run(['lint', 'warn.sql', '--config', 'broken.json'], dir)).toMatchObject({ code: 2, err: expect.stringMatching(/broken.json: invalid JSON/) });
  });

  it('reads .pgperf.json from the working folder', () => {
    const sub = join(dir, 'withconfig');
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, 'a.sql'), 'VACUUM FULL t;\n');
    writeFileSync(join(sub, '.pgperf.json'), JSON.stringify({ rules: { 'vacuum-full': 'off' } }));
    const r = run(['lint'], sub);
    expect(r.code).toBe(0);
    expect(r.out).toBe('1 file, 1 statement: 0 errors, 0 warnings, 0 infos\n');
  });
});
