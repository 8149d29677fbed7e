/**
 * `.pgperf.json` (and, in the editor, `pgperf.*` settings): validated with zod one value at a time, so a bad
 * value is reported with its path and dropped while everything else still applies.
 */
import { z } from 'zod';
import type { PartitionStrategy } from './catalog';
import { DEFAULT_EMBEDDED_OPTIONS, type EmbeddedOptions } from './host/options';
import type { PlaceholderKind, TemplatePattern } from './templates';
import type { ConfigProblem, SeveritySetting } from './types';

export interface ResolvedConfig {
  rules: Record<string, SeveritySetting>;
  tenantColumn: string;
  partitionedTables: Record<string, { strategy: PartitionStrategy; columns: string[] }>;
  include: string[];
  exclude: string[];
  /** Extra template patterns (besides the built-in ones, see templates.ts), replaced by placeholders before parsing. */
  templates: TemplatePattern[];
  /** SQL in TypeScript, JavaScript, Python, Go and Rust files: which languages, extra calls and tags. */
  embedded: EmbeddedOptions;
}

const HOST_EXTENSIONS = ['ts', 'mts', 'cts', 'tsx', 'js', 'mjs', 'cjs', 'jsx', 'py', 'go', 'rs'];

/** Host files linted by default beside .sql files (the extensions hostLanguageOf knows). */
const HOST_GLOBS = HOST_EXTENSIONS.map((e) => `**/*.${e}`);

/**
 * Host test code, left out by default: its SQL is expected output compared in assertions, seed data and
 * throwaway-database steps, never a query the application sends (.sql files in test folders still count).
 */
const HOST_TEST_GLOBS = [
  ...HOST_EXTENSIONS.flatMap((e) => [
    `**/*.test.${e}`,
    `**/*.spec.${e}`,
    `**/__tests__/**/*.${e}`,
    `**/tests/**/*.${e}`,
    `**/test/**/*.${e}`,
    // End-to-end test packages (PeerDB's flow/e2e/ helpers query the test database).
    `**/e2e/**/*.${e}`,
  ]),
  '**/*_test.go',
  '**/test_*.py',
  '**/*_test.py',
  '**/conftest.py',
];

export const DEFAULT_CONFIG: ResolvedConfig = {
  rules: {},
  tenantColumn: 'tenant_id',
  partitionedTables: {},
  include: ['**/*.sql', ...HOST_GLOBS],
  // Dependencies and build output: installed packages, Cargo's target, Go's vendor, Python virtual environments.
  exclude: ['**/node_modules/**', '**/.git/**', '**/target/**', '**/vendor/**', '**/.venv/**', '**/*.d.ts', '**/*.min.js', ...HOST_TEST_GLOBS],
  templates: [],
  embedded: DEFAULT_EMBEDDED_OPTIONS,
};

const severity = z.enum(['off', 'info', 'warning', 'error']);
const identifier = z.string().min(1).max(63);
const partitionKey = z
  .object({
    strategy: z.enum(['range', 'list', 'hash']).default('range'),
    columns: z.array(identifier).min(1),
  })
  .strict();
const globs = z.array(z.string().min(1));

const fields = {
  tenantColumn: identifier,
  include: globs,
  exclude: globs,
} as const;

export interface ConfigResult {
  config: ResolvedConfig;
  problems: ConfigProblem[];
}

function describe(err: z.ZodError, base: string): ConfigProblem[] {
  return err.issues.map((i) => ({
    path: [base, ...i.path.map(String)].filter((p) => p !== '').join('.'),
    message: i.message,
  }));
}

const PLACEHOLDER_KINDS = ['identifier', 'value', 'literal', 'blank'] as const satisfies readonly PlaceholderKind[];
const templateObject = z.object({ pattern: z.string().min(1), as: z.enum(PLACEHOLDER_KINDS).default('identifier') }).strict();
// A string or an object, each checked on its own so that a problem names the field (a union names neither).
const templateEntry = (entry: unknown) => (typeof entry === 'string' ? z.string().min(1).safeParse(entry) : templateObject.safeParse(entry));

/**
 * `templates`: regular expressions (strings) or `{ pattern, as }`; each match is replaced by a placeholder of
 * its length (`as`: identifier by default, value = `$1`, literal = '…', blank = spaces). A pattern that does
 * not compile, or that matches the empty string (it would match everywhere), is reported and dropped.
 */
