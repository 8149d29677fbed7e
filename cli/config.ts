/**
 * `.pgperf.json` for the command line: one reader, used by `lint` (which reports what is wrong with the file) and
 * by `explain` (which only needs its include/exclude globs and embedded settings to find the workspace DDL).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CONFIG_FILE, DEFAULT_CONFIG, type ConfigProblem, type ResolvedConfig } from '../server/src/analysis/index';
import { readConfigFile as readConfig } from '../server/src/config-file';
import { UsageError } from '../server/src/files';

export interface LoadedConfig {
  config: ResolvedConfig;
  problems: ConfigProblem[];
  /** The file read; absent when there was none and the defaults apply. */
  path?: string;
}

/**
 * The config `file` names (relative to `cwd`), or the `.pgperf.json` of `cwd` when there is one. A file that cannot
 * be read or is not JSON is a usage error; its other problems are reported on stderr and ignored.
 */
export function loadConfig(file: string | undefined, cwd: string, io: { err(s: string): void }): LoadedConfig {
  const path = file ? resolve(cwd, file) : join(cwd, CONFIG_FILE);
  if (!file && !existsSync(path)) return { config: structuredClone(DEFAULT_CONFIG), problems: [] };
  const name = file ?? CONFIG_FILE;
  const read = readConfig(path);
  if ('unreadable' in read) throw new UsageError(`cannot read config ${name}: ${read.unreadable}`);
  const { config, problems } = read;
  if (problems.length === 1 && problems[0].path === '' && problems[0].message.startsWith('invalid JSON')) {
    throw new UsageError(`${name}: ${problems[0].message}`);
  }
  for (const p of problems) io.err(`pgperf: ${name}: ${p.path || '(root)'}: ${p.message} (ignored)\n`);
  return { config, problems, path };
}

/** The `.pgperf.json` of `cwd` read quietly (explain is not the place to report on it): the defaults when unreadable. */
export function workspaceConfig(cwd: string): ResolvedConfig {
  const path = join(cwd, CONFIG_FILE);
  if (!existsSync(path)) return structuredClone(DEFAULT_CONFIG);
  const read = readConfig(path);
  return 'unreadable' in read ? structuredClone(DEFAULT_CONFIG) : read.config;
}
