/**
 * The rule tester itself: it passes what a rule really does and fails every kind of wrong expectation (count, each
 * field, fixed output, a fix that breaks the SQL, placeholder and duplicate cases, a rule the engine does not run).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rule } from '../../server/src/analysis/rule';
import { RULES } from '../../server/src/analysis/rules/index';
import { reindexConcurrently } from '../../server/src/analysis/rules/reindex-concurrently';
import { selectStar } from '../../server/src/analysis/rules/select-star';
import { vacuumFull } from '../../server/src/analysis/rules/vacuum-full';
import { checkInvalid, checkValid, PLACEHOLDER, ruleTester } from '../rule-tester';

const VACUUM = 'SELECT 1;\nVACUUM FULL sessions;';
// The finding of VACUUM: line 2, `FULL` at columns 8–12.
const AT = { line: 2, column: 8, endLine: 2, endColumn: 12, text: 'FULL', severity: 'warning' as const };

describe('checkValid', () => {
  it('passes SQL the rule accepts, and fails SQL it flags, listing the findings', async () => {
    await checkValid(vacuumFull, 'VACUUM sessions;');
    await checkValid(vacuumFull, { code: 'VACUUM (FULL false) t;' });
    await expect(checkValid(vacuumFull, VACUUM)).rejects.toThrow(/expected no vacuum-full finding, got 1:\n {2}2:8-2:12 "FULL" warning: VACUUM FULL holds/);
  });

  it('turns an opt-in rule on, unless the case configures it', async () => {
    await expect(checkValid(selectStar, 'SELECT * FROM t;')).rejects.toThrow(/expected no select-star finding, got 1/);
    await checkValid(selectStar, { code: 'SELECT * FROM t;', config: { rules: { 'select-star': 'off' } } });
  });

  it('counts only findings of the rule in the case file, after suppressions', async () => {
    await checkValid(vacuumFull, { code: 'SELECT 1;', files: { 'other.sql': 'VACUUM FULL t;' } });
    await checkValid(vacuumFull, '-- pgperf-ignore vacuum-full: maintenance window\nVACUUM FULL t;');
    await checkValid(reindexConcurrently, VACUUM);
  });
});

describe('checkInvalid', () => {
  it('passes the exact findings', async () => {
    await checkInvalid(vacuumFull, { code: VACUUM, errors: [{ ...AT, message: /ACCESS EXCLUSIVE/ }], output: null });
    await checkInvalid(vacuumFull, { code: VACUUM, errors: [{}] });
  });

  it('fails a wrong count, either way', async () => {
    await expect(checkInvalid(vacuumFull, { code: 'VACUUM t;', errors: [{}] })).rejects.toThrow(/expected 1 vacuum-full finding, got 0$/);
    await expect(checkInvalid(vacuumFull, { code: VACUUM, errors: [{}, {}] })).rejects.toThrow(/expected 2 vacuum-full findings, got 1:/);
    await expect(checkInvalid(vacuumFull, { code: `${VACUUM}\n${VACUUM}`, errors: [{}] })).rejects.toThrow(/expected 1 vacuum-full finding, got 2:/);
    await expect(checkInvalid(vacuumFull, { code: VACUUM, errors: [] })).rejects.toThrow(/at least one expected error/);
  });

  it.each([
    ['message', { message: 'VACUUM FULL is slow' }],
    ['message', { message: /is slow/ }],
    ['line', { line: 1 }],
    ['column', { column: 1 }],
    ['endLine', { endLine: 3 }],
    ['endColumn', { endColumn: 11 }],
    ['text', { text: 'VACUUM FULL' }],
    ['severity', { severity: 'error' as const }],
  ])('fails a wrong %s', async (field, wrong) => {
    await expect(checkInvalid(vacuumFull, { code: VACUUM, errors: [{ ...AT, ...wrong }] })).rejects.toThrow(new RegExp(`finding 1 of 1: ${field} should be`));
  });

  it('checks the findings in document order', async () => {
    const code = 'REINDEX INDEX a;\nREINDEX TABLE b;';
    const output = 'REINDEX INDEX CONCURRENTLY a;\nREINDEX TABLE CONCURRENTLY b;';
    await checkInvalid(reindexConcurrently, { code, errors: [{ text: 'REINDEX INDEX' }, { text: 'REINDEX TABLE' }], output });
    await expect(checkInvalid(reindexConcurrently, { code, errors: [{ text: 'REINDEX TABLE' }, { text: 'REINDEX INDEX' }], output })).rejects.toThrow(
      /finding 1 of 2: text should be "REINDEX TABLE", is "REINDEX INDEX"/,
    );
  });
});

describe('checkInvalid: fixes', () => {
  const code = 'REINDEX INDEX idx_vec;';
  const errors = [{ text: 'REINDEX INDEX' }];

  it('applies every fix and compares the text', async () => {
    await checkInvalid(reindexConcurrently, { code, errors, output: 'REINDEX INDEX CONCURRENTLY idx_vec;' });
    await expect(checkInvalid(reindexConcurrently, { code, errors, output: 'REINDEX INDEX idx_vec CONCURRENTLY;' })).rejects.toThrow(
      /the text after the fixes differs from output:\n--- output\nREINDEX INDEX idx_vec CONCURRENTLY;\n--- fixed\nREINDEX INDEX CONCURRENTLY idx_vec;/,
    );
  });

  it('wants output stated when the rule offers a fix, and null to mean none', async () => {
    await expect(checkInvalid(reindexConcurrently, { code, errors })).rejects.toThrow(/offers a fix here: give `output`/);
    await expect(checkInvalid(reindexConcurrently, { code, errors, output: null })).rejects.toThrow(
      /expected no fix, but reindex-concurrently offers "Add CONCURRENTLY"/,
    );
    // Inside BEGIN … COMMIT the rule offers none: null holds, and an output equal to the code too.
    const inBlock = 'BEGIN;\nREINDEX INDEX idx_vec;\nCOMMIT;';
    await checkInvalid(reindexConcurrently, { code: inBlock, errors, output: null });
    await checkInvalid(reindexConcurrently, { code: inBlock, errors, output: inBlock });
  });

  it('applies fixes in SQL strings of code, in host coordinates, and checks the string still parses', async () => {
    const ts = "import { Pool } from 'pg';\nconst pool = new Pool();\nexport const rebuild = () => pool.query('REINDEX INDEX idx_vec');\n";
    const at = { line: 3, column: 42, endLine: 3, endColumn: 55, text: 'REINDEX INDEX' };
    await checkInvalid(reindexConcurrently, {
      code: ts,
      filename: 'src/db.ts',
      errors: [at],
      output: ts.replace('INDEX idx_vec', 'INDEX CONCURRENTLY idx_vec'),
    });
    await expect(checkInvalid(reindexConcurrently, { code: ts, filename: 'src/db.ts', errors: [{ ...at, column: 1 }], output: null })).rejects.toThrow(
      /column should be 1, is 42/,
    );
    await checkValid(reindexConcurrently, { code: ts.replace('INDEX idx_vec', 'INDEX CONCURRENTLY idx_vec'), filename: 'src/db.ts' });
  });
});

describe('fixes no real rule gets wrong', () => {
  // A rule made for these tests, registered only while they run. `break_me`: its fix edits past the statement's
  // end, where the engine's own check of fixes (the edited statement must parse) does not reach, so only the
  // tester stands between it and broken SQL. `keep_me`: its fix leaves what it flags in place.
  const faulty: Rule = {
    meta: {
      id: 'tester-faulty',
      category: 'correctness',
      severity: 'warning',
      fixable: true,
      docs: { summary: 'test only', why: 'test only', fix: 'test only' },
      messages: { broken: 'broken on purpose', kept: 'kept on purpose' },
    },
    check({ statement, report }) {
      const { start, end, text } = statement;
      if (text.includes('break_me'))
        report({ start, end, messageId: 'broken', fix: { title: 'Break', edits: [{ start: end, end: end + 1, newText: ' FROM FROM;' }] } });
      if (text.includes('keep_me')) report({ start, end, messageId: 'kept', fix: { title: 'Keep', edits: [{ start, end: start, newText: '/* kept */ ' }] } });
    },
  };
  beforeAll(() => void (RULES as Rule[]).push(faulty));
  afterAll(() => void (RULES as Rule[]).splice(RULES.indexOf(faulty), 1));

  it('a fix whose SQL does not parse fails even when the output matches', async () => {
    const code = 'SELECT break_me;\nSELECT 1;';
    await expect(checkInvalid(faulty, { code, errors: [{ text: 'SELECT break_me' }], output: 'SELECT break_me FROM FROM;\nSELECT 1;' })).rejects.toThrow(
      /the fixed SQL does not parse/,
    );
  });

  it('a fix that leaves its finding fails even when the output matches', async () => {
    const code = 'SELECT keep_me;';
    await expect(checkInvalid(faulty, { code, errors: [{ text: 'SELECT keep_me' }], output: '/* kept */ SELECT keep_me;' })).rejects.toThrow(
      /1 fix applied, yet 1 of 1 tester-faulty findings remain/,
    );
  });
});

