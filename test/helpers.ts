/** Shared test helpers: lint SQL through the real pipeline and check fixes the way the spec demands. */
import { expect } from 'vitest';
import { DEFAULT_CONFIG, type ResolvedConfig } from '../server/src/analysis/config';
import { lintSources } from '../server/src/analysis/engine';
import { applyEdits } from '../server/src/analysis/fix';
import { parseSql } from '../server/src/analysis/pg';
import { RULES } from '../server/src/analysis/rules/index';
import type { Finding } from '../server/src/analysis/types';

export type Files = string | Record<string, string>;

const MAIN = 'main.sql';

function asSources(files: Files) {
  const map = typeof files === 'string' ? { [MAIN]: files } : files;
  return Object.entries(map).map(([path, text]) => ({ path, text }));
}

export function config(overrides: Partial<ResolvedConfig> = {}): ResolvedConfig {
  return { ...structuredClone(DEFAULT_CONFIG), ...overrides };
}

/** All findings in all files. */
export function lintAll(files: Files, cfg: ResolvedConfig = config()): Finding[] {
  const result = lintSources(asSources(files), cfg);
  expect(result.internalErrors).toEqual([]);
  return result.files.flatMap((f) => f.findings);
}

/** A config with `ruleId` on at its default level when the rule is opt-in and `cfg` leaves it unset. */
export function withRule(ruleId: string, cfg: ResolvedConfig = config()): ResolvedConfig {
  const rule = RULES.find((r) => r.meta.id === ruleId);
  if (!rule?.meta.optIn || cfg.rules[ruleId] !== undefined) return cfg;
  return { ...cfg, rules: { ...cfg.rules, [ruleId]: rule.meta.severity } };
}

/** The findings of one rule (in `file`, default main.sql or the only file); an opt-in rule is turned on. */
export function findings(files: Files, ruleId: string, cfg?: ResolvedConfig, file?: string): Finding[] {
  const all = lintAll(files, withRule(ruleId, cfg));
  const target = file ?? (typeof files === 'string' ? MAIN : Object.keys(files).length === 1 ? Object.keys(files)[0] : MAIN);
  return all.filter((f) => f.ruleId === ruleId && f.file === target);
}

/** The text a finding's range covers. */
export function flagged(text: string, f: Finding): string {
  return text.slice(f.start, f.end);
}

/**
 * Applies the first finding's fix of `ruleId` in `file` and checks what SPEC §2 promises: the result parses
 * with the real parser, the rule no longer fires there, and text outside the edits is byte-identical.
 * Returns the fixed text of that file.
 */
export function applyFix(files: Files, ruleId: string, cfg?: ResolvedConfig, file?: string): string {
  const map: Record<string, string> = typeof files === 'string' ? { [MAIN]: files } : { ...files };
  const target = file ?? (typeof files === 'string' ? MAIN : Object.keys(map).length === 1 ? Object.keys(map)[0] : MAIN);
  const before = findings(map, ruleId, cfg, target);
  expect(before.length, `${ruleId} should fire before the fix`).toBeGreaterThan(0);
  const fix = before[0].fix;
  expect(fix, `${ruleId} should offer a fix`).toBeDefined();
  const original = map[target];
  const fixed = applyEdits(original, fix!.edits);
  const edits = [...fix!.edits].sort((a, b) => a.start - b.start);
  expect(fixed.slice(0, edits[0].start)).toBe(original.slice(0, edits[0].start));
  const tail = original.length - edits[edits.length - 1].end;
  expect(fixed.slice(fixed.length - tail)).toBe(original.slice(original.length - tail));
  const parsed = parseSql(fixed);
  expect(parsed.ok, `fixed SQL should parse: ${parsed.ok ? '' : parsed.message}\n${fixed}`).toBe(true);
  map[target] = fixed;
  const after = findings(map, ruleId, cfg, target);
  expect(after.length, `${ruleId} should no longer fire on the fixed statement:\n${fixed}`).toBe(before.length - 1);
  return fixed;
}
