/**
 * Issue 3, packaging: `npm run package:vsix` (the packaging half of `npm run package`; `npm test` has just
 * built dist/) makes the .vsix with @vscode/vsce, offline, and the archive holds exactly what runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RULES } from '../../server/src/analysis/rules';
import { listZip, readZipEntry, type ZipEntry } from './zip';

const root = resolve(__dirname, '../..');
const vsixPath = resolve(root, 'dist-pkg/pgperf.vsix');

/** Every file the extension may ship (paths inside the .vsix); anything else is a packaging mistake. */
const ALLOWED = [
  /^\[Content_Types\]\.xml$/,
  /^extension\.vsixmanifest$/,
  /^extension\/package\.json$/,
  /^extension\/readme\.md$/,
  /^extension\/LICENSE\.txt$/,
  /^extension\/images\/icon\.png$/,
  /^extension\/dist\/(extension|server)\.js$/,
  /^extension\/dist\/libpg-query\.wasm$/,
  /^extension\/dist\/tree-sitter\/tree-sitter(-(typescript|tsx|javascript|python|go|rust))?\.wasm$/,
  /^extension\/dist\/pglite-worker\.js$/,
  // The embedded database's runtime, as build.mjs copies it: PGlite's CommonJS entry, WASM, data and initdb,
  // pgvector's entry and archive, and each package's manifest and licence.
  /^extension\/dist\/node_modules\/@electric-sql\/pglite\/(package\.json|LICENSE|dist\/(index\.cjs|pglite\.wasm|pglite\.data|initdb\.wasm))$/,
  /^extension\/dist\/node_modules\/@electric-sql\/pglite-pgvector\/(package\.json|LICENSE|dist\/(index\.cjs|vector\.tar\.gz))$/,
  /^extension\/client\/media\/[a-z0-9-]+\.(js|css)$/,
  /^extension\/docs\/rules\/[a-z0-9-]+\.md$/,
  // The pages and screenshots the packaged README links to (scripts/package-readme.mjs).
  /^extension\/docs\/(design|security)\.md$/,
  /^extension\/docs\/images\/[a-z0-9-]+\.png$/,
  /^extension\/sql-snippets\/[a-z0-9-]+\.json$/,
];

let zip: Buffer;
let entries: ZipEntry[];
const entry = (name: string) => entries.find((e) => e.name === name);
const text = (name: string) => readZipEntry(zip, entry(name)!).toString('utf8');

