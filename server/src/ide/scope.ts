/**
 * Which files the workspace holds: what the scan reads, and whether a file opened or changed on disk belongs to the
 * workspace. Paths are '/'-separated and relative to the workspace folder.
 */
import { matchesGlobs } from '../analysis/glob';
import { hostLanguageOf, type EmbeddedLanguage } from '../analysis/host/index';
import type { Workspace } from './workspace';

/** The `embedded.languages` key of a host file's path (`.tsx` is TypeScript), undefined for a SQL file. */
export function embeddedLanguageOf(path: string): EmbeddedLanguage | undefined {
  const lang = hostLanguageOf(path);
  return lang === 'tsx' ? 'typescript' : lang;
}

/**
 * Whether the workspace scan reads this file: its project's include/exclude globs, which are relative to the project's
 * folder (the workspace folder for the top project, as in the CLI), and its host language switched on there.
 */
export function inScope(ws: Workspace, path: string): boolean {
  const root = ws.projectOf(path);
  const cfg = ws.configOf(path);
  const lang = embeddedLanguageOf(path);
  return matchesGlobs(root === '' ? path : path.slice(root.length + 1), cfg.include, cfg.exclude) && (!lang || cfg.embedded.languages[lang]);
}
