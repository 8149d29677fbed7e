/** Every rule is documented, and the committed pages in docs/rules are what `npm run docs` writes. */
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ruleMarkdown } from '../../server/src/analysis/docs';
import { RULE_CATEGORIES } from '../../server/src/analysis/rule';
import { RULES } from '../../server/src/analysis/rules/index';
import { lintAll, withRule } from '../helpers';

const DOCS = resolve(__dirname, '../../docs/rules');

describe('rule docs', () => {
  it.each(RULES.map((r) => [r.meta.id, r] as const))('%s has real docs', (id, rule) => {
    const { summary, why, fix } = rule.meta.docs;
    for (const text of [summary, why, fix]) expect(text.length, id).toBeGreaterThan(20);
    expect(`${summary}${why}${fix}`).not.toMatch(/TODO|PLACEHOLDER/);
    expect(rule.meta.id).toMatch(/^[a-z]+(-[a-z]+)*$/);
    expect(RULE_CATEGORIES, id).toContain(rule.meta.category);
  });

  it.each(RULES.map((r) => [r.meta.id, r] as const))('%s: every message is real and reported somewhere in its file', (id, rule) => {
    const ids = Object.keys(rule.meta.messages);
    expect(ids.length, id).toBeGreaterThan(0);
    const source = readFileSync(resolve(__dirname, `../../server/src/analysis/rules/${id}.ts`), 'utf8');
    for (const messageId of ids) {
      const template: string = (rule.meta.messages as Record<string, string>)[messageId];
      expect(template.length, `${id}.${messageId}`).toBeGreaterThan(5);
      expect(template, `${id}.${messageId}`).not.toMatch(/TODO|PLACEHOLDER/);
      // The key is written unquoted in meta.messages, so a quoted occurrence is a report's messageId.
      expect(source, `${id}: no report uses the message "${messageId}"`).toContain(`'${messageId}'`);
    }
  });

  it('docs/rules matches the rules (run `npm run docs` after changing a rule)', () => {
    expect(readdirSync(DOCS).sort()).toEqual(RULES.map((r) => `${r.meta.id}.md`).sort());
    for (const r of RULES) expect(readFileSync(resolve(DOCS, `${r.meta.id}.md`), 'utf8'), r.meta.id).toBe(ruleMarkdown(r));
  });

  it('every rule file is registered and every registered rule has a test file', () => {
    const ruleFiles = readdirSync(resolve(__dirname, '../../server/src/analysis/rules')).filter((f) => !f.startsWith('_') && f !== 'index.ts');
    expect(ruleFiles.map((f) => f.replace(/\.ts$/, '')).sort()).toEqual(RULES.map((r) => r.meta.id).sort());
    const tests = readdirSync(resolve(__dirname, '../rules')).map((f) => f.replace(/\.test\.ts$/, ''));
    for (const r of RULES) if (r.meta.id !== 'syntax-error' && r.meta.id !== 'unused-suppression') expect(tests, r.meta.id).toContain(r.meta.id);
  });
});

describe('rule doc examples', () => {
  // Each example is linted alone, so it must carry the schema its rule needs (CREATE TABLE, RLS, policies).
  const ofRule = (sql: string, id: string) => lintAll(sql, withRule(id)).filter((f) => f.ruleId === id);
  it.each(RULES.filter((r) => r.meta.docs.good).map((r) => [r.meta.id, r] as const))('%s: the "does not fire" example does not fire', (id, rule) => {
    expect(ofRule(rule.meta.docs.good!, id)).toEqual([]);
  });

  it.each(RULES.filter((r) => r.meta.docs.bad).map((r) => [r.meta.id, r] as const))('%s: the "fires" example fires on its own', (id, rule) => {
    expect(ofRule(rule.meta.docs.bad!, id).length, rule.meta.docs.bad).toBeGreaterThan(0);
  });

  it('every rule that checks statements has both examples', () => {
    // File rules report on what no SQL example holds (suppression comments, a code file's parse).
    const without = RULES.filter((r) => r.kind !== 'file' && (!r.meta.docs.bad || !r.meta.docs.good)).map((r) => r.meta.id);
    expect(without.filter((id) => id !== 'syntax-error')).toEqual([]);
  });
});
