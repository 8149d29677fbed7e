/** `pgperf rules`: every rule with its category, default level and fix marker (text), or its metadata (JSON). */
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { RULE_CATEGORIES } from '../../server/src/analysis/rule';
import { RULES } from '../../server/src/analysis/rules/index';

async function rules(...args: string[]): Promise<{ status: number; out: string }> {
  let out = '';
  const status = await main(['rules', ...args], { out: (s) => (out += s), err: () => {}, cwd: process.cwd(), color: false });
  return { status, out };
}

describe('pgperf rules', () => {
  it('text: one line per rule in catalog order, its category in the second column', async () => {
    const { status, out } = await rules();
    expect(status).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(RULES.map((r) => r.meta.id));
    for (const [i, r] of RULES.entries()) {
      const [id, category, level] = lines[i].split(/\s+/);
      expect([id, category, level]).toEqual([r.meta.id, r.meta.category, r.meta.optIn ? 'off' : r.meta.severity]);
      expect(lines[i]).toContain(r.meta.docs.summary);
    }
    expect(lines.find((l) => l.startsWith('vacuum-full '))).toMatch(/^vacuum-full +locking +warning /);
  });

  it('JSON: id and category first, then the metadata, messages included', async () => {
    const { status, out } = await rules('--format', 'json');
    expect(status).toBe(0);
    const list = JSON.parse(out) as Record<string, unknown>[];
    expect(list.map((r) => r.id)).toEqual(RULES.map((r) => r.meta.id));
    for (const r of list) {
      expect(Object.keys(r).slice(0, 2)).toEqual(['id', 'category']);
      expect(RULE_CATEGORIES).toContain(r.category);
      expect(Object.keys(r.messages as object).length).toBeGreaterThan(0);
    }
    expect(list.find((r) => r.id === 'reindex-concurrently')).toMatchObject({ category: 'locking', severity: 'warning', fixable: true });
  });
});
