import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../server/src/analysis/config';
import { catalogFor, checkedFix, FindingMemo, lintFileSteps, lintSources } from '../../server/src/analysis/engine';
import { ParsedFile } from '../../server/src/analysis/parse';
import { defineFileRule, defineRule, messageOf, type Rule } from '../../server/src/analysis/rule';
import { RULES } from '../../server/src/analysis/rules/index';
import { vacuumFull } from '../../server/src/analysis/rules/vacuum-full';

describe('engine', () => {
  it('offers a fix only when the edited statement still parses', () => {
    const file = new ParsedFile('a.sql', 'SELECT 1;\nREINDEX INDEX i;');
    const st = file.statements[1];
    const good = { title: 'ok', edits: [{ start: st.start + 13, end: st.start + 13, newText: ' CONCURRENTLY' }] };
    const bad = { title: 'broken', edits: [{ start: st.start + 13, end: st.start + 13, newText: ' (((' }] };
    expect(checkedFix(good, st)).toBe(good);
    expect(checkedFix(bad, st)).toBeUndefined();
    expect(checkedFix({ title: 'empty', edits: [] }, st)).toBeUndefined();
  });

  it('findings are plain data: the fix is a property that JSON and structured cloning keep', () => {
    const { files } = lintSources([{ path: 'a.sql', text: 'REINDEX INDEX i;' }]);
    const f = files[0].findings[0];
    expect(Object.getOwnPropertyDescriptor(f, 'fix')).toMatchObject({ writable: true, enumerable: true });
    expect(f).toMatchObject({
      ruleId: 'reindex-concurrently',
      messageId: 'notConcurrent',
      message: expect.stringMatching(/^REINDEX INDEX without CONCURRENTLY/),
    });
    expect(structuredClone(f)).toEqual(f);
    expect(JSON.parse(JSON.stringify(f))).toEqual(f);
    expect(f.fix!.edits).toEqual([{ start: 13, end: 13, newText: ' CONCURRENTLY' }]);
  });

  it('with fixes: false the findings are the same, without their fixes', () => {
    const sources = [
      { path: 'a.sql', text: 'REINDEX INDEX i;\n-- pgperf-ignore vacuum-full: old\nSELECT 1;\nSELECT id FROM t ORDER BY id LIMIT 10 OFFSET $1;' },
    ];
    const withFixes = lintSources(sources).files[0].findings;
    const without = lintSources(sources, DEFAULT_CONFIG, undefined, { fixes: false }).files[0].findings;
    expect(withFixes.map((f) => f.ruleId)).toEqual(['reindex-concurrently', 'unused-suppression', 'offset-pagination']);
    expect(withFixes.every((f) => f.fix)).toBe(true);
    expect(without.some((f) => 'fix' in f)).toBe(false);
    expect(without).toEqual(withFixes.map(({ fix: _fix, ...rest }) => rest));
  });

  it('checks at most 64 fixes of one statement: the findings past them come without a fix (the check would be quadratic)', () => {
    // 100 nested OR pairs on one column: 100 or-chain findings in one UPDATE, each fix a rewrite of its pair.
    const where = `${'(a = 1 AND (x = 2 OR x = 3) AND '.repeat(100)}true${')'.repeat(100)}`;
    const sources = [{ path: 'a.sql', text: `CREATE TABLE t (a int, x int);\nUPDATE t SET x = 1 WHERE ${where};` }];
    const found = lintSources(sources).files[0].findings.filter((f) => f.ruleId === 'or-chain');
    expect(found).toHaveLength(100);
    expect(found.filter((f) => f.fix)).toHaveLength(64);
    expect(found.slice(0, 64).every((f) => f.fix)).toBe(true);
    // Without fixes the findings are the same ones.
    const without = lintSources(sources, DEFAULT_CONFIG, undefined, { fixes: false }).files[0].findings.filter((f) => f.ruleId === 'or-chain');
    expect(without.map((f) => [f.start, f.end])).toEqual(found.map((f) => [f.start, f.end]));
  });

  it("the memo replays a statement's findings and its checked fix at the statement's new offset", () => {
    const memo = new FindingMemo();
    const catalog = catalogFor([]);
    let checks = 0;
    const counter = defineRule({
      meta: { ...vacuumFull.meta, id: 'engine-test-counter', messages: { m: 'm' } },
      check: ({ statement }) => void (statement.kind === 'ReindexStmt' && checks++),
    });
    const lint = (text: string) => {
      const steps = lintFileSteps(new ParsedFile('a.sql', text), catalog, DEFAULT_CONFIG, Infinity, Infinity, [], memo);
      for (;;) {
        const next = steps.next();
        if (next.done) return next.value.findings;
      }
    };
    (RULES as Rule[]).push(counter);
    try {
      const first = lint('REINDEX TABLE t;');
      const moved = lint('SELECT 1;\nREINDEX TABLE t;');
      expect(checks).toBe(1);
      expect(first[0].fix!.edits).toEqual([{ start: 13, end: 13, newText: ' CONCURRENTLY' }]);
      expect(moved[0].fix!.edits).toEqual([{ start: 23, end: 23, newText: ' CONCURRENTLY' }]);
      expect(moved[0].range.start.line).toBe(1);
      expect(moved[0].message).toBe(first[0].message);
    } finally {
      (RULES as Rule[]).splice(RULES.indexOf(counter), 1);
    }
  });
});

