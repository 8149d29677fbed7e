#!/usr/bin/env node
// Scaffolds a rule: server/src/analysis/rules/<id>.ts (a skeleton that compiles), its entry in rules/index.ts and
// test/rules/<id>.test.ts (rule-tester cases that fail until they are replaced by real ones, as do the docs checks
// of test/unit/docs.test.ts until the skeleton's TODO docs are written), so a scaffold cannot pass as a finished rule.
// Usage: npm run new-rule <id> [-- --root <dir>]   (--root: the repository to write into; default this one)
// Exit status: 0 written, 2 bad usage (no id, not kebab-case, a rule or file that exists); nothing is written then.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const USAGE = `Usage: npm run new-rule <id> [-- --root <dir>]
  <id>          the rule id, kebab-case (lower-case words joined by '-'), e.g. seq-scan-on-join
  --root <dir>  the repository to write into (default: this one)
`;

function usage(message) {
  process.stderr.write(`new-rule: ${message}\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({ allowPositionals: true, options: { root: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
} catch (e) {
  usage(e.message);
}
if (args.values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (args.positionals.length !== 1) usage(`needs one rule id (got ${args.positionals.length === 0 ? 'none' : args.positionals.length}); see --help`);
const id = args.positionals[0];
// The same shape test/unit/docs.test.ts demands of every rule id.
if (!/^[a-z]+(-[a-z]+)*$/.test(id)) usage(`'${id}' is not a kebab-case rule id (lower-case words joined by '-', e.g. seq-scan-on-join)`);

const root = resolve(args.values.root ?? join(fileURLToPath(import.meta.url), '../..'));
const rulesDir = join(root, 'server/src/analysis/rules');
const indexPath = join(rulesDir, 'index.ts');
const rulePath = join(rulesDir, `${id}.ts`);
const testPath = join(root, 'test/rules', `${id}.test.ts`);
if (!existsSync(indexPath) || !existsSync(join(root, 'test/rules')))
  usage(`${root} has no server/src/analysis/rules/index.ts and test/rules: --root must be a pgperf repository`);
const name = id.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
const index = readFileSync(indexPath, 'utf8');
if (new RegExp(`id: '${id}'`).test(readRules()) || index.includes(`'./${id}'`)) usage(`rule ${id} exists`);
if (new RegExp(`\\b${name}\\b`).test(index)) usage(`rules/index.ts already has a name ${name}`);
for (const p of [rulePath, testPath]) if (existsSync(p)) usage(`${relative(root, p)} exists`);

/** The text of every rule module, to find an id declared in a file whose name differs from it. */
function readRules() {
  const m = index.match(/from '\.\/[^']+'/g) ?? [];
  return m
    .map((s) => join(rulesDir, `${s.slice(8, -1)}.ts`))
    .filter(existsSync)
    .map((p) => readFileSync(p, 'utf8'))
    .join('\n');
}

// The catalog order of RULES is the docs' and `pgperf rules`' order: a new rule goes last among the statement rules,
// before the file rules (unused-suppression, which reports on the suppressions of all the others, comes first of them).
function register(text) {
  const importLine = `import { ${name} } from './${id}';\n`;
  const lastImport = [...text.matchAll(/^import \{ \w+ \} from '\.\/[^']+';\n/gm)];
  if (lastImport.length === 0) usage('rules/index.ts has no rule imports to add to');
  const beforeImport = text.match(/^import \{ unusedSuppression \} from '\.\/unused-suppression';\n/m);
  const at = beforeImport ? beforeImport.index : lastImport[lastImport.length - 1].index + lastImport[lastImport.length - 1][0].length;
  let out = text.slice(0, at) + importLine + text.slice(at);
  const list = out.match(/export const RULES: readonly Rule\[\] = \[\n([\s\S]*?)\n\];/);
  if (!list) usage('rules/index.ts has no `export const RULES: readonly Rule[] = [ … ];` list');
  const entries = list[1].split('\n');
  const u = entries.findIndex((l) => l.trim() === 'unusedSuppression,');
  entries.splice(u >= 0 ? u : entries.length, 0, `  ${name},`);
  out = out.replace(list[0], `export const RULES: readonly Rule[] = [\n${entries.join('\n')}\n];`);
  return out;
}

const ruleText = `import { defineRule } from '../rule';

export const ${name} = defineRule({
  meta: {
    id: '${id}',
    // TODO: what the rule is about: locking, indexing, query, pgvector, tenancy, partitioning or correctness.
    category: 'query',
    severity: 'warning',
    fixable: false,
    docs: {
      summary: 'TODO: one line: what the rule flags.',
      why: 'TODO: why it matters, with the figures that make the case (the lock it holds, the rows it reads).',
      fix: 'TODO: what to do instead (and what the quick fix does, when there is one).',
      // Each example is linted alone (test/unit/docs.test.ts): give it the schema the rule needs.
      bad: 'TODO: SQL that fires the rule.',
      good: 'TODO: SQL that does not.',
    },
    // The findings' messages by id; {{name}} is filled from the report's data.
    messages: {
      todo: 'TODO: what is wrong with {{what}}, and what to do instead.',
    },
  },
  check({ statement, report }) {
    // The kind of statement the rule reads: libpg_query's node name (SelectStmt, IndexStmt, VacuumStmt, …);
    // statement.body is its node. Report on the tokens a reader would fix (statement.codeTokens()), not the whole
    // statement; a fix is { title, edits } in the statement's file offsets (set fixable above).
    if (statement.kind !== 'TODO') return;
    report({ start: statement.start, end: statement.end, messageId: 'todo', data: { what: statement.kind } });
  },
});
`;

const testText = `import { ${name} } from '../../server/src/analysis/rules/${id}';
import { PLACEHOLDER, ruleTester } from '../rule-tester';

// The two placeholder cases fail on purpose: replace them with real ones (and add many more).
ruleTester(${name}, {
  valid: [
    // SQL the rule must accept: the near misses of what it flags.
    \`-- \${PLACEHOLDER}\\nSELECT 1;\`,
  ],
  invalid: [
    // SQL it flags, with exactly its findings; for a fixable rule, \`output\` is the text after every fix.
    { code: \`-- \${PLACEHOLDER}\\nSELECT 1;\`, errors: [{ message: /TODO/, line: 2, column: 1 }], output: null },
  ],
});
`;

const newIndex = register(index);
writeFileSync(rulePath, ruleText, { flag: 'wx' });
writeFileSync(testPath, testText, { flag: 'wx' });
writeFileSync(indexPath, newIndex);
const rel = (p) => relative(root, p);
process.stdout.write(`created ${rel(rulePath)}
created ${rel(testPath)}
registered ${name} in ${rel(indexPath)}
next:
  1. write the check and the docs in ${rel(rulePath)}, the cases in ${rel(testPath)}
  2. npx vitest run ${rel(testPath)} test/unit/docs.test.ts
  3. npm run docs          (writes docs/rules/${id}.md)
  4. npm run contributes   (adds the rule's pgperf.rules setting to package.json)
  5. add the rule's row to the README's rules table
`);
