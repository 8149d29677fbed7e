/**
 * The import boundaries between pgperf's parts, and the check that holds the code to them.
 *
 * The rules below are the one source: ARCHITECTURE.md carries their rendering (renderRules) between its
 * `boundaries` markers, and test/unit/boundaries.test.ts fails when the two differ or when any source file
 * breaks a rule. The import graph is read with TypeScript's own pre-processor (every import, export … from,
 * import() and require(), type-only ones included), so no import goes unseen and nothing is executed.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import ts from 'typescript';

export interface Part {
  /** The part's name, as ARCHITECTURE.md uses it. */
  name: string;
  /** Repository-relative path prefixes (a folder ends in '/') of the part's files. */
  paths: string[];
  /** Files other parts may import (repository-relative); undefined: any file of the part. */
  entries?: string[];
  /** Parts whose files this part may import (through their entries). */
  mayImport: string[];
  /** Parts this one may import past their entries (a recorded exception, with its reason in `why`). */
  deepImports?: string[];
  /** Packages this part must never import: a name, or a name ending in '*' for every package it begins. */
  forbiddenPackages: string[];
  /** Why, one sentence: rendered into ARCHITECTURE.md. */
  why: string;
}

export interface Rules {
  /** Folders whose .ts files must each belong to a part. */
  sourceRoots: string[];
  /** Files outside every part that any part may import (package.json for the version). */
  sharedFiles: string[];
  parts: Part[];
}

const EDITOR_APIS = ['vscode', 'vscode-languageserver*', 'vscode-languageclient*', 'vscode-jsonrpc*'];

