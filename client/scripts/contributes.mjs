// Writes package.json's `contributes.configuration` analysis settings (the `pgperf.*` settings of the LSP contract) with one
// `pgperf.rules` property per rule, from `pgperf rules --format json` (run `node build.mjs` first).
// Run: npm run contributes. test/client/contributes.test.ts checks that package.json is up to date.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
// The analysis defaults from the built CLI bundle, so the settings' defaults cannot drift from them.
const { DEFAULT_CONFIG } = createRequire(import.meta.url)(`${root}dist/cli.js`);
const rules = JSON.parse(execFileSync(process.execPath, ['bin/pgperf.js', 'rules', '--format', 'json'], { cwd: root, encoding: 'utf8' }));

const SEVERITIES = ['off', 'info', 'warning', 'error'];
const SEVERITY_DESCRIPTIONS = ['Turn the rule off.', 'Report findings as information.', 'Report findings as warnings.', 'Report findings as errors.'];

const ruleProperties = Object.fromEntries(
  rules.map((r) => [
    r.id,
    {
      type: 'string',
      enum: SEVERITIES,
      enumDescriptions: SEVERITY_DESCRIPTIONS,
      description: `${r.docs.summary} Default: ${r.optIn ? `off (opt-in; turn on at ${r.severity})` : r.severity}.`,
    },
  ]),
);

const configuration = {
  title: 'pgperf',
  properties: {
    'pgperf.rules': {
      type: 'object',
      scope: 'resource',
      default: {},
      markdownDescription:
        'Severity per rule: `off`, `info`, `warning` or `error`. A rule left out keeps its default severity (or the one `.pgperf.json` gives it). Example: `{ "select-star": "info", "vacuum-full": "error" }`.',
      properties: ruleProperties,
      additionalProperties: false,
    },
    'pgperf.tenantColumn': {
      type: 'string',
      scope: 'resource',
      default: 'tenant_id',
      minLength: 1,
      maxLength: 63,
      markdownDescription:
        'The column that makes a table a *tenant table* (multi-tenant rules: `tenant-index-order`, `split-tenant-indexes`, `tenant-table-without-rls`).',
    },
    'pgperf.include': {
      type: 'array',
      scope: 'resource',
      items: { type: 'string' },
      // .sql files and the host files whose SQL strings are read.
      default: DEFAULT_CONFIG.include,
      markdownDescription:
        'Glob patterns (relative to the workspace folder) of the files analysed as one workspace: SQL files, and TypeScript, JavaScript, Python, Go and Rust files, whose SQL strings are read (see `pgperf.embedded`).',
    },
    'pgperf.exclude': {
      type: 'array',
      scope: 'resource',
      items: { type: 'string' },
      default: DEFAULT_CONFIG.exclude,
      markdownDescription:
        'Glob patterns of files left out of the analysis, even when `pgperf.include` matches them (by default dependencies, build output and host-language test code).',
    },
    'pgperf.embedded': {
      type: ['object', 'boolean'],
      scope: 'resource',
      default: {},
      markdownDescription:
        'SQL in TypeScript, JavaScript, Python, Go and Rust code: `false` turns it off; `languages` turns single languages off (`{ "languages": { "python": false } }`); `calls` and `tags` add function and template-tag names whose string is SQL; `keywordFallback: false` takes only strings passed to a known database API or marked `/* sql */`.',
      properties: {
        languages: {
          type: 'object',
          description: 'Host languages whose SQL strings are read (all by default; `typescript` covers .tsx).',
          properties: Object.fromEntries(
            ['typescript', 'javascript', 'python', 'go', 'rust'].map((l) => [
              l,
              {
                type: 'boolean',
                default: true,
                description: `Read SQL strings in ${l === 'typescript' ? 'TypeScript' : l === 'javascript' ? 'JavaScript' : l[0].toUpperCase() + l.slice(1)} files.`,
              },
            ]),
          ),
          additionalProperties: false,
        },
        calls: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          description: 'Extra functions or methods (`runQuery`, `db.runQuery`) whose first string argument is SQL.',
        },
        tags: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          description: 'Extra template tags (`db.sql`) whose template is SQL (JavaScript, TypeScript).',
        },
        keywordFallback: {
          type: 'boolean',
          default: true,
          description: 'Also read a string that starts with a statement keyword and parses, where no API or marker comment says it is SQL.',
        },
        parseTimeoutMs: {
          type: 'integer',
          minimum: 0,
          default: 500,
          description:
            'How long parsing a code file may take, in ms per MB of its text (at least this for a smaller file); a file that takes longer is reported (host-parse-timeout), not read. 0: no limit.',
        },
      },
      additionalProperties: false,
    },
    'pgperf.partitionedTables': {
      type: 'object',
      scope: 'resource',
      default: {},
      markdownDescription:
        'Partitioned tables whose DDL is not in the workspace (e.g. created by another service), by `schema.table`. Example: `{ "app.event_log": { "strategy": "range", "columns": ["timestamp"] } }`.',
      additionalProperties: {
        type: 'object',
        properties: {
          strategy: { type: 'string', enum: ['range', 'list', 'hash'], default: 'range', description: 'The partitioning strategy.' },
          columns: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'The partition key columns.' },
        },
        required: ['columns'],
        additionalProperties: false,
      },
    },
    'pgperf.trace.server': {
      type: 'string',
      scope: 'window',
      enum: ['off', 'messages', 'verbose'],
      default: 'off',
      description: 'Traces the communication between VS Code and the pgperf language server (in the pgperf output).',
    },
  },
};

const pkgPath = `${root}package.json`;
const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
// The analysis settings are generated; the client's own (connections, explain) are kept as they are.
const kept = Object.fromEntries(Object.entries(pkg.contributes?.configuration?.properties ?? {}).filter(([key]) => !(key in configuration.properties)));
pkg.contributes = { ...pkg.contributes, configuration: { ...configuration, properties: { ...configuration.properties, ...kept } } };
writeFileSync(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
console.log(`package.json: ${rules.length} rules in pgperf.rules`);