describe('cases the tester refuses', () => {
  it('a rule the engine does not run', async () => {
    const copy: Rule = { ...vacuumFull };
    await expect(checkValid(copy, 'VACUUM FULL t;')).rejects.toThrow(/vacuum-full is not registered in server\/src\/analysis\/rules\/index.ts/);
  });

  it('the placeholders of npm run new-rule, in either list', async () => {
    await expect(checkValid(vacuumFull, `-- ${PLACEHOLDER}\nSELECT 1;`)).rejects.toThrow(/a placeholder case from npm run new-rule/);
    await expect(checkInvalid(vacuumFull, { code: `-- ${PLACEHOLDER}\nVACUUM FULL t;`, errors: [{}] })).rejects.toThrow(/a placeholder case/);
  });

  it('a case whose files repeat its own file', async () => {
    await expect(checkValid(vacuumFull, { code: 'SELECT 1;', files: { 'main.sql': 'SELECT 2;' } })).rejects.toThrow(
      /must not repeat the case's own file main.sql/,
    );
  });

  it('duplicate cases', () => {
    expect(() => ruleTester(vacuumFull, { valid: ['VACUUM t;', { code: 'VACUUM t;' }], invalid: [] })).toThrow(/duplicate valid case: VACUUM t;/);
    const bad = { code: 'VACUUM FULL t;', errors: [{}] };
    expect(() => ruleTester(vacuumFull, { valid: [], invalid: [bad, { ...bad, errors: [{ text: 'FULL' }] }] })).toThrow(/duplicate invalid case/);
  });
});

