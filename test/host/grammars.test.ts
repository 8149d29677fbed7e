import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { HOST_LANGUAGES, hostLanguageOf } from '../../server/src/analysis/host';
import { initHostParsers, parseHost } from '../../server/src/analysis/host/grammars';

const root = resolve(__dirname, '../..');

const SAMPLES: Record<string, string> = {
  typescript: 'const q = sql<Row>`SELECT 1`; type T = { a: number };',
  tsx: 'const v = <div title={`SELECT 1`}>x</div>;',
  javascript: 'module.exports = (db) => db.query("SELECT 1");',
  python: 'async def f(p):\n    return await p.fetch(f"SELECT {x}")\n',
  go: 'package m\n\nfunc f() { db.Query(`SELECT 1`) }\n',
  rust: 'fn f() { let _ = sqlx::query!(r#"SELECT 1"#); }',
};

beforeAll(() => initHostParsers());

describe('host grammars', () => {
  it('loads every grammar shipped and parses a sample of each without an error node', () => {
    for (const lang of HOST_LANGUAGES) {
      const tree = parseHost(lang, SAMPLES[lang]);
      expect(tree.rootNode.hasError, `${lang}: ${tree.rootNode.toString()}`).toBe(false);
      tree.delete();
    }
  });

  it('knows host files by extension', () => {
    expect(['a.ts', 'a.mts', 'a.tsx', 'a.js', 'a.mjs', 'a.cjs', 'a.py', 'a.go', 'a.rs', 'a.sql', 'a.d'].map(hostLanguageOf)).toEqual([
      'typescript',
      'typescript',
      'tsx',
      'javascript',
      'javascript',
      'javascript',
      'python',
      'go',
      'rust',
      undefined,
      undefined,
    ]);
  });

  it('loads from a bundle with the WASM files beside it in tree-sitter/ (as build.mjs lays out dist/), with no node_modules', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pgperf-host-'));
    try {
      await build({
        stdin: {
          contents:
            "import { initEmbedded, extractSql } from './server/src/analysis/host';\n" +
            "initEmbedded().then(() => console.log(JSON.stringify(extractSql('x.rs', 'fn f() { c.query(\"SELECT 1 OFFSET 2\", &[]); }').map((e) => e.sql))));",
          resolveDir: root,
          loader: 'ts',
        },
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: 'node20',
        outfile: join(dir, 'probe.js'),
        logLevel: 'error',
        // As build.mjs does: web-tree-sitter's CommonJS build in a CommonJS bundle.
        plugins: [
          {
            name: 'web-tree-sitter-cjs',
            setup: (b) => b.onResolve({ filter: /^web-tree-sitter$/ }, () => ({ path: createRequire(__filename).resolve('web-tree-sitter') })),
          },
        ],
      });
      cpSync(join(root, 'node_modules/libpg-query/wasm/libpg-query.wasm'), join(dir, 'libpg-query.wasm'));
      execFileSync(process.execPath, [join(root, 'build.mjs')], { cwd: root, stdio: 'pipe' });
      cpSync(join(root, 'dist/tree-sitter'), join(dir, 'tree-sitter'), { recursive: true });
      // Run from a folder outside the project, so that no package resolution can stand in for the copied files.
      const out = execFileSync(process.execPath, [join(dir, 'probe.js')], { cwd: dir, encoding: 'utf8' });
      expect(JSON.parse(out)).toEqual(['SELECT 1 OFFSET 2']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
