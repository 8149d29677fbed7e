import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, parseConfigText, resolveConfig } from '../../server/src/analysis/config';
import { RULE_IDS } from '../../server/src/analysis/rules/index';
import { config, lintAll } from '../helpers';

describe('.pgperf.json', () => {
  it('accepts a full valid config', () => {
    const { config: c, problems } = resolveConfig(
      {
        rules: { 'select-star': 'off', 'vacuum-full': 'error' },
        tenantColumn: 'org_id',
        partitionedTables: { 'app.event_log': { strategy: 'range', columns: ['timestamp'] } },
        include: ['db/**/*.sql'],
        exclude: ['db/legacy/**'],
      },
      RULE_IDS,
    );
    expect(problems).toEqual([]);
    expect(c.rules).toEqual({ 'select-star': 'off', 'vacuum-full': 'error' });
    expect(c.tenantColumn).toBe('org_id');
    expect(c.partitionedTables['app.event_log']).toEqual({ strategy: 'range', columns: ['timestamp'] });
    expect(c.include).toEqual(['db/**/*.sql']);
  });

  it('reports each bad value with its path and keeps the rest', () => {
    const { config: c, problems } = resolveConfig(
      {
        rules: { 'select-star': 'loud', 'vacuum-full': 'off', 'not-a-rule': 'error' },
        tenantColumn: 42,
        partitionedTables: { events: { strategy: 'range', columns: [] }, logs: { columns: ['ts'] } },
        colour: true,
      },
      RULE_IDS,
    );
    expect(problems.map((p) => p.path)).toEqual(['rules.select-star', 'rules.not-a-rule', 'tenantColumn', 'partitionedTables.events.columns', 'colour']);
    expect(c.rules).toEqual({ 'vacuum-full': 'off' });
    expect(c.tenantColumn).toBe(DEFAULT_CONFIG.tenantColumn);
    expect(c.partitionedTables).toEqual({ logs: { strategy: 'range', columns: ['ts'] } });
  });

  it('invalid JSON is one problem and the defaults apply', () => {
    const r = parseConfigText('{ "rules": ', RULE_IDS);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0].message).toMatch(/invalid JSON/);
    expect(r.config).toEqual(DEFAULT_CONFIG);
  });

  it('per-rule severity changes and silences findings', () => {
    const sql = 'VACUUM FULL a;\nREINDEX INDEX i;';
    expect(lintAll(sql, config({ rules: { 'vacuum-full': 'error', 'reindex-concurrently': 'off' } })).map((f) => [f.ruleId, f.severity])).toEqual([
      ['vacuum-full', 'error'],
    ]);
  });

  it('reads templates: regular expressions or { pattern, as }, each bad one reported with its path', () => {
    const { config: c, problems } = resolveConfig(
      { templates: ['%[a-z_]+%', { pattern: '#\\{\\w+\\}', as: 'value' }, '(unclosed', 'x*', { pattern: 'y', as: 'table' }, 7] },
      RULE_IDS,
    );
    expect(c.templates.map((t) => [t.regex.source, t.as])).toEqual([
      ['%[a-z_]+%', 'identifier'],
      ['#\\{\\w+\\}', 'value'],
    ]);
    expect(problems.map((p) => p.path)).toEqual(['templates.2', 'templates.3', 'templates.4.as', 'templates.5']);
    expect(problems[0].message).toMatch(/^invalid regular expression/);
    expect(problems[1].message).toBe('the pattern "x*" matches the empty string');
    expect(resolveConfig({ templates: 'x' }, RULE_IDS).problems[0].path).toBe('templates');
  });
});