export const RULES: Rules = {
  sourceRoots: ['server/src', 'client/src', 'cli', 'database', 'render', 'protocol'],
  sharedFiles: ['package.json'],
  parts: [
    {
      name: 'analysis',
      paths: ['server/src/analysis/'],
      entries: ['server/src/analysis/index.ts', 'server/src/analysis/pg.ts'],
      mayImport: [],
      forbiddenPackages: EDITOR_APIS,
      why:
        'the linter itself runs the same in the language server, the CLI and the tests; pg.ts is the parser alone, so ' +
        'the extension bundle does not carry the rules',
    },
    {
      name: 'files',
      paths: ['server/src/files.ts', 'server/src/config-file.ts', 'server/src/lint-cache.ts'],
      mayImport: ['analysis'],
      forbiddenPackages: EDITOR_APIS,
      why: 'the workspace on disk (the file walk, the .pgperf.json reader, the lint cache) is shared by the language server and the CLI and knows neither',
    },
    {
      name: 'ide',
      paths: ['server/src/ide/'],
      mayImport: ['analysis'],
      deepImports: ['analysis'],
      forbiddenPackages: EDITOR_APIS,
      why:
        'the editor features that need no protocol (the workspace model, hover, statements at a position, fix-all and ' +
        'suppression edits), so they are tested and reused without LSP; they read the catalog, parse trees and host ' +
        'grammars, which the core does not export',
    },
    {
      name: 'lsp',
      paths: ['server/src/lsp/'],
      entries: [],
      mayImport: ['ide', 'analysis', 'files', 'protocol'],
      forbiddenPackages: ['vscode', 'vscode-languageclient*'],
      why:
        'the language server is wiring only: it schedules analysis, reads configuration and answers LSP messages with ' +
        'what ide/ and the core compute; it runs in its own process and never sees the VS Code API',
    },
    {
      name: 'protocol',
      paths: ['protocol/'],
      entries: ['protocol/index.ts'],
      mayImport: [],
      forbiddenPackages: EDITOR_APIS,
      why: "pgperf's own LSP messages (names and types only), shared by the language server and the client: the only way the client side reaches the server",
    },
    {
      name: 'render',
      paths: ['render/'],
      mayImport: [],
      forbiddenPackages: EDITOR_APIS,
      why: 'pure HTML helpers below both the UI and the benchmark reports, so neither imports the other for them',
    },
    {
      name: 'database/connection',
      paths: ['database/connection/'],
      mayImport: [],
      forbiddenPackages: EDITOR_APIS,
      why: 'connections (PostgreSQL, the embedded PGlite and its worker) for the extension and the CLI alike',
    },
    {
      name: 'database/explain',
      paths: ['database/explain/'],
      mayImport: ['database/connection', 'analysis'],
      forbiddenPackages: EDITOR_APIS,
      why: 'EXPLAIN and its safety gate, which parses with the real parser before anything reaches a database',
    },
    {
      name: 'database/bench',
      paths: ['database/bench/'],
      mayImport: ['database/connection', 'database/explain', 'render'],
      forbiddenPackages: EDITOR_APIS,
      why: 'benchmarks and their reports are pure functions of a database, never of the UI',
    },
    {
      name: 'database/data',
      paths: ['database/data/'],
      mayImport: ['database/connection', 'database/bench'],
      forbiddenPackages: EDITOR_APIS,
      why: "synthetic data for the schema a database holds, read from its catalog; it reuses the benchmarks' seeded PRNG and vector text",
    },
    {
      name: 'database/health',
      paths: ['database/health/'],
      mayImport: ['database/connection'],
      forbiddenPackages: EDITOR_APIS,
      why: "the tuning guide's checks of a live server read its catalog and statistics over a connection, in read-only transactions, and know no UI",
    },
    {
      name: 'database/whatif',
      paths: ['database/whatif/'],
      mayImport: ['database/connection'],
      forbiddenPackages: EDITOR_APIS,
      why:
        "what-if indexes: the index rules' fixes tried with HypoPG on a live server, the planner's cost before and after, " +
        'in read-only transactions that build nothing; the caller passes the findings and the parser, so it needs no analysis import',
    },
    {
      name: 'database',
      paths: ['database/index.ts'],
      mayImport: ['database/connection', 'database/explain', 'database/bench', 'database/data', 'database/health', 'database/whatif'],
      forbiddenPackages: EDITOR_APIS,
      why: "the database side's public entry: what the extension and the CLI may use",
    },
    {
      name: 'cli',
      paths: ['cli/'],
      entries: ['cli/main.ts'],
      mayImport: ['analysis', 'files', 'database'],
      forbiddenPackages: EDITOR_APIS,
      why: 'the command line drives the core and the database side without an editor',
    },
    {
      name: 'client',
      paths: ['client/src/'],
      entries: ['client/src/extension.ts'],
      mayImport: ['protocol', 'database', 'render'],
      forbiddenPackages: ['vscode-languageserver', 'vscode-languageserver-textdocument'],
      why: 'the VS Code extension, a thin client: it talks to the server only over the protocol and never loads the core',
    },
  ],
};

export interface Violation {
  file: string;
  specifier: string;
  message: string;
}

function partOf(rules: Rules, file: string): Part | undefined {
  return rules.parts.find((p) => p.paths.some((prefix) => (prefix.endsWith('/') ? file.startsWith(prefix) : file === prefix)));
}

function packageName(specifier: string): string {
  const segs = specifier.split('/');
  return specifier.startsWith('@') ? segs.slice(0, 2).join('/') : segs[0]!;
}

function forbids(pattern: string, specifier: string): boolean {
  if (pattern.endsWith('*')) return packageName(specifier).startsWith(pattern.slice(0, -1));
  return packageName(specifier) === pattern;
}

const EXTENSIONS = ['', '.ts', '.tsx', '.mts', '.json', '/index.ts'];

/** The repository-relative file a relative specifier names, or undefined when none exists. */
function resolveRelative(root: string, from: string, specifier: string): string | undefined {
  const base = join(root, dirname(from), specifier);
  for (const ext of EXTENSIONS) {
    const p = base + ext;
    if (existsSync(p) && statSync(p).isFile()) return relative(root, p).split(sep).join('/');
  }
  return undefined;
}