beforeAll(() => {
  for (const f of ['dist/extension.js', 'dist/server.js', 'dist/libpg-query.wasm']) {
    if (!existsSync(resolve(root, f))) throw new Error(`${f} is missing: run \`node build.mjs\` (npm test does) before this test`);
  }
  rmSync(vsixPath, { force: true });
  const run = spawnSync('npm', ['run', 'package:vsix'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new Error(`npm run package:vsix failed (${run.status ?? run.signal}):\n${run.stdout}\n${run.stderr}`);
  zip = readFileSync(vsixPath);
  entries = listZip(zip);
  const files = entries.filter((e) => !e.name.endsWith('/'));
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log(
    `pgperf.vsix: ${kb(statSync(vsixPath).size)} (${files.length} files, ${kb(files.reduce((s, e) => s + e.size, 0))} unpacked)\n` +
      files.map((e) => `  ${e.name.padEnd(48)} ${kb(e.size).padStart(10)}`).join('\n'),
  );
}, 180_000);

describe('the .vsix', () => {
  it('holds the bundles, the parser WASM beside them, snippets, rule docs, README, LICENSE and icon', () => {
    const names = entries.map((e) => e.name);
    for (const f of [
      'extension/package.json',
      'extension/readme.md',
      'extension/LICENSE.txt',
      'extension/images/icon.png',
      'extension/dist/extension.js',
      'extension/dist/server.js',
      'extension/dist/libpg-query.wasm',
      'extension/dist/pglite-worker.js',
      'extension/dist/node_modules/@electric-sql/pglite/dist/index.cjs',
      'extension/dist/node_modules/@electric-sql/pglite/dist/pglite.wasm',
      'extension/dist/node_modules/@electric-sql/pglite-pgvector/dist/vector.tar.gz',
      'extension/sql-snippets/postgresql.json',
      ...RULES.map((r) => `extension/docs/rules/${r.meta.id}.md`),
    ]) {
      expect(names, f).toContain(f);
    }
    // The shipped WASM and bundles are the built ones, byte for byte.
    for (const f of ['dist/libpg-query.wasm', 'dist/server.js', 'dist/extension.js']) {
      expect(readZipEntry(zip, entry(`extension/${f}`)!).equals(readFileSync(resolve(root, f))), f).toBe(true);
    }
  });

  it('holds nothing else: no sources, tests, node_modules, source maps or the CLI bundle', () => {
    const names = entries.map((e) => e.name).filter((n) => !n.endsWith('/'));
    expect(names.filter((n) => /\.(ts|mts|cts|map)$/.test(n))).toEqual([]);
    // node_modules only as dist/node_modules/@electric-sql (checked by ALLOWED); client/ only as client/media.
    expect(names.filter((n) => /(^|\/)(test|server|bench|examples|e2e)\//.test(n) || /^extension\/node_modules\//.test(n))).toEqual([]);
    expect(names).not.toContain('extension/dist/cli.js');
    expect(names.filter((n) => !ALLOWED.some((re) => re.test(n)))).toEqual([]);
    // PGlite (PostgreSQL in WASM) is most of it: ~9 MB WASM and ~6 MB data before compression.
    expect(statSync(vsixPath).size).toBeLessThan(15 * 1024 * 1024);
  });

  it("runs without the project's node_modules: the bundles require only Node built-ins, vscode and the shipped PGlite", () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const shipped = new Set(['@electric-sql/pglite', '@electric-sql/pglite-pgvector']);
    for (const f of ['extension/dist/extension.js', 'extension/dist/server.js', 'extension/dist/pglite-worker.js']) {
      const required = new Set([...text(f).matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]));
      const outside = [...required].filter(
        (m) => !builtins.has(m) && !(f.endsWith('extension.js') && m === 'vscode') && !(f.endsWith('pglite-worker.js') && shipped.has(m)),
      );
      expect(outside, f).toEqual([]);
    }
  });

  it('has a manifest whose main, icon and snippets point into the package', () => {
    const pkg = JSON.parse(text('extension/package.json')) as {
      main: string;
      icon: string;
      activationEvents: string[];
      contributes: { snippets: { path: string }[]; commands: { command: string }[]; configuration: { properties: Record<string, unknown> } };
    };
    const inside = (p: string) => `extension/${p.replace(/^\.\//, '')}`;
    expect(pkg.main).toBe('./dist/extension.js');
    expect(entry(inside(pkg.main))).toBeDefined();
    expect(entry(inside(pkg.icon))).toBeDefined();
    for (const s of pkg.contributes.snippets) expect(entry(inside(s.path)), s.path).toBeDefined();
    const source = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as typeof pkg;
    // SQL files and the host languages whose SQL strings pgperf reads; only a .sql file wakes it for a whole workspace.
    expect(pkg.activationEvents).toEqual(source.activationEvents);
    expect(pkg.activationEvents).toEqual([
      'onLanguage:sql',
      ...['typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'python', 'go', 'rust'].map((l) => `onLanguage:${l}`),
      'workspaceContains:**/*.sql',
    ]);
    expect(pkg.contributes.commands.map((c) => c.command)).toEqual(source.contributes.commands.map((c) => c.command));
    expect(pkg.contributes.commands.length).toBeGreaterThanOrEqual(9);
    expect(Object.keys(pkg.contributes.configuration.properties)).toContain('pgperf.rules');
    const manifest = text('extension.vsixmanifest');
    expect(manifest).toContain('Microsoft.VisualStudio.Code.Manifest');
  });
});

/** The link and image targets of Markdown text, outside fenced code and inline code spans. */
function markdownTargets(md: string): { image: boolean; target: string }[] {
  const found: { image: boolean; target: string }[] = [];
  let fence: string | undefined;
  for (const line of md.split('\n')) {
    const opens = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (opens && opens[1]![0] === fence[0] && opens[1]!.length >= fence.length) fence = undefined;
      continue;
    }
    if (opens) {
      fence = opens[1];
      continue;
    }
    const prose = line
      .split(/(`+[^`]*`+)/)
      .filter((_, i) => i % 2 === 0)
      .join(' ');
    for (const m of prose.matchAll(/(!?)\[[^\]]*\]\(([^)\s]+)[^)]*\)/g)) found.push({ image: m[1] === '!', target: m[2]! });
    for (const m of prose.matchAll(/<img\b[^>]*\bsrc=["']([^"']+)["']/gi)) found.push({ image: true, target: m[1]! });
    for (const m of prose.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/g)) found.push({ image: false, target: m[1]! });
  }
  return found;
}

/** The anchors of a Markdown file's headings, as the Marketplace and GitHub make them. */
function headingAnchors(md: string): Set<string> {
  const anchors = new Set<string>();
  for (const m of md.matchAll(/^#{1,6}\s+(.+?)\s*$/gm)) {
    anchors.add(
      m[1]!
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .trim()
        .replace(/\s/g, '-'),
    );
  }
  return anchors;
}

describe('the packaged README (issue 13, item 9)', () => {
  it('is the repository README with every image and link resolving: in the package, an anchor of it, or absolute https', () => {
    const readme = text('extension/readme.md');
    const source = readFileSync(resolve(root, 'README.md'), 'utf8');
    // The same page: every heading of the repository README, in order.
    expect([...headingAnchors(readme)]).toEqual([...headingAnchors(source)]);
    const targets = markdownTargets(readme);
    const anchors = headingAnchors(readme);
    const images = targets.filter((t) => t.image);
    // The screenshots are there (made by npm run screenshots); a README without them would pass vacuously.
    expect(images.length).toBeGreaterThanOrEqual(3);
    const broken: string[] = [];
    for (const { image, target } of targets) {
      if (/^https:\/\//.test(target)) continue;
      if (target.startsWith('#')) {
        if (!anchors.has(target.slice(1))) broken.push(`${target} (no such heading)`);
        continue;
      }
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) {
        broken.push(`${target} (not https)`);
        continue;
      }
      const path = `extension/${target.replace(/^\.\//, '').split('#')[0]}`;
      const e = entry(path);
      if (!e || e.name.endsWith('/')) broken.push(`${target} (${path} is not in the package)`);
      else if (image && !readZipEntry(zip, e).subarray(0, 8).equals(Buffer.from('89504e470d0a1a0a', 'hex'))) broken.push(`${target} (not a PNG)`);
    }
    expect(broken).toEqual([]);
    // The repository's own README names targets the package leaves out (ARCHITECTURE.md): this test reads the
    // packaged copy, not the source one.
    expect(markdownTargets(source).some((t) => !t.target.startsWith('#') && !/^https:/.test(t.target) && !entry(`extension/${t.target.split('#')[0]}`))).toBe(
      true,
    );
    // One README only: vsce's readme.md, not the repository README.md beside it.
    expect(entries.filter((e) => /^extension\/readme\.md$/i.test(e.name)).map((e) => e.name)).toEqual(['extension/readme.md']);
  });
});