function resolveTemplates(value: unknown, problems: ConfigProblem[]): TemplatePattern[] {
  if (!Array.isArray(value)) {
    problems.push({
      path: 'templates',
      message: 'expected an array of regular expressions (strings) or { "pattern": "…", "as": "identifier|value|literal|blank" }',
    });
    return [];
  }
  const out: TemplatePattern[] = [];
  value.forEach((entry, i) => {
    const r = templateEntry(entry);
    if (!r.success) {
      problems.push(...describe(r.error, `templates.${i}`));
      return;
    }
    const pattern = typeof r.data === 'string' ? r.data : r.data.pattern;
    let regex: RegExp;
    try {
      regex = new RegExp(pattern, 'g');
    } catch (e) {
      problems.push({ path: `templates.${i}`, message: `invalid regular expression: ${(e as Error).message}` });
      return;
    }
    if (new RegExp(`^(?:${pattern})$`).test('')) {
      problems.push({ path: `templates.${i}`, message: `the pattern ${JSON.stringify(pattern)} matches the empty string` });
      return;
    }
    out.push({ regex, as: typeof r.data === 'string' ? 'identifier' : r.data.as });
  });
  return out;
}

/** Validates a parsed `.pgperf.json` value against the known rule ids. */
export function resolveConfig(raw: unknown, ruleIds: ReadonlySet<string>): ConfigResult {
  const config: ResolvedConfig = structuredClone(DEFAULT_CONFIG);
  const problems: ConfigProblem[] = [];
  if (raw === undefined || raw === null) return { config, problems };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return { config, problems: [{ path: '', message: 'expected an object' }] };
  }
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (key === '$schema') continue;
    if (key === 'rules') {
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        problems.push({ path: 'rules', message: 'expected an object of rule id → off|info|warning|error' });
        continue;
      }
      for (const [id, sev] of Object.entries(value as Record<string, unknown>)) {
        if (!ruleIds.has(id)) {
          problems.push({ path: `rules.${id}`, message: `unknown rule "${id}"` });
          continue;
        }
        const r = severity.safeParse(sev);
        if (r.success) config.rules[id] = r.data;
        else problems.push(...describe(r.error, `rules.${id}`));
      }
      continue;
    }
    if (key === 'partitionedTables') {
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        problems.push({ path: key, message: 'expected an object of table name → { strategy, columns }' });
        continue;
      }
      for (const [table, spec] of Object.entries(value as Record<string, unknown>)) {
        const r = partitionKey.safeParse(spec);
        if (r.success) config.partitionedTables[table.toLowerCase()] = r.data;
        else problems.push(...describe(r.error, `partitionedTables.${table}`));
      }
      continue;
    }
    if (key === 'templates') {
      config.templates = resolveTemplates(value, problems);
      continue;
    }
    if (key === 'embedded') {
      config.embedded = resolveEmbedded(value, problems);
      continue;
    }
    if (key in fields) {
      const k = key as keyof typeof fields;
      const r = fields[k].safeParse(value);
      if (r.success) (config as unknown as Record<string, unknown>)[k] = r.data;
      else problems.push(...describe(r.error, key));
      continue;
    }
    problems.push({ path: key, message: 'unknown setting' });
  }
  return { config, problems };
}

const embeddedSchema = {
  languages: z.object({ typescript: z.boolean(), javascript: z.boolean(), python: z.boolean(), go: z.boolean(), rust: z.boolean() }).partial().strict(),
  calls: z.array(z.string().min(1)),
  tags: z.array(z.string().min(1)),
  keywordFallback: z.boolean(),
  parseTimeoutMs: z.number().int().min(0),
} as const;

/**
 * `embedded`: `false` turns host files off; otherwise `{ languages: { python: false }, calls: ["runQuery"],
 * tags: ["db.sql"], keywordFallback: false, parseTimeoutMs: 500 }`, each field checked on its own.
 */
function resolveEmbedded(value: unknown, problems: ConfigProblem[]): EmbeddedOptions {
  const out: EmbeddedOptions = structuredClone(DEFAULT_EMBEDDED_OPTIONS);
  if (value === false || value === true) {
    for (const k of Object.keys(out.languages) as (keyof EmbeddedOptions['languages'])[]) out.languages[k] = value;
    return out;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    problems.push({ path: 'embedded', message: 'expected false, true or { languages, calls, tags, keywordFallback, parseTimeoutMs }' });
    return out;
  }
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (!(key in embeddedSchema)) {
      problems.push({ path: `embedded.${key}`, message: 'unknown setting' });
      continue;
    }
    const k = key as keyof typeof embeddedSchema;
    const r = embeddedSchema[k].safeParse(v);
    if (!r.success) problems.push(...describe(r.error, `embedded.${key}`));
    else if (k === 'languages') Object.assign(out.languages, r.data);
    else (out as unknown as Record<string, unknown>)[k] = r.data;
  }
  return out;
}

/** Reads `.pgperf.json` text: a JSON syntax error is one problem, and the defaults apply. */
export function parseConfigText(text: string, ruleIds: ReadonlySet<string>): ConfigResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { config: structuredClone(DEFAULT_CONFIG), problems: [{ path: '', message: `invalid JSON: ${(e as Error).message}` }] };
  }
  return resolveConfig(raw, ruleIds);
}
