/**
 * The command-line scan's worker threads for host files (cli/host-pool.ts): on a tree with enough host code, files
 * are extracted on a worker and this thread, and the lint that follows gives exactly what it gives without them;
 * a result computed for another text or other options is never taken. Runs the built worker (dist/host-worker.js;
 * npm test builds before the suites).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { extractHostFilesInParallel } from '../../cli/host-pool';
import { DEFAULT_CONFIG, resolveConfig } from '../../server/src/analysis/config';
import { lintSources } from '../../server/src/analysis/engine';
import { initEmbedded } from '../../server/src/analysis/host/extract';
import { initParser } from '../../server/src/analysis/pg';

const root = join(__dirname, '../..');
const fixture = (await import(pathToFileURL(join(root, 'bench/fixtures/host-repository.mjs')).href)) as {
  generateRepository(o?: { queries?: number; lines?: number }): { ts: string; schema: string };
};

/** About 2.5 MB of TypeScript with 100 queries a file, and the migration they are judged against. */
function tree(): { path: string; text: string }[] {
  const { ts, schema } = fixture.generateRepository();
  const files = Array.from({ length: 30 }, (_, i) => ({ path: `src/repo-${String(i).padStart(2, '0')}.ts`, text: ts }));
  return [{ path: 'migrations/001_schema.sql', text: schema }, ...files];
}

/** The lint as data: every file's findings and the host view's SQL strings. */
function lintView(sources: { path: string; text: string }[], config = DEFAULT_CONFIG): unknown {
  return lintSources(sources, config).files.map(({ file, findings }) => ({
    path: file.path,
    sql: file.host?.segments.map((s) => [s.embedded.start, s.embedded.end, s.embedded.sql]) ?? null,
    findings: findings.map((f) => [f.ruleId, f.start, f.end, f.message, f.severity]),
  }));
}

beforeAll(async () => {
  await initParser();
  await initEmbedded();
});

describe('host files extracted on worker threads', () => {
  it('the worker bundle is built', () => {
    expect(existsSync(join(root, 'dist/host-worker.js'))).toBe(true);
  });

  it('primes every host file, and the lint is the same as without workers', async () => {
    const sources = tree();
    const without = lintView(sources);
    const run = await extractHostFilesInParallel(sources, DEFAULT_CONFIG.embedded, 1);
    expect(run).toEqual({ workers: 1, primed: 30 });
    const withWorkers = lintView(sources);
    expect(withWorkers).toEqual(without);
    expect(JSON.stringify(withWorkers)).toContain('offset-pagination');
  });

  it('takes no result computed for another text or other options', async () => {
    const sources = tree();
    await extractHostFilesInParallel(sources, DEFAULT_CONFIG.embedded, 1);
    // The text changed after the extraction: file 0's queries lose their OFFSET.
    const edited = sources.map((s, i) => (i === 1 ? { ...s, text: s.text.replace(/\bOFFSET\b/g, 'LIMIT') } : s));
    const fresh = tree().map((s, i) => (i === 1 ? { ...s, text: s.text.replace(/\bOFFSET\b/g, 'LIMIT') } : s));
    expect(lintView(edited)).toEqual(lintView(fresh));
    // Other options: TypeScript turned off, so no SQL is read from the .ts files.
    await extractHostFilesInParallel(sources, DEFAULT_CONFIG.embedded, 1);
    const off = resolveConfig({ embedded: { languages: { typescript: false } } }, new Set()).config;
    const view = lintView(sources, off) as { path: string; sql: unknown[] | null }[];
    expect(view.filter((f) => f.path.endsWith('.ts')).every((f) => f.sql === null || f.sql.length === 0)).toBe(true);
  });

  it('starts no worker for a small tree or when told none', async () => {
    const small = tree().slice(0, 3);
    expect(await extractHostFilesInParallel(small, DEFAULT_CONFIG.embedded, 4)).toEqual({ workers: 0, primed: 0 });
    expect(await extractHostFilesInParallel(tree(), DEFAULT_CONFIG.embedded, 0)).toEqual({ workers: 0, primed: 0 });
  });
});
