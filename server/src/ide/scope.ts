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

/** Whether the workspace scan would read this file: the include/exclude globs, and its host language switched on. */
export function inScope(ws: Workspace, path: string): boolean {
  // The globs the scan applies (the top project's, relative to the workspace folder).
  const cfg = ws.config;
  const lang = embeddedLanguageOf(path);
  return matchesGlobs(path, cfg.include, cfg.exclude) && (!lang || cfg.embedded.languages[lang]);
}
