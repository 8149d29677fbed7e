/**
 * Issue 18: a statement longer than pgperf analyses (MAX_ANALYSED_CHARS: a generated list or chain of tens of
 * thousands of terms) is checked by the parser without its tree and reported as too large, so one such statement
 * costs a parse, not a lint of its million-node tree (a 545 KB OR chain: 0.75 s, over the server's second). The
 * statements around it, and the files beside it, keep their findings; a too-large statement that does not parse is
 * a syntax error where the parser says.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ResolvedConfig } from '../../server/src/analysis/config';
import { lintSources } from '../../server/src/analysis/engine';
import { ParseCache, ParsedFile } from '../../server/src/analysis/parse';
import { initEmbedded } from '../../server/src/analysis/host/index';
import { MAX_ANALYSED_CHARS } from '../../server/src/analysis/pg';
import { RULES } from '../../server/src/analysis/rules/index';

/** Every rule on, opt-in ones included, each at its own severity. */
const ALL_RULES: ResolvedConfig = {
  ...DEFAULT_CONFIG,
  rules: Object.fromEntries(RULES.filter((r) => r.meta.optIn).map((r) => [r.meta.id, r.meta.severity])),
};

/** A valid SELECT with an OR of `n` two-column terms (the fuzzer's list(2, n)). */
const orChain = (n: number) => `SELECT * FROM t WHERE ${Array.from({ length: n }, (_, i) => `(a = ${i} OR b = '${i}')`).join(' OR ')}`;

describe('a statement too large to analyse', () => {
  beforeAll(() => initEmbedded());
  const big = orChain(12_000);

  it('is longer than the bound, and a statement just under it is analysed', () => {
    expect(big.length).toBeGreaterThan(MAX_ANALYSED_CHARS);
    const under = orChain(7_000);
    expect(under.length).toBeLessThan(MAX_ANALYSED_CHARS);
    const findings = lintSources([{ path: 'u.sql', text: `${under};` }], ALL_RULES).files[0].findings;
    expect(findings.map((f) => f.messageId)).not.toContain('tooLarge');
    expect(findings.map((f) => f.ruleId)).toContain('select-star');
  });

  it('is one info finding on its first word; the statements around it and the other files keep their findings', () => {
    const text = `VACUUM FULL t;\n${big};\nREINDEX TABLE t;\n`;
    const result = lintSources(
      [
        { path: 'large.sql', text },
        { path: 'other.sql', text: 'VACUUM FULL u;\n' },
      ],
      ALL_RULES,
      undefined,
      { fixes: true },
    );
    expect(result.internalErrors).toEqual([]);
    const [large, other] = result.files;
    expect(large.file.statements.map((s) => s.kind || 'rejected')).toEqual(['VacuumStmt', 'rejected', 'ReindexStmt']);
    const at = text.indexOf(big);
    const inside = large.findings.filter((f) => f.start >= at && f.start < at + big.length);
    expect(inside).toHaveLength(1);
    expect(inside[0]).toMatchObject({ ruleId: 'syntax-error', messageId: 'tooLarge', severity: 'info', start: at, end: at + 'SELECT'.length });
    expect(inside[0].message).toContain(`${big.length.toLocaleString('en-US')} characters`);
    expect(large.findings.map((f) => f.ruleId)).toEqual(expect.arrayContaining(['vacuum-full', 'reindex-concurrently']));
    expect(other.findings.map((f) => f.ruleId)).toContain('vacuum-full');
  });

  it('that does not parse is a syntax error at the parser’s position, and the next statement is still read', () => {
    const broken = `${big} OR (a = )`;
    const text = `${broken};\nVACUUM FULL t;\n`;
    const findings = lintSources([{ path: 'b.sql', text }], ALL_RULES).files[0].findings;
    const error = findings.find((f) => f.ruleId === 'syntax-error');
    expect(error).toMatchObject({ severity: 'error', start: text.indexOf('= )') + 2 });
    expect(error!.message).toMatch(/syntax error at or near "\)"/);
    expect(findings.map((f) => f.ruleId)).toContain('vacuum-full');
  });

  it('with a statement cache (the language server) as without, also after an edit', () => {
    const cache = new ParseCache();
    const text = `SELECT 1;\n${big};\nSELECT 2;`;
    for (const t of [text, text.replace('SELECT 2', 'SELECT 3'), text.replace("b = '5'", "b = '55'")]) {
      for (const file of [new ParsedFile('a.sql', t, cache), new ParsedFile('a.sql', t)]) {
        expect(file.statements.map((s) => !!s.error?.tooLarge)).toEqual([false, true, false]);
      }
    }
  });

  it('inside a host file’s SQL string too', () => {
    const text = `export const rows = (db) => db.query(\`${big}\`);\nexport const one = (db) => db.query('SELECT * FROM t WHERE id = $1');\n`;
    const findings = lintSources([{ path: 'q.ts', text }], ALL_RULES).files[0].findings;
    const large = findings.find((f) => f.messageId === 'tooLarge');
    expect(large?.start).toBe(text.indexOf('SELECT'));
    const second = text.lastIndexOf('SELECT *');
    expect(findings.filter((f) => f.start >= second).map((f) => f.ruleId)).toContain('select-star');
  });
});
