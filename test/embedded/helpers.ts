/** Engine-level helpers for SQL embedded in host files: lint a mixed workspace, place findings, apply host fixes. */
import { expect } from 'vitest';
import { DEFAULT_CONFIG, type ResolvedConfig } from '../../server/src/analysis/config';
import { lintSources } from '../../server/src/analysis/engine';
import { applyEdits } from '../../server/src/analysis/fix';
import { extractSql, hostErrorCount } from '../../server/src/analysis/host';
import { parseSql } from '../../server/src/analysis/pg';
import type { Finding } from '../../server/src/analysis/types';

export type Workspace = Record<string, string>;

export function config(overrides: Partial<ResolvedConfig> = {}): ResolvedConfig {
  return { ...structuredClone(DEFAULT_CONFIG), ...overrides };
}

/** Every finding of the workspace, linted in one lintSources call (one catalog for .sql and host files). */
export function lintWorkspace(ws: Workspace, cfg: ResolvedConfig = config()): Finding[] {
  const result = lintSources(
    Object.entries(ws).map(([path, text]) => ({ path, text })),
    cfg,
  );
  expect(result.internalErrors).toEqual([]);
  return result.files.flatMap((f) => f.findings);
}

/**
 * The findings of `file` as `rule line:col text` (1-based, from finding.range), after checking that the range is
 * where the offsets are in the host text, by its own line arithmetic: the squiggle lands on the flagged text.
 */
export function placed(ws: Workspace, file: string, cfg?: ResolvedConfig): string[] {
  const text = ws[file];
  const lines = text.split('\n');
  return lintWorkspace(ws, cfg)
    .filter((f) => f.file === file)
    .map((f) => {
      const flagged = text.slice(f.start, f.end);
      const { start, end } = f.range;
      const lineStart = lines.slice(0, start.line).reduce((n, l) => n + l.length + 1, 0);
      expect(lineStart + start.character, `${f.ruleId} range start`).toBe(f.start);
      const endLineStart = lines.slice(0, end.line).reduce((n, l) => n + l.length + 1, 0);
      expect(endLineStart + end.character, `${f.ruleId} range end`).toBe(f.end);
      return `${f.ruleId} ${start.line + 1}:${start.character + 1} ${flagged}`;
    });
}

/**
 * The 1-based line:col of the `nth` occurrence of `needle` in `text`, or of the first one after the unique anchor
 * text `nth` (or after its `^`)
 * (for positions read off the source).
 */
function lineCol(text: string, needle: string, nth: number | string = 1): string {
  let at = -1;
  if (typeof nth === 'string') {
    // `a ^b`: the search starts at the caret inside the anchor `a b`, else after the anchor.
    const caret = nth.indexOf('^');
    const anchorText = nth.replace('^', '');
    const anchor = text.indexOf(anchorText);
    expect(anchor, nth).toBeGreaterThanOrEqual(0);
    expect(text.indexOf(anchorText, anchor + 1), `${nth} is not unique`).toBe(-1);
    at = anchor + (caret >= 0 ? caret : anchorText.length) - 1;
    nth = 1;
  }
  for (let k = 0; k < nth; k++) {
    at = text.indexOf(needle, at + 1);
    expect(at, `${needle} #${k + 1}`).toBeGreaterThanOrEqual(0);
  }
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  return `${line}:${at - before.lastIndexOf('\n')}`;
}

/**
 * Applies the fix of the one `ruleId` finding in `file` flagging `flagged` to the host text and checks what issue 12
 * asks: the host file re-parsed with its tree-sitter grammar has no more errors than before, the finding is gone,
 * no syntax-error appears, and every SQL string of the file (re-extracted) parses. Returns the fixed host text.
 */
export function applyHostFix(ws: Workspace, file: string, ruleId: string, flagged: string, cfg?: ResolvedConfig): string {
  const before = lintWorkspace(ws, cfg).filter((f) => f.file === file && f.ruleId === ruleId);
  const target = before.filter((f) => ws[file].slice(f.start, f.end) === flagged);
  expect(target, `${ruleId} on ${flagged} in ${JSON.stringify(before.map((f) => ws[file].slice(f.start, f.end)))}`).toHaveLength(1);
  const fix = target[0].fix;
  expect(fix, `${ruleId} should offer a fix on ${flagged}`).toBeDefined();
  const original = ws[file];
  const fixed = applyEdits(original, fix!.edits);
  expect(hostErrorCount(file, original)).toBe(0);
  expect(hostErrorCount(file, fixed), `host file after the fix:\n${fixed}`).toBe(0);
  const errorsBefore = lintWorkspace(ws, cfg).filter((f) => f.file === file && f.ruleId === 'syntax-error').length;
  const after = { ...ws, [file]: fixed };
  const found = lintWorkspace(after, cfg).filter((f) => f.file === file);
  expect(found.filter((f) => f.ruleId === ruleId)).toHaveLength(before.length - 1);
  expect(found.filter((f) => f.ruleId === 'syntax-error')).toHaveLength(errorsBefore);
  // The SQL string the fix edited (found at the fix's first edit) parses.
  const editAt = Math.min(...fix!.edits.map((e) => e.start));
  const edited = extractSql(file, fixed).filter((e) => e.start <= editAt && editAt <= e.end);
  expect(edited).toHaveLength(1);
  for (const e of edited) {
    const r = parseSql(e.sql);
    expect(r.ok, `re-extracted SQL should parse: ${r.ok ? '' : r.message}\n${e.sql}`).toBe(true);
  }
  return fixed;
}

/** The one finding of `ruleId` in `file` flagging `flagged`. */
export function findingOn(ws: Workspace, file: string, ruleId: string, flagged: string, cfg?: ResolvedConfig): Finding {
  const hits = lintWorkspace(ws, cfg).filter((f) => f.file === file && f.ruleId === ruleId && ws[file].slice(f.start, f.end) === flagged);
  expect(hits, `${ruleId} on ${flagged}`).toHaveLength(1);
  return hits[0];
}

/** The expected `placed` entry of a `rule` finding on the `nth` occurrence of `flagged` in the host text. */
export function at(text: string, rule: string, flagged: string, nth: number | string = 1): string {
  return `${rule} ${lineCol(text, flagged, nth)} ${flagged}`;
}
