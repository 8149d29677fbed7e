import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]!);

describe('README pictures (made by npm run screenshots)', () => {
  it('shows the quick fix, the quick fix in a TypeScript string, the EXPLAIN panel, the benchmark report, Compare with Fix and the health panel', () => {
    expect(images).toEqual([
      'docs/images/quick-fix.png',
      'docs/images/embedded-quick-fix.png',
      'docs/images/explain.png',
      'docs/images/hnsw-report.png',
      'docs/images/compare-fix.png',
      'docs/images/health.png',
    ]);
  });

  it.each(images)('%s is a PNG under 300 KB', (rel) => {
    const file = resolve(root, rel);
    expect(readFileSync(file).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(statSync(file).size).toBeLessThan(300 * 1024);
  });
});
