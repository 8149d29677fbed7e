/**
 * package.json's contributions match the code: one `pgperf.rules` property per rule (with its default
 * severity), the settings' defaults equal the analysis defaults, the commands the client registers.
 * Regenerate with `npm run contributes`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../server/src/analysis/config';
import { RULES } from '../../server/src/analysis/rules';
import { RESTART_COMMAND } from '../../client/src/restart-policy';
import { COMPARE_FIX_COMMAND } from '../../protocol/index';

interface Prop {
  type: string;
  default?: unknown;
  enum?: string[];
  description?: string;
  properties?: Record<string, Prop>;
}
const root = resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
  main: string;
  activationEvents: string[];
  contributes: { configuration: { properties: Record<string, Prop> }; commands: { command: string; title: string; category: string }[] };
};
const props = pkg.contributes.configuration.properties;

describe('package.json contributions', () => {
  it('lists every rule in pgperf.rules with the severities and its default (npm run contributes)', () => {
    const rules = props['pgperf.rules'];
    expect(rules.type).toBe('object');
    expect(rules.default).toEqual({});
    expect(Object.keys(rules.properties ?? {})).toEqual(RULES.map((r) => r.meta.id));
    for (const r of RULES) {
      const p = rules.properties![r.meta.id];
      expect(p.enum, r.meta.id).toEqual(['off', 'info', 'warning', 'error']);
      expect(p.description, r.meta.id).toBe(
        `${r.meta.docs.summary} Default: ${r.meta.optIn ? `off (opt-in; turn on at ${r.meta.severity})` : r.meta.severity}.`,
      );
    }
  });

  it('documents the analysis defaults as the settings defaults', () => {
    expect(props['pgperf.tenantColumn'].default).toBe(DEFAULT_CONFIG.tenantColumn);
    expect(props['pgperf.include'].default).toEqual(DEFAULT_CONFIG.include);
    expect(props['pgperf.exclude'].default).toEqual(DEFAULT_CONFIG.exclude);
    expect(props['pgperf.partitionedTables'].default).toEqual(DEFAULT_CONFIG.partitionedTables);
    // `embedded`: an empty object stands for the defaults (nothing overrides .pgperf.json); its languages are the analysis's.
    expect(props['pgperf.embedded'].default).toEqual({});
    expect(Object.keys(props['pgperf.embedded'].properties!.languages.properties!)).toEqual(Object.keys(DEFAULT_CONFIG.embedded.languages));
    expect(Object.keys(props['pgperf.embedded'].properties!).sort()).toEqual(Object.keys(DEFAULT_CONFIG.embedded).sort());
    expect(props['pgperf.trace.server']).toMatchObject({ enum: ['off', 'messages', 'verbose'], default: 'off' });
    for (const [key, p] of Object.entries(props)) {
      expect(
        (p as { description?: string; markdownDescription?: string }).description ?? (p as { markdownDescription?: string }).markdownDescription,
        key,
      ).toBeTruthy();
    }
  });

  it('contributes the commands the client registers, and activates on SQL', () => {
    const source = readFileSync(resolve(root, 'client/src/extension.ts'), 'utf8');
    const named = [...source.matchAll(/registerCommand\('([^']+)'/g)].map((m) => m[1]!);
    // The pgperf.debug.* commands exist only when VS Code runs the extension's tests (ExtensionMode.Test): not contributed.
    const testOnly = named.filter((c) => c.startsWith('pgperf.debug.'));
    expect(testOnly.length).toBeGreaterThan(0);
    expect(source).toContain('registerCommand(RESTART_COMMAND.id');
    expect(source).toContain('registerCommand(COMPARE_FIX_COMMAND');
    const registered = [...named.filter((c) => !testOnly.includes(c)), RESTART_COMMAND.id, COMPARE_FIX_COMMAND].sort();
    expect(pkg.contributes.commands.map((c) => c.command).sort()).toEqual(registered);
    expect(pkg.contributes.commands.map((c) => `${c.category}: ${c.title}`).sort()).toEqual([
      'pgperf: Add Connection',
      'pgperf: Benchmark HNSW',
      'pgperf: Benchmark Row-Level Security',
      'pgperf: Compare with Fix',
      'pgperf: Database Health',
      'pgperf: Disconnect',
      'pgperf: Explain',
      'pgperf: Explain Analyze',
      'pgperf: Load Synthetic Data into the Embedded Database',
      'pgperf: Load Workspace Schema into the Embedded Database',
      'pgperf: Pick Connection',
      'pgperf: Restart Language Server',
      'pgperf: Show Output',
      'pgperf: Test Connection',
    ]);
    expect(pkg.main).toBe('./dist/extension.js');
    // SQL, and the host languages whose SQL strings the server reads (issue 12).
    expect(pkg.activationEvents).toEqual([
      'onLanguage:sql',
      'onLanguage:typescript',
      'onLanguage:typescriptreact',
      'onLanguage:javascript',
      'onLanguage:javascriptreact',
      'onLanguage:python',
      'onLanguage:go',
      'onLanguage:rust',
      'workspaceContains:**/*.sql',
    ]);
    // Every language activated on is one the client's document selector serves.
    const languages = [...source.matchAll(/^export const LANGUAGES = \[([^\]]*)\]/gm)].flatMap((m) => [...m[1].matchAll(/'([^']+)'/g)].map((x) => x[1]));
    expect(pkg.activationEvents.filter((e) => e.startsWith('onLanguage:')).map((e) => e.slice('onLanguage:'.length))).toEqual(languages);
  });
});