function sourceFiles(root: string, dir: string): string[] {
  const abs = join(root, dir);
  if (!existsSync(abs)) return [];
  if (statSync(abs).isFile()) return [dir];
  const out: string[] = [];
  for (const name of readdirSync(abs)) {
    const rel = `${dir}/${name}`;
    if (statSync(join(root, rel)).isDirectory()) out.push(...sourceFiles(root, rel));
    else if (/\.(ts|tsx|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** Every import of every source file that breaks a rule, plus cycles between parts; [] when the code holds. */
export function checkBoundaries(root: string, rules: Rules = RULES): Violation[] {
  const violations: Violation[] = [];
  const byName = new Map(rules.parts.map((p) => [p.name, p]));
  const edges = new Map<string, Map<string, string>>();
  for (const file of rules.sourceRoots.flatMap((d) => sourceFiles(root, d))) {
    const part = partOf(rules, file);
    if (!part) {
      violations.push({ file, specifier: '', message: 'belongs to no part: add it to a part in scripts/boundaries.ts and ARCHITECTURE.md' });
      continue;
    }
    const info = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true);
    for (const { fileName: specifier } of info.importedFiles) {
      if (specifier.startsWith('.')) {
        const target = resolveRelative(root, file, specifier);
        if (!target) {
          violations.push({ file, specifier, message: 'names no file' });
          continue;
        }
        const to = partOf(rules, target);
        if (to === part) continue;
        if (!to) {
          if (!rules.sharedFiles.includes(target)) violations.push({ file, specifier, message: `${target} belongs to no part` });
          continue;
        }
        if (!edges.has(part.name)) edges.set(part.name, new Map());
        edges.get(part.name)!.set(to.name, `${file} → ${target}`);
        if (!part.mayImport.includes(to.name)) {
          violations.push({ file, specifier, message: `${part.name} must not import ${to.name} (${target})` });
        } else if (to.entries && !to.entries.includes(target) && !part.deepImports?.includes(to.name)) {
          violations.push({ file, specifier, message: `${part.name} imports ${to.name} past its entry (${target}; use ${to.entries.join(' or ')})` });
        }
      } else if (!specifier.startsWith('node:')) {
        const bad = part.forbiddenPackages.find((pattern) => forbids(pattern, specifier));
        if (bad) violations.push({ file, specifier, message: `${part.name} must not import the package ${specifier}` });
      }
    }
  }
  for (const cycle of partCycles(edges)) {
    const witness = cycle.map((p, i) => edges.get(p)!.get(cycle[(i + 1) % cycle.length]!)!).join('; ');
    violations.push({ file: witness.split(' → ')[0]!, specifier: '', message: `cycle between parts: ${[...cycle, cycle[0]].join(' → ')} (${witness})` });
  }
  for (const part of rules.parts) {
    for (const dep of part.mayImport)
      if (!byName.has(dep)) violations.push({ file: '', specifier: '', message: `${part.name} may import an unknown part ${dep}` });
  }
  return violations;
}

/** The cycles of a part graph (one per strongly connected set of two or more parts), each as a path of parts. */
export function partCycles(edges: Map<string, Map<string, string>>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of edges.get(n)?.keys() ?? []) {
      if (state.get(m) === 'open') cycles.push(stack.slice(stack.indexOf(m)));
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of [...edges.keys()].sort()) if (!state.has(n)) visit(n);
  return cycles;
}

/** The rules as the table ARCHITECTURE.md holds between its boundaries markers. */
export function renderRules(rules: Rules = RULES): string {
  const code = (xs: readonly string[]): string => (xs.length ? xs.map((x) => `\`${x}\``).join(', ') : 'nothing');
  const lines = [
    '| part | files | others import it through | it may import | it must never import (packages) | why |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const p of rules.parts) {
    const may = p.mayImport.map((d) => (p.deepImports?.includes(d) ? `${d} (any file)` : d));
    lines.push(
      `| ${p.name} | ${code(p.paths)} | ${p.entries ? code(p.entries) : 'any file'} | ` +
        `${may.length ? may.join(', ') : 'no other part'} | ${code(p.forbiddenPackages)} | ${p.why} |`,
    );
  }
  return lines.join('\n');
}

export const MARKER_BEGIN = '<!-- boundaries:begin (rendered from scripts/boundaries.ts; test/unit/boundaries.test.ts checks) -->';
export const MARKER_END = '<!-- boundaries:end -->';