describe('rule contract', () => {
  it('fills a template from the data; a placeholder without a value stays as written', () => {
    const meta = { ...vacuumFull.meta, messages: { m: 'OFFSET {{offset}} of {{ table }}: {{missing}} ({{offset}})' } };
    expect(messageOf(meta, 'm', { offset: '$1', table: 'events' })).toBe('OFFSET $1 of events: {{missing}} ($1)');
    // Values are not read as templates or replacement patterns.
    expect(messageOf(meta, 'm', { offset: '$& {{table}}', table: 'x' })).toBe('OFFSET $& {{table}} of x: {{missing}} ($& {{table}})');
  });

  it('a report with an unknown message id is a rule failure, not a finding; the other rules still report', () => {
    const broken = defineRule({
      meta: { ...vacuumFull.meta, id: 'engine-test-broken', messages: { real: 'real' } },
      check: ({ statement, report }) => report({ start: statement.start, end: statement.end, messageId: 'nope' as 'real' }),
    });
    (RULES as Rule[]).push(broken);
    try {
      const r = lintSources([{ path: 'a.sql', text: 'VACUUM FULL t;' }]);
      expect(r.files[0].findings.map((f) => f.ruleId)).toEqual(['vacuum-full']);
      expect(r.internalErrors.join('\n')).toMatch(/engine-test-broken failed on a\.sql:1: .*"nope", which its meta\.messages does not define/);
    } finally {
      (RULES as Rule[]).splice(RULES.indexOf(broken), 1);
    }
  });

  it('a file rule runs once per file, after the suppressions, and no suppression hides its findings', () => {
    const seen: string[] = [];
    const perFile = defineFileRule({
      kind: 'file',
      meta: { ...vacuumFull.meta, id: 'engine-test-file', messages: { used: '{{count}} suppressions, hiding {{hidden}}' } },
      check({ file, suppressions, levelOf, report }) {
        seen.push(file.path);
        expect(levelOf('vacuum-full')).toBe('warning');
        expect(levelOf('no-such-rule')).toBeUndefined();
        const hidden = suppressions.flatMap((s) => [...s.used]).join(', ');
        report({ start: 0, end: 1, messageId: 'used', data: { count: suppressions.length, hidden } });
      },
    });
    (RULES as Rule[]).push(perFile);
    try {
      const r = lintSources([
        { path: 'a.sql', text: '-- pgperf-ignore-file engine-test-file, vacuum-full\nVACUUM FULL t;\nVACUUM FULL u;' },
        { path: 'b.sql', text: 'SELECT 1;' },
      ]);
      expect(seen).toEqual(['a.sql', 'b.sql']);
      const [a, b] = r.files.map((f) => f.findings.map((x) => [x.ruleId, x.messageId, x.message]));
      // engine-test-file is named by the comment but reports after suppressions are matched: the comment hid only
      // vacuum-full, and unused-suppression says so for the other id.
      expect(a).toEqual([
        ['engine-test-file', 'used', '1 suppressions, hiding vacuum-full'],
        ['unused-suppression', 'unused', 'This pgperf-ignore-file comment suppresses nothing: engine-test-file reports nothing here.'],
      ]);
      expect(b).toEqual([['engine-test-file', 'used', '0 suppressions, hiding ']]);
      expect(r.internalErrors).toEqual([]);
    } finally {
      (RULES as Rule[]).splice(RULES.indexOf(perFile), 1);
    }
  });
});
