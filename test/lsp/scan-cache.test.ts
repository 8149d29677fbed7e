/**
 * The language server's scan keeps host files' SQL strings in its cache (server/src/lint-cache.ts), and the next
 * scan of the same folders reads a host file's strings from there instead of running the host grammar, for exactly
 * the same text only. Shown through the built server: an entry edited in the cache file reaches the diagnostics of
 * the next server's scan; a file changed on disk is read afresh; a damaged cache file is an empty cache.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { beforeEach, describe, expect, it } from 'vitest';
import { codes, start } from './harness';
import { fileUri, LspClient, writeWorkspaceFile } from './client';

const FILES = {
  'migrations/001_items.sql': 'CREATE TABLE items (id bigint PRIMARY KEY, name text, a int);\n',
  'src/q.ts': "import { Pool } from 'pg';\nconst pool = new Pool();\nexport const q = () => pool.query('SELECT id, name FROM items WHERE a = $1', [1]);\n",
};

interface CacheShape {
  hosts: Map<string, { sql: { sql: string }[] }>;
}

let cacheHome: string;

beforeEach(() => {
  // This file's own cache folder: the servers it starts inherit it.
  cacheHome = mkdtempSync(join(tmpdir(), 'pgperf-scan-cache-'));
  process.env.XDG_CACHE_HOME = cacheHome;
});

function cacheFile(): string {
  const files = readdirSync(join(cacheHome, 'pgperf')).filter((f) => /^lsp-.*\.cache$/.test(f));
  expect(files).toHaveLength(1);
  return join(cacheHome, 'pgperf', files[0]!);
}

/** A second server on the same folder, after its scan: the diagnostics of `rel`. */
async function rescan(dir: string, rel: string): Promise<string[]> {
  const client = LspClient.start({ cwd: dir });
  await client.initialize(dir);
  await client.waitForStatus((st) => st.state === 'ready', 15_000);
  const uri = fileUri(`${dir}/${rel}`);
  const d = await client.waitFor(
    () => client.latest(uri),
    10_000,
    () => `diagnostics of ${rel}`,
  );
  await client.shutdown();
  return codes(d.diagnostics);
}

/** Edits the one kept host extraction so that its first string reads as VACUUM FULL (same length). */
function forge(): void {
  const path = cacheFile();
  const data = deserialize(readFileSync(path)) as CacheShape;
  expect(data.hosts.size).toBe(1);
  const e = [...data.hosts.values()][0]!.sql[0]!;
  e.sql = 'VACUUM FULL items'.padEnd(e.sql.length, ' ');
  writeFileSync(path, serialize(data));
}

describe('language server: the scan cache of host files', () => {
  it('the next scan reads an unchanged host file from the cache', async () => {
    const { dir, client, uri } = await start(FILES);
    const first = await client.waitFor(
      () => client.latest(uri('src/q.ts')),
      10_000,
      () => 'diagnostics of src/q.ts',
    );
    expect(codes(first.diagnostics)).not.toContain('vacuum-full');
    await client.shutdown();
    forge();
    expect(await rescan(dir, 'src/q.ts')).toContain('vacuum-full');
  });

  it('a host file changed on disk since is read afresh', async () => {
    const { dir, client } = await start(FILES);
    await client.shutdown();
    forge();
    writeWorkspaceFile(dir, 'src/q.ts', FILES['src/q.ts'].replace('WHERE a = $1', 'WHERE a = $1 OR a = 2 OR a = 3'));
    const after = await rescan(dir, 'src/q.ts');
    expect(after).not.toContain('vacuum-full');
    expect(after).toContain('or-chain');
  });

  it('a damaged cache file is an empty cache', async () => {
    const { dir, client } = await start(FILES);
    await client.shutdown();
    writeFileSync(cacheFile(), 'not a cache');
    expect(await rescan(dir, 'src/q.ts')).not.toContain('vacuum-full');
    // And the scan wrote a good one again.
    expect((deserialize(readFileSync(cacheFile())) as CacheShape).hosts.size).toBe(1);
  });
});
