import { describe, expect, it } from 'vitest';
import { applyEdits } from '../../server/src/analysis/fix';
import { lintAll } from '../helpers';

const ids = (sql: string) => lintAll(sql).map((f) => f.ruleId);

describe('inline suppression', () => {
  it('-- pgperf-ignore on the line before a statement hides that rule there only', () => {
    const sql = '-- pgperf-ignore vacuum-full: weekly maintenance window\nVACUUM FULL a;\nVACUUM FULL b;';
    const f = lintAll(sql);
    expect(f.map((x) => x.ruleId)).toEqual(['vacuum-full']);
    expect(f[0].range.start.line).toBe(2);
  });

  it('at the end of the statement line, after the semicolon', () => {
    expect(ids('VACUUM FULL a; -- pgperf-ignore vacuum-full: off-hours\nVACUUM FULL b;')).toEqual(['vacuum-full']);
    expect(lintAll('VACUUM FULL a; -- pgperf-ignore vacuum-full: off-hours\nVACUUM FULL b;')[0].range.start.line).toBe(1);
  });

  it('names several rules separated by commas', () => {
    const sql = "SELECT id FROM t WHERE k = 'a' OR k = 'b' ORDER BY id LIMIT 10 OFFSET 20;";
    expect(ids(sql).sort()).toEqual(['offset-pagination', 'or-chain']);
    expect(ids(`-- pgperf-ignore offset-pagination, or-chain: admin page\n${sql}`)).toEqual([]);
  });

  it('reports the part of a suppression that suppresses nothing, and offers no removal', () => {
    const f = lintAll('-- pgperf-ignore vacuum-full, reindex-concurrently: maintenance\nVACUUM FULL a;');
    expect(f.map((x) => x.ruleId)).toEqual(['unused-suppression']);
    expect(f[0].message).toMatch(/reindex-concurrently reports nothing here/);
    expect(f[0].message).not.toMatch(/vacuum-full/);
    expect(f[0].fix).toBeUndefined();
  });

  it('-- pgperf-ignore-file hides a rule in the whole file', () => {
    const sql = 'VACUUM FULL a;\n-- pgperf-ignore-file vacuum-full\nVACUUM FULL b;\nREINDEX INDEX i;';
    expect(ids(sql)).toEqual(['reindex-concurrently']);
  });

  it('a suppression that suppresses nothing is reported, with a fix that removes its line', () => {
    const sql = 'SELECT 1;\n-- pgperf-ignore vacuum-full: was needed once\nVACUUM a;\n';
    const f = lintAll(sql);
    expect(f.map((x) => [x.ruleId, x.severity])).toEqual([['unused-suppression', 'info']]);
    expect(f[0].message).toMatch(/vacuum-full reports nothing here/);
    expect(applyEdits(sql, f[0].fix!.edits)).toBe('SELECT 1;\nVACUUM a;\n');
  });

  it('an unknown rule id is reported', () => {
    const f = lintAll('-- pgperf-ignore no-such-rule: typo\nSELECT 1;');
    expect(f.map((x) => x.ruleId)).toEqual(['unused-suppression']);
    expect(f[0].message).toMatch(/"no-such-rule" is not a pgperf rule/);
  });

  it('the marker inside a string or a statement is not a suppression', () => {
    expect(ids("SELECT '-- pgperf-ignore vacuum-full: x';\nVACUUM FULL a;")).toEqual(['vacuum-full']);
  });
});
