/**
 * The import boundaries (scripts/boundaries.ts, ARCHITECTURE.md): the repository holds to them, the check catches
 * each kind of wrong import when one is written into a copy of the sources, and ARCHITECTURE.md shows the rules the
 * check enforces.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkBoundaries, MARKER_BEGIN, MARKER_END, partCycles, renderRules, RULES, type Rules } from '../../scripts/boundaries';

const root = resolve(__dirname, '../..');

describe('import boundaries', () => {
  it('the repository breaks none', () => {
    expect(checkBoundaries(root)).toEqual([]);
  });

  it('ARCHITECTURE.md holds the rules the check enforces', () => {
    const doc = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');
    const begin = doc.indexOf(MARKER_BEGIN);
    const end = doc.indexOf(MARKER_END);
    expect(begin).toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(begin);
    expect(doc.slice(begin + MARKER_BEGIN.length, end).trim()).toBe(renderRules());
    for (const part of RULES.parts) expect(doc).toContain(`### ${part.name}`);
  });
});

describe('the check on a copy of the sources with one wrong import', () => {
  const copy = mkdtempSync(join(tmpdir(), 'pgperf-boundaries-'));
  for (const dir of RULES.sourceRoots) cpSync(join(root, dir), join(copy, dir), { recursive: true });
  cpSync(join(root, 'package.json'), join(copy, 'package.json'));
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  /** The violations once `file` (repository-relative) holds `text`; the file is removed again afterwards. */
  function withFile(file: string, text: string): ReturnType<typeof checkBoundaries> {
    writeFileSync(join(copy, file), text);
    try {
      return checkBoundaries(copy);
    } finally {
      rmSync(join(copy, file));
    }
  }

  it('the copy itself passes', () => {
    expect(checkBoundaries(copy)).toEqual([]);
  });

  it('the analysis core importing vscode', () => {
    const v = withFile('server/src/analysis/zz-wrong.ts', "import * as vscode from 'vscode';\nexport const x = vscode;\n");
    expect(v).toEqual([{ file: 'server/src/analysis/zz-wrong.ts', specifier: 'vscode', message: 'analysis must not import the package vscode' }]);
  });

  it('the analysis core importing the LSP library, also as a type and through require()', () => {
    const v = withFile(
      'server/src/analysis/zz-wrong.ts',
      "import type { Diagnostic } from 'vscode-languageserver/node';\nconst p = require('vscode-languageserver-protocol');\nexport type D = Diagnostic;\nexport { p };\n",
    );
    expect(v.map((x) => x.specifier)).toEqual(['vscode-languageserver/node', 'vscode-languageserver-protocol']);
  });

  it('the analysis core importing another part', () => {
    const v = withFile('server/src/analysis/zz-wrong.ts', "export { openPostgres } from '../../../database/index';\n");
    // The database side imports the parser, so this arrow also closes a cycle, which the check names as well.
    expect(v.map((x) => x.message)).toEqual([
      'analysis must not import database (database/index.ts)',
      expect.stringMatching(/^cycle between parts: analysis → database → database\/explain → analysis /),
    ]);
  });

  it('a benchmark importing the UI', () => {
    const v = withFile('database/bench/zz-wrong.ts', "export { buildExplainHtml } from '../../client/src/ui/explain-html';\n");
    expect(v.map((x) => x.message)).toEqual([
      'database/bench must not import client (client/src/ui/explain-html.ts)',
      expect.stringMatching(/^cycle between parts: database → database\/bench → client → database /),
    ]);
  });

  it('the database side importing vscode or the language server', () => {
    expect(withFile('database/connection/zz-wrong.ts', "import 'vscode';\n").map((x) => x.message)).toEqual([
      'database/connection must not import the package vscode',
    ]);
    expect(withFile('database/explain/zz-wrong.ts', "export * from '../../server/src/lsp/convert';\n").map((x) => x.message)).toEqual([
      'database/explain must not import lsp (server/src/lsp/convert.ts)',
    ]);
  });

  it('the client reaching the server other than through the protocol entry', () => {
    expect(withFile('client/src/ui/zz-wrong.ts', "export * from '../../../server/src/lsp/server';\n").map((x) => x.message)).toEqual([
      'client must not import lsp (server/src/lsp/server.ts)',
    ]);
    expect(withFile('client/src/ui/zz-wrong.ts', "export { parseSql } from '../../../server/src/analysis/pg';\n").map((x) => x.message)).toEqual([
      'client must not import analysis (server/src/analysis/pg.ts)',
    ]);
  });

  it('a part importing another past its entry, also through import()', () => {
    const v = withFile('cli/zz-wrong.ts', "export const load = () => import('../server/src/analysis/engine');\n");
    expect(v.map((x) => x.message)).toEqual([
      'cli imports analysis past its entry (server/src/analysis/engine.ts; use server/src/analysis/index.ts or server/src/analysis/pg.ts)',
    ]);
    expect(withFile('cli/zz-wrong.ts', "export { runHnswSweep } from '../database/bench/hnsw';\n").map((x) => x.message)).toEqual([
      'cli must not import database/bench (database/bench/hnsw.ts)',
    ]);
  });

  it('a relative import that names no file, and a source file in no part', () => {
    expect(withFile('render/zz-wrong.ts', "export * from './nowhere';\n").map((x) => x.message)).toEqual(['names no file']);
    expect(withFile('database/zz-wrong.ts', 'export const x = 1;\n').map((x) => x.file)).toEqual(['database/zz-wrong.ts']);
  });

  it('a cycle between parts, even where each arrow is allowed', () => {
    const rules: Rules = {
      ...RULES,
      parts: RULES.parts.map((p) => (p.name === 'render' ? { ...p, mayImport: ['database/bench'] } : p)),
    };
    writeFileSync(join(copy, 'render/zz-cycle.ts'), "export { toCsv } from '../database/bench/report-html';\n");
    try {
      const v = checkBoundaries(copy, rules);
      expect(v).toHaveLength(1);
      expect(v[0]!.message).toMatch(/^cycle between parts: (database\/bench → render → database\/bench|render → database\/bench → render) /);
    } finally {
      rmSync(join(copy, 'render/zz-cycle.ts'));
    }
  });
});

describe('partCycles', () => {
  const graph = (pairs: [string, string][]) => {
    const g = new Map<string, Map<string, string>>();
    for (const [a, b] of pairs) g.set(a, (g.get(a) ?? new Map()).set(b, `${a}->${b}`));
    return g;
  };
  it('finds none in a layered graph and one in a loop of three', () => {
    expect(
      partCycles(
        graph([
          ['a', 'b'],
          ['b', 'c'],
          ['a', 'c'],
        ]),
      ),
    ).toEqual([]);
    expect(
      partCycles(
        graph([
          ['a', 'b'],
          ['b', 'c'],
          ['c', 'a'],
        ]),
      ),
    ).toEqual([['a', 'b', 'c']]);
  });
});
