/**
 * `.pgperf.json` read from disk: the one reader the CLI and the language server share. Each reports the problems
 * its own way (the CLI on stderr, a file it cannot read as a usage error; the language server on the file itself).
 */
import { readFileSync } from 'node:fs';
import { parseConfigText, RULE_IDS, type ConfigProblem, type ResolvedConfig } from './analysis/index';

/** A config file's text, what it resolves to and what is wrong with it; or why it could not be read. */
export type ConfigFileRead = { text: string; config: ResolvedConfig; problems: ConfigProblem[] } | { unreadable: string };

export function readConfigFile(path: string): ConfigFileRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return { unreadable: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
  return { text, ...parseConfigText(text, RULE_IDS) };
}
