#!/usr/bin/env node
// Pathological input (issue 18): each case at two sizes, n and 2n, linted in this process with the default rules and
// fixes computed (as the language server and `--format json` do) unless the case says otherwise; best of --runs. Prints JSON: ms at each size and their ratio
// (about 2 when the work is linear in the input, about 4 when quadratic), findings, internal errors.
// Cases: an OR chain of 6,000 and 12,000 arms on one column; OR arms on pairs of columns; nested ANDs each holding an OR; UNION
// arms; a statement too deep to analyse (operator chain); a 1 MB statement with a syntax error and a `;` in
// brackets, re-linted after an edit of another statement with the language server's statement cache; CR-only and
// single-line files of many statements with comments that do not parse whole; a TypeScript file with a query beside
// an expression thousands of levels deep; a Python query with thousands of parameters after a `--` comment.
// Usage: node bench/pathological.mjs [--runs N]   (build first: npm run build)
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const { lintSources, initParser, initEmbedded, ParseCache, DEFAULT_CONFIG } = createRequire(import.meta.url)(join(root, 'dist/cli.js'));
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 3;
await initParser();
await initEmbedded();

const repeat = (n, part, sep = '') => Array(n).fill(part).join(sep);
const SCHEMA = 'CREATE TABLE t (id int PRIMARY KEY, a int, x int);\n';
const nestedAndWithOr = (n) => `${SCHEMA}UPDATE t SET x = 1 WHERE ${repeat(n, '(a = 1 AND (x = 2 OR x = 3) AND ')}true${repeat(n, ')')};`;
const arms = (n, column) => Array.from({ length: n }, (_, i) => `${column(i)} = ${i}`).join(' OR ');

/** Each case: the files at size n, and how many are `n`; `relint` re-lints after an edit with a statement cache. */
const CASES = {
  // Both sizes below the 200,000 characters past which a statement is too large to analyse (2n: 145 and 157 KB), so
  // that the ratio is the analysis's growth, not the bound's.
  orChainOneColumn: { n: 6_000, files: (n) => ({ 'a.sql': `${SCHEMA}SELECT * FROM t WHERE ${arms(n, () => 'a')};` }) },
  orChainColumnPairs: { n: 5_000, files: (n) => ({ 'a.sql': `${SCHEMA}SELECT * FROM t WHERE ${arms(n, (i) => `c${i >> 1}`)};` }) },
  nestedAndWithOr: { n: 200, fixes: false, files: (n) => ({ 'a.sql': nestedAndWithOr(n) }) },
  // The same with fixes: each of the n findings' fixes is checked by parsing the whole edited statement (engine.ts).
  nestedAndWithOrFixes: { n: 200, files: (n) => ({ 'a.sql': nestedAndWithOr(n) }) },
  unionArms: { n: 1_000, files: (n) => ({ 'a.sql': `${SCHEMA}${repeat(n, 'SELECT a FROM t WHERE x = 1', ' UNION ')};` }) },
  tooDeepChain: { n: 50_000, files: (n) => ({ 'a.sql': `SELECT ${repeat(n, '1', '+')};`, 'b.sql': 'VACUUM FULL t;' }) },
  megabyteSyntaxErrorRelint: {
    relint: true,
    // n = 50,000 is 0.5 MB, 2n 1 MB; the `;` in brackets makes the piece a candidate for the tokenizer's split.
    n: 50_000,
    files: (n) => ({ 'a.sql': `SELECT 1;\nSELECT f(ARRAY[${repeat(n, 'a + 1.5', ', ')}], ;);\nSELECT 2;\n` }),
  },
  // The same, the edit inside the large statement: its text changed, so it is parsed again, but not tokenized.
  megabyteSyntaxErrorEditInside: {
    relint: true,
    edit: ['f(ARRAY[', 'g(ARRAY['],
    n: 50_000,
    files: (n) => ({ 'a.sql': `SELECT 1;\nSELECT f(ARRAY[${repeat(n, 'a + 1.5', ', ')}], ;);\nSELECT 2;\n` }),
  },
  crOnlyLines: { n: 10_000, files: (n) => ({ 'a.sql': `SELEC x;\r${repeat(n, 'VACUUM FULL t; -- why\r')}` }) },
  // Valid, on one line: parsed whole, each statement's end found back from its trailing comment.
  oneLine: { n: 10_000, files: (n) => ({ 'a.sql': repeat(n, 'VACUUM FULL t /* c */;', ' ') }) },
  // A TypeScript file with a generated expression thousands of levels deep beside one query (the host query cursor).
  hostDeepExpression: {
    n: 4_000,
    files: (n) => ({ 'a.ts': `const x = ${repeat(n, '1', '+')};\nexport const q = (db: any) => db.query(\`VACUUM FULL t\`);\n` }),
  },
  // A Python query with n driver parameters after a `--` comment that runs to its end: each parameter's kind asks
  // whether a quote is open before it (host/builder.ts), which once re-read the SQL from the comment every time.
  hostParametersAfterComment: {
    n: 20_000,
    files: (n) => ({ 'a.py': `def q(cur):\n    cur.execute("VACUUM FULL t -- ${repeat(n, '%s', ' ')}")\n` }),
  },
};

/** A folder name of letters only (no migration version) for each run. */
let run = 0;
const runFolder = () => `run-${[...(run++).toString(26)].map((d) => String.fromCharCode(97 + parseInt(d, 26))).join('')}`;

function lintOnce(c, n) {
  const sources = Object.entries(c.files(n)).map(([path, text]) => ({ path, text }));
  if (!c.relint) {
    // Each run under a path of its own: a host file's extraction is kept by path for the next edit of it (the
    // language server's case), and the same text at the same path again would be that kept extraction.
    const folder = runFolder();
    for (const s of sources) s.path = `${folder}/${s.path}`;
    const t0 = performance.now();
    const r = lintSources(sources, DEFAULT_CONFIG, undefined, { fixes: c.fixes !== false });
    return { ms: performance.now() - t0, findings: r.files.reduce((k, f) => k + f.findings.length, 0), internalErrors: r.internalErrors.length };
  }
  // The language server's case: the file is open (statement cache); an edit elsewhere re-lints it.
  const cache = new ParseCache();
  lintSources(sources, DEFAULT_CONFIG, cache, { fixes: true });
  const [from, to] = c.edit ?? ['SELECT 2;', 'SELECT 3;'];
  const edited = sources.map((s) => ({ ...s, text: s.text.replace(from, to) }));
  const t0 = performance.now();
  const r = lintSources(edited, DEFAULT_CONFIG, cache, { fixes: true });
  return { ms: performance.now() - t0, findings: r.files.reduce((k, f) => k + f.findings.length, 0), internalErrors: r.internalErrors.length };
}

const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const out = {};
for (const [name, c] of Object.entries(CASES)) {
  const at = (n) => {
    const all = Array.from({ length: runs }, () => lintOnce(c, n));
    const best = all.reduce((a, b) => (b.ms < a.ms ? b : a));
    return { n, ms: round(best.ms), findings: best.findings, internalErrors: best.internalErrors };
  };
  try {
    const small = at(c.n);
    const large = at(c.n * 2);
    out[name] = { small, large, ratio: round(large.ms / Math.max(small.ms, 0.1), 2) };
  } catch (e) {
    // A build before issue 18's fixes: the case crashes the lint.
    out[name] = { error: String(e).split('\n')[0] };
  }
}
console.log(JSON.stringify({ runs, cases: out }, null, 2));
