/**
 * The host-language grammars (tree-sitter compiled to WASM, the builds VS Code ships in @vscode/tree-sitter-wasm,
 * run by web-tree-sitter 0.25 — a pair measured to load together). Loaded once, lazily; parsing is sync after.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Language, Parser, type Tree } from 'web-tree-sitter';

export type HostLanguage = 'typescript' | 'tsx' | 'javascript' | 'python' | 'go' | 'rust';

export const HOST_LANGUAGES: readonly HostLanguage[] = ['typescript', 'tsx', 'javascript', 'python', 'go', 'rust'];

/** The language of a host file by its extension, or undefined for a file that is not one. */
export function hostLanguageOf(path: string): HostLanguage | undefined {
  const m = /\.([a-z]+)$/i.exec(path);
  switch (m?.[1].toLowerCase()) {
    case 'ts': case 'mts': case 'cts': return 'typescript';
    case 'tsx': return 'tsx';
    case 'js': case 'mjs': case 'cjs': case 'jsx': return 'javascript';
    case 'py': case 'pyi': return 'python';
    case 'go': return 'go';
    case 'rs': return 'rust';
    default: return undefined;
  }
}

/**
 * Where the WASM files are: beside the bundle (build.mjs copies them to dist/tree-sitter/, which the .vsix holds)
 * or, when running from source, in the two packages.
 */
function wasmPaths(): { runtime: string; grammar: (lang: HostLanguage) => string } {
  const bundled = join(__dirname, 'tree-sitter');
  if (existsSync(join(bundled, 'tree-sitter.wasm'))) {
    return { runtime: join(bundled, 'tree-sitter.wasm'), grammar: (l) => join(bundled, `tree-sitter-${l}.wasm`) };
  }
  const require = createRequire(__filename);
  const runtime = join(dirname(require.resolve('web-tree-sitter')), 'tree-sitter.wasm');
  const grammars = dirname(require.resolve('@vscode/tree-sitter-wasm'));
  return { runtime, grammar: (l) => join(grammars, `tree-sitter-${l}.wasm`) };
}

let ready: Promise<void> | undefined;
const parsers = new Map<HostLanguage, Parser>();

/** Loads the runtime and every grammar once; the sync calls below need it to have resolved. */
export function initHostParsers(): Promise<void> {
  ready ??= (async () => {
    const paths = wasmPaths();
    await Parser.init({ locateFile: () => paths.runtime });
    for (const lang of HOST_LANGUAGES) {
      const parser = new Parser();
      parser.setLanguage(await Language.load(paths.grammar(lang)));
      parsers.set(lang, parser);
    }
  })();
  return ready;
}

/** The loaded grammar of `lang` (for queries over its trees). */
export function hostGrammar(lang: HostLanguage): Language {
  const language = parsers.get(lang)?.language;
  if (!language) throw new Error('the host-language parsers are not loaded: await initHostParsers() first');
  return language;
}

export function hostParsersReady(): boolean {
  return parsers.size === HOST_LANGUAGES.length;
}

/** The syntax tree of a host file. Offsets in it are UTF-16 offsets into `text`, as JavaScript strings index. */
export function parseHost(lang: HostLanguage, text: string): Tree {
  const parser = parsers.get(lang);
  if (!parser) throw new Error('the host-language parsers are not loaded: await initHostParsers() first');
  const tree = parser.parse(text);
  if (!tree) throw new Error(`the ${lang} parser returned no tree`);
  return tree;
}
