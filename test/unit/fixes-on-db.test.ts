/**
 * Every quick fix must stay valid SQL for the schema the workspace declares, which only a database can judge
 * (test/fix-on-db.ts). This guard keeps a fixable rule from shipping with fix tests that never reach one: its
 * test file must open a PGlite with fixOnDb() and check fixes on it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../server/src/analysis/rules';
import { config, lintAll } from '../helpers';

const ROOT = join(__dirname, '..', '..');
const testFile = (id: string) => join(ROOT, 'test', 'rules', `${id}.test.ts`);

/**
 * Fixable rules whose fix leaves every statement's text as it was, so there is nothing for the database to
 * judge; each is proved so below rather than trusted.
 */
const NO_STATEMENT_CHANGE = new Set(['unused-suppression']);

describe('quick fixes are checked on PostgreSQL', () => {
  const fixable = RULES.filter((r) => r.meta.fixable).map((r) => r.meta.id);

  it('there are fixable rules to guard', () => {
    expect(fixable.length).toBeGreaterThan(5);
    for (const id of NO_STATEMENT_CHANGE) expect(fixable, `${id} is listed as fixable here`).toContain(id);
  });

  it.each(fixable.filter((id) => !NO_STATEMENT_CHANGE.has(id)))('%s: its test file checks the fix with fixOnDb', (id) => {
    const file = testFile(id);
    expect(existsSync(file), `${id} has no test file test/rules/${id}.test.ts`).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/import\s*\{[^}]*\bfixOnDb\b[^}]*\}\s*from\s*'\.\.\/fix-on-db'/);
    const handle = /const\s+(\w+)\s*=\s*fixOnDb\(\)/.exec(text);
    expect(handle, `test/rules/${id}.test.ts should open a database at file level: const db = fixOnDb();`).not.toBeNull();
    // The fix itself goes through the database: a check call with this rule (by its id or the file's RULE).
    const calls = [...text.matchAll(new RegExp(`\\b${handle![1]}\\.check\\(`, 'g'))];
    expect(calls.length, `test/rules/${id}.test.ts never calls ${handle![1]}.check(…)`).toBeGreaterThan(0);
  });

  it('unused-suppression: the fix deletes only the comment, so every statement reaches the database unchanged', () => {
    const cfg = config({ rules: { 'vacuum-full': 'warning' } });
    for (const sql of [
      'SELECT 1;\n-- pgperf-ignore vacuum-full: was needed once\nVACUUM a;\n',
      '-- pgperf-ignore-file vacuum-full\nSELECT id FROM users;',
      'VACUUM a; -- pgperf-ignore vacuum-full: off-hours\nSELECT 2;',
    ]) {
      const f = lintAll(sql, cfg).filter((x) => x.ruleId === 'unused-suppression');
      expect(f.length, sql).toBeGreaterThan(0);
      for (const x of f) {
        if (!x.fix) continue;
        for (const e of x.fix.edits) {
          expect(e.newText, sql).toBe('');
          expect(sql.slice(e.start, e.end), sql).toMatch(/^[ \t]*--[^\n]*\n?$/);
        }
      }
      expect(
        f.some((x) => x.fix),
        `${sql}: some unused suppression here should offer its removal`,
      ).toBe(true);
    }
  });

  it('a rule that says it has no quick fix offers none on its own bad example', () => {
    let fired = 0;
    for (const r of RULES.filter((x) => !x.meta.fixable && x.meta.docs.bad)) {
      const cfg = config({ rules: { [r.meta.id]: r.meta.severity } });
      const own = lintAll(r.meta.docs.bad!, cfg).filter((f) => f.ruleId === r.meta.id);
      fired += own.length;
      for (const f of own) expect(f.fix, `${r.meta.id} offers a fix but its meta says fixable: false`).toBeUndefined();
    }
    expect(fired, 'the bad examples of rules without a fix should fire').toBeGreaterThan(3);
  });
});
