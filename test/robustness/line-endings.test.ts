/**
 * Issue 18: CR LF and CR-only line ends. PostgreSQL ends a `--` comment at CR as at LF; no range that pgperf
 * reports (syntax errors, suppressions and what they cover, statements found by the splitter) takes in a CR.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../server/src/analysis/config';
import { lintSources } from '../../server/src/analysis/engine';
import { ParseCache, ParsedFile } from '../../server/src/analysis/parse';
import { splitPlain } from '../../server/src/analysis/split';
import { findSuppressions } from '../../server/src/analysis/suppress';
import type { Finding } from '../../server/src/analysis/types';

const EOLS = { LF: '\n', CRLF: '\r\n', CR: '\r' };

const lines = (eol: string, ...ls: string[]) => ls.join(eol);
const lint = (text: string) => {
  const r = lintSources([{ path: 'a.sql', text }], DEFAULT_CONFIG);
  expect(r.internalErrors).toEqual([]);
  return r.files[0].findings;
};
const at = (f: Finding) => [f.range.start.line, f.range.start.character, f.range.end.line, f.range.end.character];

for (const [name, eol] of Object.entries(EOLS)) {
  describe(`${name} line ends`, () => {
    it('a syntax error on an unterminated string ends at the end of its line', () => {
      const text = lines(eol, 'SELECT 1;', "SELECT 'abc", 'VACUUM FULL t;');
      const errors = lint(text).filter((f) => f.ruleId === 'syntax-error');
      expect(errors.map(at)).toEqual([[1, 7, 1, 11]]);
    });

    it('a syntax error at a quoted name ends at the end of its line', () => {
      const text = lines(eol, 'SELECT 1 "abc', 'FROM t;');
      expect(
        lint(text)
          .filter((f) => f.ruleId === 'syntax-error')
          .map(at),
      ).toEqual([[0, 9, 0, 13]]);
    });

    it('a suppression comment ends at the end of its line, and covers the statement after it', () => {
      const text = lines(eol, '-- pgperf-ignore vacuum-full: the table is empty', 'VACUUM FULL t;', '-- pgperf-ignore reindex-concurrently', 'SELECT 1;');
      const file = new ParsedFile('a.sql', text);
      const suppressions = findSuppressions(file);
      expect(suppressions.map((s) => [s.rules, s.reason, text.slice(s.start, s.end)])).toEqual([
        [['vacuum-full'], 'the table is empty', '-- pgperf-ignore vacuum-full: the table is empty'],
        [['reindex-concurrently'], '', '-- pgperf-ignore reindex-concurrently'],
      ]);
      const findings = lint(text);
      expect(findings.map((f) => f.ruleId)).toEqual(['unused-suppression']);
      expect(findings.map(at)).toEqual([[2, 0, 2, '-- pgperf-ignore reindex-concurrently'.length]]);
    });

    it('a statement after a line comment is split off, also where the file does not parse whole', () => {
      const text = lines(eol, 'SELECT 1; -- one', 'SELEC x; -- two', 'VACUUM FULL t; -- three', 'REINDEX TABLE t;');
      expect(splitPlain(text).map((p) => text.slice(p.start, p.end))).toEqual(['SELECT 1', 'SELEC x', 'VACUUM FULL t', 'REINDEX TABLE t']);
      for (const cache of [undefined, new ParseCache()]) {
        const file = new ParsedFile('a.sql', text, cache);
        expect(file.statements.map((s) => s.text)).toEqual(['SELECT 1', 'SELEC x', 'VACUUM FULL t', 'REINDEX TABLE t']);
      }
      const findings = lint(text);
      expect(findings.map((f) => [f.ruleId, ...at(f)])).toEqual([
        ['syntax-error', 1, 0, 1, 5],
        ['vacuum-full', 2, 'VACUUM '.length, 2, 'VACUUM FULL'.length],
        ['reindex-concurrently', 3, 0, 3, 'REINDEX TABLE'.length],
      ]);
    });

    it("a statement's trailing line comment is not part of it", () => {
      const text = lines(eol, 'SELEC x;', 'VACUUM FULL t -- why', ';', 'SELECT 1');
      const file = new ParsedFile('a.sql', text);
      expect(file.statements.map((s) => s.text)).toEqual(['SELEC x', 'VACUUM FULL t', 'SELECT 1']);
    });
  });
}
