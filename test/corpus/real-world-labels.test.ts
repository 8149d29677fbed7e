/**
 * The judged sample on the real-world corpus (../shared/corpus/real-world: sqlfluff fixtures and the PostgreSQL
 * regression suite), test/fixtures/corpus-labels/real-world-labels.json: findings read by hand, each with a
 * verdict and why. The corpus is linted as one workspace, as `pgperf lint .` in that folder does. As in
 * apps.test.ts, every finding judged right must still be reported; a judged finding that is gone is listed (the
 * rule no longer fires there), not failed. A label that is still reported must flag the same source text, and
 * every label must point at source that is really there, so a stale or mistyped label fails rather than
 * silently matching nothing.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintSources } from '../../server/src/analysis/engine';

const CORPUS = resolve(__dirname, '../../../shared/corpus/real-world');
const LABELS = resolve(__dirname, '../fixtures/corpus-labels/real-world-labels.json');

interface Label {
  corpus: 'real-world';
  file: string;
  line: number;
  ruleId: string;
  text: string;
  verdict: 'true' | 'false' | 'debatable';
  why: string;
}

function sqlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sqlFiles(join(dir, e.name)) : e.name.endsWith('.sql') ? [join(dir, e.name)] : [],
  );
}

const keyOf = (f: { file: string; line: number; ruleId: string }) => `${f.file}|${f.line}|${f.ruleId}`;

describe('real-world corpus: the judged sample', () => {
  const labels = JSON.parse(readFileSync(LABELS, 'utf8')) as Label[];

  it('every label names real source: its file, and its text on its line', () => {
    expect(existsSync(CORPUS), `corpus missing at ${CORPUS}`).toBe(true);
    expect(labels.length).toBeGreaterThanOrEqual(10);
    const bad: string[] = [];
    for (const l of labels) {
      const k = keyOf(l);
      if (l.corpus !== 'real-world') bad.push(`${k}: corpus ${l.corpus}`);
      if (!['true', 'false', 'debatable'].includes(l.verdict)) bad.push(`${k}: verdict ${l.verdict}`);
      if (l.why.length < 40) bad.push(`${k}: why too short`);
      const path = join(CORPUS, l.file);
      if (!existsSync(path)) {
        bad.push(`${k}: no such file`);
        continue;
      }
      const line = readFileSync(path, 'utf8').split('\n')[l.line - 1] ?? '';
      if (!line.includes(l.text.split('\n')[0])) bad.push(`${k}: ${JSON.stringify(l.text)} is not on that line`);
    }
    expect(bad).toEqual([]);
    expect(new Set(labels.map(keyOf)).size, 'one label per finding').toBe(labels.length);
  });

  it('every finding judged right is still reported; a judged finding still reported flags the same text', () => {
    const result = lintSources(sqlFiles(CORPUS).map((path) => ({ path, text: readFileSync(path, 'utf8') })));
    expect(result.internalErrors).toEqual([]);
    const reported = new Map<string, string>();
    for (const { file, findings } of result.files) {
      for (const f of findings) {
        const line = file.source.positionAt(f.start).line + 1;
        reported.set(keyOf({ file: relative(CORPUS, file.path), line, ruleId: f.ruleId }), file.text.slice(f.start, Math.min(f.end, f.start + 100)));
      }
    }
    const missing = labels.filter((l) => l.verdict === 'true' && !reported.has(keyOf(l)));
    expect(missing.map((l) => `${keyOf(l)}: ${l.why}`)).toEqual([]);

    const gone = labels.filter((l) => !reported.has(keyOf(l)));
    // Not a failure: a debatable or wrong finding that is gone is a rule change to look at, usually progress.
    if (gone.length > 0) console.log(`judged findings no longer reported (${gone.length}):\n${gone.map((l) => `${keyOf(l)} (${l.verdict})`).join('\n')}`);
    const moved = labels.filter((l) => reported.has(keyOf(l)) && reported.get(keyOf(l)) !== l.text);
    expect(moved.map((l) => `${keyOf(l)}: label ${JSON.stringify(l.text)}, now ${JSON.stringify(reported.get(keyOf(l)))}`)).toEqual([]);

    const wrong = labels.filter((l) => l.verdict === 'false' && reported.has(keyOf(l)));
    // Listed, not failed: the ≤ 2 % bound is asserted on the apps samples; these are the rule fixes still owed.
    if (wrong.length > 0) console.log(`findings judged wrong, still reported (${wrong.length}):\n${wrong.map((l) => `${keyOf(l)}: ${l.why}`).join('\n')}`);
  });
});
