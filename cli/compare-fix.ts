/**
 * `pgperf explain --compare-fix FILE:LINE`: the finding on that line, its statement run with EXPLAIN (ANALYZE,
 * BUFFERS) as written and as its fix leaves it, on the embedded database (the folder's DDL, `--data N` rows) or
 * DATABASE_URL / PG*. The finding comes from linting the current folder's project, as `pgperf lint` sees it; the
 * measurement is the database side's (database/explain/compare.ts), each run rolled back.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { compareFix, type CompareOutcome, type CompareSide, databaseFromEnv, type Database, planToText, speedupText } from '../database/index';
import { comparisonFor, initEmbedded, initParser, lintSources, type Finding, type FixComparison } from '../server/src/analysis/index';
import { parseSqlForExplain } from '../server/src/analysis/pg';
import { UsageError } from '../server/src/files';
import { workspaceConfig } from './config';
import { fillAndReport } from './data';
import {
  consentFromFlags,
  displayPath,
  type Embedded,
  explainErrorCode,
  type ExplainIo,
  type ExplainRequest,
  loadWorkspaceDdl,
  projectFiles,
  workspaceDdl,
} from './explain';
import { serverTarget } from './target';
import { onTerminationSignals } from './signals';

export async function compareWithFix(
  target: string,
  request: ExplainRequest,
  io: ExplainIo,
  env: Record<string, string | undefined>,
  embedded: Embedded | undefined,
): Promise<number> {
  const { values, format, timeoutMs } = request;
  const m = /^(.*):(\d+)$/.exec(target);
  if (!m || !m[1]) throw new UsageError(`--compare-fix needs FILE:LINE (e.g. queries/sessions.sql:5), not "${target}"`);
  const [, file, lineText] = m;
  const line = Number(lineText);
  const runs = values.runs === undefined ? 3 : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) throw new UsageError(`--runs needs a number of runs from 1 to 100, not "${values.runs}"`);
  serverTarget(env);
  if (request.data && !embedded)
    throw new UsageError('--data fills the embedded database only; unset DATABASE_URL / PG* to use it (pgperf data --yes fills a server)');

  const { comparison, finding, path } = await findComparison(file!, line, values.rule, io.cwd);
  const params = (values.param ?? []).map((p) => (/^null$/i.test(p) ? null : p));
  if (params.length !== comparison.beforeParams) {
    const list = comparison.beforeParams === 1 ? '$1' : `$1…$${comparison.beforeParams}`;
    throw new UsageError(
      comparison.beforeParams === 0
        ? `the statement has no parameters; ${params.length} --param given`
        : `Compare with Fix runs the statement: give ${list} with --param (${params.length} given)`,
    );
  }

  let db: Database | undefined;
  const abort = new AbortController();
  let interrupted = false;
  const uninstall = io.signals
    ? onTerminationSignals(io.signals, () => {
        if (interrupted) process.exit(130);
        interrupted = true;
        io.err('pgperf: interrupted: cancelling the statement on the server…\n');
        abort.abort();
      })
    : () => undefined;
  try {
    db = embedded ? undefined : databaseFromEnv(env);
    if (db) io.err(`pgperf: database: ${db.label} (from ${env.DATABASE_URL ? 'DATABASE_URL' : 'PG* variables'})\n`);
    else {
      const ddl = await workspaceDdl(io);
      db = await embedded!;
      io.err(`pgperf: database: ${db.label} — no DATABASE_URL or PG* variables, using the embedded database\n`);
      await loadWorkspaceDdl(db, ddl, io);
      if (request.data) {
        // Only what the comparison reads: the vectors of a table it never touches would take most of the load.
        const only = await tablesToFill(db, [comparison.before, comparison.after]);
        io.err(`pgperf: synthetic data for the tables the statement reads and those they reference: ${only.fill.join(', ') || 'none'}\n`);
        if ((await fillAndReport(db, request.data.rows, request.data.seed, io, only.rows)).cancelled) return 130;
      }
    }
    const outcome = await compareFix(db, comparison, { params, timeoutMs, runs, confirm: consentFromFlags(values, io), signal: abort.signal });
    const where = `${displayPath(io.cwd, path)}:${line}`;
    io.out(format === 'json' ? jsonOutput(outcome, finding, where, db.label) : textOutput(outcome, where, db.label, runs));
    return 0;
  } catch (e) {
    const code = explainErrorCode(e, io, interrupted);
    if (code !== undefined) return code;
    throw e;
  } finally {
    uninstall();
    // The embedded database is the caller's to close.
    if (!embedded) await db?.close().catch(() => undefined);
  }
}

/**
 * The tables the statements read (as the database resolves their names) and, transitively, the tables their foreign
 * keys reference (their rows must exist first); `rows` leaves every other table of the database empty.
 */
