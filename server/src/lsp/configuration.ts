/**
 * Configuration: the client's `pgperf` settings over the workspace folder's `.pgperf.json`, and the separate
 * projects (a subfolder holding a `.pgperf.json`). Problems in a `.pgperf.json` are shown on the file itself, as
 * warnings on the key at fault; problems in a setting go to the log.
 */
import { existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Connection, Diagnostic } from 'vscode-languageserver/node';
import { CONFIG_FILE, foldersAbove, type ConfigProblem, type ResolvedConfig } from '../analysis/index';
import { readConfigFile, type ConfigFileRead } from '../config-file';
import { mergeSettings } from '../ide/settings';

/** A config file that was read (one that cannot be read counts as absent: the defaults apply). */
const readable = (read: ConfigFileRead | undefined) => (read && !('unreadable' in read) ? read : undefined);

export class Configuration {
  /** Whether the client answers workspace/configuration. */
  canConfigure = false;
  /** The config files whose problems are shown, cleared on the next load. */
  private topProblemUris: string[] = [];
  private projectProblemUris: string[] = [];

  constructor(private readonly connection: Connection) {}

  /** The top project's config: the first workspace folder's `.pgperf.json` under the client's settings. */
  async top(folders: readonly string[]): Promise<ResolvedConfig> {
    const file = folders[0] ? join(folders[0], CONFIG_FILE) : undefined;
    const read = readable(file ? readConfigFile(file) : undefined);
    let settings: Record<string, unknown> = {};
    if (this.canConfigure) {
      settings = ((await this.connection.workspace.getConfiguration({ section: 'pgperf' }).catch(() => ({}))) ?? {}) as Record<string, unknown>;
    }
    const config = mergeSettings(read?.config, settings);
    for (const p of config.problems) this.connection.console.warn(`[pgperf] setting pgperf.${p.path}: ${p.message} (ignored)`);
    this.clear(this.topProblemUris);
    if (file && read) this.show(this.topProblemUris, pathToFileURL(file).href, read.text, read.problems);
    return config.config;
  }

  /**
   * Separate projects: each folder below a workspace folder that holds a `.pgperf.json` (read like the top one, its
   * problems shown on the file) gets its own config and catalog. Keyed by workspace-relative folder.
   */
  projects(folders: readonly string[], paths: readonly string[]): Map<string, ResolvedConfig> {
    const slash = (p: string) => p.split(sep).join('/');
    const seen = new Set<string>();
    const projects = new Map<string, ResolvedConfig>();
    this.clear(this.projectProblemUris);
    for (const path of paths) {
      const root = folders.find((f) => path.startsWith(f + sep));
      if (!root) continue;
      for (const dir of foldersAbove(slash(path), slash(root))) {
        if (seen.has(dir)) continue;
        seen.add(dir);
        const file = join(dir, CONFIG_FILE);
        const read = readable(existsSync(file) ? readConfigFile(file) : undefined);
        if (!read) continue;
        projects.set(slash(relative(root, dir)), read.config);
        this.show(this.projectProblemUris, pathToFileURL(file).href, read.text, read.problems);
      }
    }
    return projects;
  }

  private clear(uris: string[]): void {
    for (const uri of uris.splice(0)) void this.connection.sendDiagnostics({ uri, diagnostics: [] });
  }

  private show(shown: string[], uri: string, text: string, problems: readonly ConfigProblem[]): void {
    if (problems.length === 0) return;
    shown.push(uri);
    void this.connection.sendDiagnostics({ uri, diagnostics: problems.map((x) => problemDiagnostic(text, x)) });
  }
}

function problemDiagnostic(text: string, x: ConfigProblem): Diagnostic {
  return { range: rangeOfKey(text, x.path), severity: 2, source: 'pgperf', message: `${x.path || '(root)'}: ${x.message} (ignored)` };
}

function lineAt(text: string, offset: number): number {
  let line = 0;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Where a dotted config path's key sits in the JSON text (a best effort for the diagnostic's range). */
function rangeOfKey(text: string, path: string) {
  const last = path.split('.').pop() ?? '';
  const at = last ? text.indexOf(`"${last}"`) : -1;
  const offset = at < 0 ? 0 : at;
  const line = lineAt(text, offset);
  const character = offset - (text.lastIndexOf('\n', offset - 1) + 1);
  const len = at < 0 ? 1 : last.length + 2;
  return { start: { line, character }, end: { line, character: character + len } };
}
