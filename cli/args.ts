/**
 * Argument reading shared by every command: `--help` / `-h` on any command, pgperf's own one-line messages for
 * option mistakes (never Node's), and output paths checked before a command does any work.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../server/src/files';

/** `--help` was asked for: the top level prints that command's usage and exits 0. Not an error of the user. */
export class HelpRequested extends Error {
  constructor(readonly command: string) {
    super(`help for ${command}`);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Node's parseArgs for `pgperf <command>`, with `-h`/`--help` added. Help wins over any other mistake on the line
 * (`lint --format xml --help` prints help), but not over `--` (after it, `--help` is an argument) nor as an
 * option's value (`--param -h`). Option mistakes become a UsageError naming the command's help.
 */
export function parseCommand<O extends Options>(command: string, args: string[], options: O, allowPositionals: boolean) {
  const all = { ...options, help: { type: 'boolean', short: 'h' } } as const;
  // A lenient pass first: it never throws, and its tokens say what the strict pass would reject, and why.
  const { tokens } = parseArgs({ args, options: all, strict: false, allowPositionals: true, tokens: true });
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) throw new HelpRequested(command);
  const see = `"pgperf ${command} --help" lists its options`;
  for (const t of tokens) {
    if (t.kind === 'positional' && !allowPositionals) throw new UsageError(`pgperf ${command} takes options only, not "${t.value}" (${see})`);
    if (t.kind !== 'option') continue;
    const spec = options[t.name];
    if (!spec) {
      const dash = allowPositionals ? '; an argument that starts with "-" goes after "--"' : '';
      throw new UsageError(`unknown option "${t.rawName}" for pgperf ${command} (${see}${dash})`);
    }
    if (spec.type === 'boolean' && t.value !== undefined) throw new UsageError(`${t.rawName} takes no value (got "${t.rawName}=${t.value}")`);
    if (spec.type === 'string') {
      if (t.value === undefined) throw new UsageError(`${t.rawName} needs a value`);
      // What Node calls ambiguous: `--format --json` is more likely a forgotten value than the value "--json".
      if (!t.inlineValue && t.value.startsWith('-')) {
        throw new UsageError(`${t.rawName} needs a value, not the option-like "${t.value}" (write --${t.name}=${t.value} if that is the value)`);
      }
    }
  }
  try {
    return parseArgs({ args, options, strict: true, allowPositionals, tokens: false });
  } catch (e) {
    // Whatever the lenient pass did not foresee: Node's text, which may end in an unbalanced quote, cut to its first sentence.
    if ((e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError(`${(e as Error).message.split(/\.\s|\n/)[0]} (${see})`);
    throw e;
  }
}

/**
 * A file an option writes (`--json F`, `--csv F`), checked before any work: its folder exists and can be written,
 * and it is not a folder itself. Nothing is created, so a run that fails later leaves no empty file behind.
 */
function checkOutputPath(option: string, file: string, cwd: string): void {
  if (file.trim() === '') throw new UsageError(`${option} needs a file name`);
  const path = resolve(cwd, file);
  const what = `${option} ${file}`;
  const stat = statOrUndefined(path);
  if (stat?.isDirectory()) throw new UsageError(`${what}: is a folder, not a file`);
  if (stat) {
    if (!writable(path)) throw new UsageError(`${what}: the file cannot be written (permission denied)`);
    return;
  }
  const dir = dirname(path);
  const dirStat = statOrUndefined(dir);
  if (!dirStat) throw new UsageError(`${what}: no such folder ${dirname(file)} (create it first)`);
  if (!dirStat.isDirectory()) throw new UsageError(`${what}: ${dirname(file)} is not a folder`);
  if (!writable(dir)) throw new UsageError(`${what}: the folder ${dirname(file)} cannot be written (permission denied)`);
}

/** Two options that would write the same file: the second would overwrite the first. */
export function checkDistinctOutputs(cwd: string, outputs: [option: string, file: string | undefined][]): void {
  const seen = new Map<string, string>();
  for (const [option, file] of outputs) {
    if (file === undefined) continue;
    checkOutputPath(option, file, cwd);
    const path = resolve(cwd, file);
    const other = seen.get(path);
    if (other) throw new UsageError(`${other} and ${option} name the same file ${file}`);
    seen.set(path, option);
  }
}

function statOrUndefined(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