// The tester registering its cases: one test per case, under the rule's id.
ruleTester(vacuumFull, {
  valid: ['VACUUM t;', { code: "SELECT 'VACUUM FULL';", name: 'a string that only mentions VACUUM FULL' }],
  invalid: [{ code: 'VACUUM FULL t;', errors: [{ text: 'FULL', line: 1, column: 8 }], output: null }],
});

// The example of CONTRIBUTING.md, as it is written there.
ruleTester(reindexConcurrently, {
  valid: ['REINDEX INDEX CONCURRENTLY idx_vec;', { code: 'REINDEX TABLE pg_class;', name: 'a system catalog' }],
  invalid: [
    {
      code: 'REINDEX INDEX idx_vec;',
      errors: [{ text: 'REINDEX INDEX', line: 1, column: 1, endColumn: 14, message: /CONCURRENTLY/ }],
      output: 'REINDEX INDEX CONCURRENTLY idx_vec;',
    },
    {
      code: "const rebuild = () => pool.query('REINDEX TABLE docs');",
      filename: 'src/db.ts',
      files: { 'schema.sql': 'CREATE TABLE docs (id int);' },
      errors: [{ text: 'REINDEX TABLE' }],
      output: "const rebuild = () => pool.query('REINDEX TABLE CONCURRENTLY docs');",
    },
  ],
});
