/** Finds the files a `pgperf lint` run covers: .sql files and host files (TypeScript, Python, Go, Rust, …). */
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { matchesGlobs } from './analysis/index';
import { hostLanguageOf, type EmbeddedOptions } from './analysis/index';

export class UsageError extends Error {}

/**
 * Files named explicitly are always linted; folders are searched recursively for files that match the include
 * globs and none of the exclude globs (globs are relative to `root`). Sorted, so runs are reproducible.
 */
export function collectFiles(paths: readonly string[], root: string, include: readonly string[], exclude: readonly string[]): string[] {
  const out = new Set<string>();
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = join(dir, e.name);
      const rel = relative(root, full).split(sep).join('/');
      if (e.isDirectory()) {
        // A folder is skipped when the exclude globs would drop anything inside it (e.g. `**/node_modules/**`).
        if (!matchesGlobs(`${rel}/\u0000`, ['**'], exclude)) continue;
        walk(full);
      } else if (e.isFile() && matchesGlobs(rel, include, exclude)) out.add(full);
    }
  };
  for (const p of paths) {
    const full = resolve(root, p);
    let st;
    try {
      st = statSync(full);
    } catch {
      throw new UsageError(`no such file or directory: ${p}`);
    }
    if (st.isDirectory()) walk(full);
    else out.add(full);
  }
  return [...out].sort();
}

/**
 * Whether a file's language is on in the `embedded` setting: always for a SQL file; for a host file, its
 * language's switch (TSX counts as TypeScript, as the setting documents).
 */
export function languageEnabled(path: string, embedded: EmbeddedOptions): boolean {
  const lang = hostLanguageOf(path);
  if (!lang) return true;
  return embedded.languages[lang === 'tsx' ? 'typescript' : lang];
}
