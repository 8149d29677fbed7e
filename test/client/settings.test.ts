/** Only explicitly set `pgperf.*` values reach the server (client/src/ui/settings.ts). */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ANALYSIS_SETTINGS, ChangeFilter, explicitSettings, explicitValue, type SetValues } from '../../client/src/ui/settings';

describe('explicitValue', () => {
  it('is undefined when only the default applies', () => {
    expect(explicitValue(undefined)).toBeUndefined();
    expect(explicitValue({})).toBeUndefined();
  });
  it('takes the most specific scalar or array', () => {
    expect(explicitValue({ globalValue: 'org_id' })).toBe('org_id');
    expect(explicitValue({ globalValue: 'org_id', workspaceValue: 'account_id' })).toBe('account_id');
    expect(explicitValue({ globalValue: ['a/**'], workspaceFolderValue: ['b/**'] })).toEqual(['b/**']);
  });
  it('merges objects key by key, the more specific scope winning', () => {
    expect(
      explicitValue({
        globalValue: { 'select-star': 'off', 'vacuum-full': 'error' },
        workspaceValue: { 'vacuum-full': 'info' },
      }),
    ).toEqual({ 'select-star': 'off', 'vacuum-full': 'info' });
  });
});

describe('explicitSettings', () => {
  it('sends only what is set, as plain JSON copies', () => {
    const rules = Object.freeze({ 'select-star': 'off' });
    const set: Record<string, SetValues> = {
      rules: { globalValue: rules },
      tenantColumn: {},
      include: { workspaceValue: ['db/**/*.sql'] },
    };
    const out = explicitSettings((k) => set[k]);
    expect(out).toEqual({ rules: { 'select-star': 'off' }, include: ['db/**/*.sql'] });
    expect(out.rules).not.toBe(rules);
  });
  it('is empty when nothing is set, so .pgperf.json and the built-in defaults apply', () => {
    expect(explicitSettings(() => ({}))).toEqual({});
  });
  it("covers every contributed analysis setting (all but the client's own: trace, connections, explain, data, health)", () => {
    const pkg = JSON.parse(readFileSync(resolve(__dirname, '../../package.json'), 'utf8')) as {
      contributes: { configuration: { properties: Record<string, unknown> } };
    };
    const contributed = Object.keys(pkg.contributes.configuration.properties)
      .filter((k) => k !== 'pgperf.trace.server' && k !== 'pgperf.connections' && !/^pgperf\.(explain|data|health)\./.test(k))
      .map((k) => k.replace(/^pgperf\./, ''));
    expect([...ANALYSIS_SETTINGS].sort()).toEqual(contributed.sort());
  });
});

describe('ChangeFilter', () => {
  it('lets through only real changes of the pgperf settings', () => {
    const f = new ChangeFilter([{}, { rules: { 'select-star': 'off' } }]);
    expect(f.changed([{}, { rules: { 'select-star': 'off' } }])).toBe(false);
    expect(f.changed([{}, { rules: { 'select-star': 'info' } }])).toBe(true);
    expect(f.changed([{}, { rules: { 'select-star': 'info' } }])).toBe(false);
    expect(f.changed([{ tenantColumn: 'org_id' }, { rules: { 'select-star': 'info' } }])).toBe(true);
  });
});
