/**
 * `npm run new-rule <id>` (scripts/new-rule.mjs), run with --root on a temporary copy of the analysis core and the
 * rule tester: the files it writes, that they type-check under the repository's compiler options, that the scaffold's
 * tests fail until real cases replace the placeholders, and that bad usage exits 2 having written nothing.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = resolve(__dirname, '../..');
const SCRIPT = join(REPO, 'scripts/new-rule.mjs');
const ID = 'seq-scan-join';

let tree: string;
const run = (...args: string[]) => spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', cwd: tree });
const read = (p: string) => readFileSync(join(tree, p), 'utf8');
const INDEX = 'server/src/analysis/rules/index.ts';

/** Every file of the tree with its text, to show that a refused run wrote nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && !e.parentPath.includes('node_modules')) out[join(e.parentPath, e.name)] = readFileSync(join(e.parentPath, e.name), 'utf8');
  }
  return out;
}

beforeAll(() => {
  tree = mkdtempSync(join(tmpdir(), 'pgperf-new-rule-'));
  mkdirSync(join(tree, 'server/src'), { recursive: true });
  mkdirSync(join(tree, 'test/rules'), { recursive: true });
  cpSync(join(REPO, 'server/src/analysis'), join(tree, 'server/src/analysis'), { recursive: true });
  for (const f of ['rule-tester.ts', 'setup.ts']) cpSync(join(REPO, 'test', f), join(tree, 'test', f));
  symlinkSync(join(REPO, 'node_modules'), join(tree, 'node_modules'), 'dir');
});
afterAll(() => rmSync(tree, { recursive: true, force: true }));

describe('new-rule', () => {
  it('refuses bad usage with exit 2 and one line, writing nothing', () => {
    const before = snapshot(tree);
    for (const [args, message] of [
      [[], /needs one rule id \(got none\)/],
      [['a-b', 'c-d'], /needs one rule id \(got 2\)/],
      [['SeqScan'], /'SeqScan' is not a kebab-case rule id/],
      [['seq_scan'], /not a kebab-case/],
      [['-x'], /Unknown option|not a kebab-case/],
      [['seq-'], /not a kebab-case/],
      [['seq--scan'], /not a kebab-case/],
      [['seq-scan2'], /not a kebab-case/],
      [['vacuum-full'], /rule vacuum-full exists/],
      [['or-chain', '--root', tree], /rule or-chain exists/],
      [[ID, '--root', join(tree, 'test')], /--root must be a pgperf repository/],
    ] as const) {
      const r = run(...args, ...((args as readonly string[]).includes('--root') ? [] : ['--root', tree]));
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stdout).toBe('');
    }
    expect(snapshot(tree)).toEqual(before);
  });

  it('prints its usage on --help, exit 0', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Usage: npm run new-rule <id>/);
  });

  it('writes the rule, its test and its registration, and names the next steps', () => {
    const index = read(INDEX);
    const r = run(ID, '--root', tree);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`created server/src/analysis/rules/${ID}.ts`);
    expect(r.stdout).toContain(`created test/rules/${ID}.test.ts`);
    expect(r.stdout).toContain(`npm run docs          (writes docs/rules/${ID}.md)`);
    expect(r.stdout).toContain('npm run contributes');

    const rule = read(`server/src/analysis/rules/${ID}.ts`);
    expect(rule).toContain('export const seqScanJoin = defineRule({');
    expect(rule).toContain(`id: '${ID}'`);
    for (const field of [
      'category:',
      'severity:',
      'fixable:',
      'summary:',
      'why:',
      'fix:',
      'bad:',
      'good:',
      'messages:',
      'check({ statement, report })',
      "messageId: 'todo'",
    ])
      expect(rule).toContain(field);

    // Two lines more in index.ts, both before unused-suppression (the file rules stay last), everything else as it was.
    const after = read(INDEX);
    const importLine = `import { seqScanJoin } from './${ID}';`;
    expect(after.split('\n').filter((l) => !index.split('\n').includes(l))).toEqual([importLine, '  seqScanJoin,']);
    expect(after.replace(`${importLine}\n`, '').replace('  seqScanJoin,\n', '')).toBe(index);
    expect(after.indexOf(importLine)).toBeLessThan(after.indexOf("import { unusedSuppression } from './unused-suppression';"));
    expect(after).toMatch(/,\n {2}seqScanJoin,\n {2}unusedSuppression,\n {2}hostParseTimeout,\n\];/);

    expect(read(`test/rules/${ID}.test.ts`)).toContain('ruleTester(seqScanJoin, {');
    // A second run for the same id is refused now that the rule exists.
    const again = run(ID, '--root', tree);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/rule seq-scan-join exists/);
  });

  it('the scaffold type-checks under the repository compiler options', () => {
    writeFileSync(
      join(tree, 'tsconfig.json'),
      JSON.stringify({ extends: join(REPO, 'tsconfig.json'), include: ['server/src/analysis', 'test/rule-tester.ts', `test/rules/${ID}.test.ts`] }),
    );
    const tsc = spawnSync(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', join(tree, 'tsconfig.json'), '--noEmit'], {
      encoding: 'utf8',
    });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 180_000);

  it('the scaffold tests fail until the placeholders are replaced', () => {
    writeFileSync(join(tree, 'vitest.config.mts'), "export default { test: { include: ['test/rules/*.test.ts'], setupFiles: ['test/setup.ts'] } };\n");
    const vitest = spawnSync(process.execPath, [join(REPO, 'node_modules/vitest/vitest.mjs'), 'run', '--root', tree, '--reporter', 'json'], {
      encoding: 'utf8',
      cwd: tree,
      // Not counted in the outer run's summary (.ci/run sums the suites through PGPERF_SUMMARY_FILE).
      env: { ...process.env, NO_COLOR: '1', PGPERF_SUMMARY_FILE: '' },
    });
    expect(vitest.status, vitest.stderr).toBe(1);
    const report = JSON.parse(vitest.stdout.slice(vitest.stdout.indexOf('{')));
    const results = report.testResults.flatMap(
      (f: { assertionResults: { fullName: string; status: string; failureMessages: string[] }[] }) => f.assertionResults,
    );
    expect(results.map((t: { fullName: string }) => t.fullName.split(' ').slice(0, 2).join(' '))).toEqual([`${ID} valid`, `${ID} invalid`]);
    for (const t of results) {
      expect(t.status).toBe('failed');
      expect(t.failureMessages.join('\n')).toMatch(/a placeholder case from npm run new-rule/);
    }
  }, 120_000);

  it('leaves the real repository alone', () => {
    expect(existsSync(join(REPO, `server/src/analysis/rules/${ID}.ts`))).toBe(false);
    expect(existsSync(join(REPO, `test/rules/${ID}.test.ts`))).toBe(false);
    expect(readFileSync(join(REPO, INDEX), 'utf8')).not.toContain('seqScanJoin');
  });
});