async function tablesToFill(db: Database, statements: string[]): Promise<{ fill: string[]; rows: Record<string, number> }> {
  const names = new Set<string>();
  for (const sql of statements) {
    const parsed = parseSqlForExplain(sql);
    if (!parsed.ok) continue;
    const visit = (n: unknown): void => {
      if (Array.isArray(n)) return n.forEach(visit);
      if (!n || typeof n !== 'object') return;
      const rv = (n as { RangeVar?: { schemaname?: string; relname?: string } }).RangeVar;
      if (rv?.relname) names.add(rv.schemaname ? `${quoteIdent(rv.schemaname)}.${quoteIdent(rv.relname)}` : quoteIdent(rv.relname));
      for (const v of Object.values(n)) visit(v);
    };
    visit(parsed.stmts);
  }
  const session = await db.session();
  try {
    const res = await session.statement(
      `WITH RECURSIVE wanted(oid) AS (
         SELECT pg_catalog.to_regclass(n) FROM pg_catalog.unnest($1::pg_catalog.text[]) AS n WHERE pg_catalog.to_regclass(n) IS NOT NULL
         UNION
         SELECT c.confrelid FROM pg_catalog.pg_constraint c JOIN wanted w ON c.conrelid = w.oid WHERE c.contype = 'f'
       )
       SELECT n.nspname AS schema, c.relname AS name, c.oid IN (SELECT oid FROM wanted) AS wanted
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
        ORDER BY 1, 2`,
      [[...names]],
    );
    const fill: string[] = [];
    const rows: Record<string, number> = {};
    for (const r of res.rows) {
      const key = `${String(r.schema)}.${String(r.name)}`;
      if (r.wanted) fill.push(key);
      else rows[key] = 0;
    }
    return { fill, rows };
  } finally {
    await session.release();
  }
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Lints the current folder's project with fixes for FILE and returns the comparison of the finding on LINE. */
async function findComparison(
  file: string,
  line: number,
  rule: string | undefined,
  cwd: string,
): Promise<{ comparison: FixComparison; finding: Finding; path: string }> {
  await initParser();
  const config = workspaceConfig(cwd);
  const path = resolve(cwd, file);
  const { mine } = projectFiles(cwd, config);
  const paths = mine.includes(path) ? mine : [...mine, path];
  const sources: { path: string; text: string }[] = [];
  for (const p of paths) {
    try {
      sources.push({ path: p, text: readFileSync(p, 'utf8') });
    } catch (e) {
      if (p === path) throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  }
  await initEmbedded();
  const result = lintSources(sources, config, undefined, { fixes: (f) => f.file === path });
  const fileResult = result.files.find((f) => f.file.path === path)!;
  const onLine = fileResult.findings.filter((f) => f.range.start.line + 1 <= line && line <= f.range.end.line + 1 && (!rule || f.ruleId === rule));
  const withFix = onLine.filter((f) => f.fix);
  if (withFix.length === 0) {
    const what = rule ? `no ${rule} finding` : 'no finding';
    const others = onLine.length
      ? ` (${[...new Set(onLine.map((f) => f.ruleId))].join(', ')} on that line ${onLine.length === 1 ? 'has' : 'have'} no fix)`
      : '';
    throw new UsageError(`${what} with a fix on line ${line} of ${file}${others}`);
  }
  if (withFix.length > 1) {
    throw new UsageError(
      `line ${line} of ${file} has ${withFix.length} findings with a fix (${withFix.map((f) => f.ruleId).join(', ')}): pick one with --rule`,
    );
  }
  const finding = withFix[0]!;
  const found = comparisonFor(fileResult.file, finding, { templates: config.templates, embedded: config.embedded });
  if (!found.ok) throw new UsageError(`${finding.ruleId} on line ${line} of ${file}: ${found.reason}`);
  return { comparison: found.comparison, finding, path };
}

const ms = (x: number) => `${x < 10 ? x.toFixed(3) : x < 1000 ? x.toFixed(2) : x.toFixed(0)} ms`;
const int = (x: number) => Math.round(x).toLocaleString('en-US');

function textOutput(o: CompareOutcome, where: string, database: string, runs: number): string {
  const c = o.comparison;
  const row = (label: string, a: string, b: string, extra = '') => `  ${label.padEnd(26)}${a.padStart(14)}${b.padStart(14)}${extra}`;
  const lines = [
    `Compare with Fix: ${c.rule} at ${where}`,
    `Fix: ${c.title}`,
    `Database: ${database}`,
    '',
    row('', 'as written', 'fixed'),
    row(`execution (median of ${runs})`, ms(o.before.medianMs), ms(o.after.medianMs), `   ${speedupText(o.speedup)}`),
    row('rows read by scans', int(o.before.rowsScanned), int(o.after.rowsScanned)),
    row('shared buffers', int(o.before.buffers), int(o.after.buffers)),
  ];
  for (const ch of o.changes) lines.push(`Changed: ${ch}`);
  for (const n of o.notes) lines.push(`Note: ${n}`);
  const sideText = (title: string, s: CompareSide) => [``, `--- ${title} ---`, s.sql, '', planToText(s.result).trimEnd()];
  lines.push(...sideText('as written', o.before), ...sideText('fixed', o.after));
  return lines.join('\n') + '\n';
}

function jsonOutput(o: CompareOutcome, finding: Finding, where: string, database: string): string {
  const sideJson = (s: CompareSide) => ({
    sql: s.sql,
    params: s.params,
    executionMs: s.executionMs,
    medianMs: s.medianMs,
    rowsScanned: s.rowsScanned,
    buffers: s.buffers,
    plan: s.result.plan,
  });
  return `${JSON.stringify(
    {
      rule: finding.ruleId,
      at: where,
      title: o.comparison.title,
      database,
      setup: o.comparison.setup,
      before: sideJson(o.before),
      after: sideJson(o.after),
      speedup: o.speedup,
      changes: o.changes,
      notes: o.notes,
    },
    null,
    2,
  )}\n`;
}
