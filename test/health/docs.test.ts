/** Every health check is documented, and the committed pages in docs/health are what `pgperf health docs` writes. */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { healthCheckMarkdown, healthIndexMarkdown } from '../../database/health/docs';
import { HEALTH_CHECKS } from '../../database/health/registry';

const DOCS = resolve(__dirname, '../../docs/health');
const GUIDE_SECTIONS = [
  'Monitoring & Benchmarking › Key Metrics',
  'VACUUM Strategy › Bloat Monitoring',
  'VACUUM Strategy › Autovacuum Tuning',
  'Connection Pool Optimization › Pool Exhaustion Monitoring',
  'Connection Pool Optimization › Configuration',
  'Event Log Partitioning › Partition Management',
  'Hardware Recommendations › PostgreSQL Memory Settings',
  'VectorChord HNSW Tuning › Parameter 1: m',
];

describe('health check docs', () => {
  it.each(HEALTH_CHECKS.map((c) => [c.id, c] as const))('%s has real docs and cites a section of the guide', (id, c) => {
    expect(id).toMatch(/^[a-z]+(-[a-z]+)*$/);
    for (const text of [c.title, c.docs.why, c.docs.fix, c.docs.notApplicable, c.guide.threshold]) expect(text.length, id).toBeGreaterThan(20);
    expect(GUIDE_SECTIONS, id).toContain(c.guide.section);
    expect(c.reads.length, id).toBeGreaterThan(0);
  });

  it('ids are unique', () => {
    expect(new Set(HEALTH_CHECKS.map((c) => c.id)).size).toBe(HEALTH_CHECKS.length);
  });

  it('docs/health matches the checks (run `npm run docs` after changing one)', () => {
    expect(readdirSync(DOCS).sort()).toEqual(['README.md', ...HEALTH_CHECKS.map((c) => `${c.id}.md`)].sort());
    expect(readFileSync(resolve(DOCS, 'README.md'), 'utf8')).toBe(healthIndexMarkdown());
    for (const c of HEALTH_CHECKS) expect(readFileSync(resolve(DOCS, `${c.id}.md`), 'utf8'), c.id).toBe(healthCheckMarkdown(c));
  });
});
