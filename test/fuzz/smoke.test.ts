/**
 * The fuzzer's smoke run in npm test (issue 18): 2,000 seeded mutations of the repository's own SQL and host files
 * through the CLI's analysis (the built dist/cli.js), one in 50 also through the built language server over stdio.
 * Smaller sizes than the benchmark (bench/fuzz.mjs: 1 MB lines, 30,000-term chains, ../shared/corpus seeds), so it
 * stays well under a minute; the same checks: no crash, no stall, every range inside its document, every fix and
 * code-action edit applicable and adding no syntax error.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fuzz, type Analysis, type FuzzReport } from './drive';
import { repositorySeeds } from './seeds';

const root = join(__dirname, '../..');
const dist = join(root, 'dist');

describe('fuzz smoke run', () => {
  let analysis: Analysis;
  beforeAll(async () => {
    const cli = createRequire(__filename)(join(dist, 'cli.js'));
    await cli.initParser();
    await cli.initEmbedded();
    analysis = cli;
  });

  it('2,000 inputs: no crash, no stall over 1 s, no invalid edit, no range outside its document', { timeout: 180_000 }, async () => {
    const seeds = repositorySeeds(root);
    expect(seeds.length).toBeGreaterThan(20);
    // The example application's schema as the server's workspace: catalog-based rules and actions take part.
    const workspace = seeds.filter((s) => s.name.startsWith('examples/app/schema/')).map((s) => ({ ...s, name: s.name.slice('examples/app/'.length) }));
    expect(workspace.length).toBe(3);
    const report: FuzzReport = await fuzz({
      seed: 18,
      inputs: 2_000,
      seconds: 150,
      seeds,
      workspace,
      serverEvery: 50,
      distDir: dist,
      analysis,
      // Lines up to 100,000 characters and chains of 500 terms keep the run short; the benchmark (bench/fuzz.mjs) goes to
      // 1 MB lines and 30,000 terms.
      mutate: { maxChars: 100_000, maxTerms: 500 },
    });
    const summary = JSON.stringify({ ...report, problems: report.problems.slice(0, 10) }, null, 2);
    // Every input ran (not cut short by the time bound), and each path did real work.
    expect(report.inputs, summary).toBe(2_000);
    expect(report.serverInputs).toBe(40);
    expect(report.requests.hover).toBeGreaterThan(100);
    expect(report.requests.codeAction).toBeGreaterThan(80);
    expect(report.fixesChecked).toBeGreaterThan(500);
    expect(report.actionEditsChecked).toBeGreaterThan(50);
    expect(report.problems, summary).toEqual([]);
    expect({
      crashes: report.crashes,
      stalls: report.stalls,
      invalidEdits: report.invalidEdits,
      outOfRange: report.outOfRange,
      stderr: report.stderrErrors,
    }).toEqual({
      crashes: 0,
      stalls: 0,
      invalidEdits: 0,
      outOfRange: 0,
      stderr: 0,
    });
  });
});
