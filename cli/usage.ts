/**
 * The usage text of every command, in one place: `pgperf --help` is these sections in order, and
 * `pgperf <command> --help` (or `pgperf help <command>`) prints one of them, so the two never disagree.
 */
import pkg from '../package.json';

/** What a user's mistake exits with everywhere in the CLI (README: "2 bad usage"). */
export const BAD_USAGE = 2;

const LINT = `  pgperf lint [paths…] [--format text|json|sarif] [--config file] [--no-cache | --cache-location file]
      Lint files and folders (default: the current folder). Folders are searched recursively for the include
      globs: *.sql, and the SQL strings of TypeScript/JavaScript (.ts .tsx .js .mjs .cjs .jsx), Python (.py),
      Go (.go) and Rust (.rs) files — queries passed to a database API, tagged as sql or marked /* sql */;
      node_modules, target, vendor and .venv are skipped. All of them are one workspace: a query in src/ is
      judged against the tables of migrations/. Positions are those of the file as written (for embedded SQL,
      the line and column in the host file). .pgperf.json "embedded" turns languages off or adds APIs.
      Reads .pgperf.json from the current folder unless --config names another file; a .pgperf.json in a
      subfolder starts a separate project there (its own config and schema).
      A content-hash cache makes a run with nothing changed print the last output again, and a run after a
      change re-parse only the host files that changed; it is kept in the user's cache folder
      ($XDG_CACHE_HOME/pgperf or ~/.cache/pgperf, one file per working folder) or in --cache-location's file
      (e.g. one a CI job restores), and skipped with --no-cache.
      Exit code: 0 no error-severity finding, 1 at least one, 2 bad usage or an internal error.
`;

const EXPLAIN = `  pgperf explain [--analyze] [--yes] [--format text|json] [--generic] [--param V]… [--allow-irreversible]
                 [--timeout MS] [--data N [--seed S]]
                 (SQL | --file F [--line N] | --compare-fix F:LINE [--rule ID] [--runs N])
      EXPLAIN (with --analyze: EXPLAIN (ANALYZE, BUFFERS)) one statement and print the plan as a tree with
      findings, or --format json: { "database", "plan", "findings": [{ "rule", "node", "message" }] }.
      F may be a host file (.ts, .py, .go, .rs, …): N is a line of the SQL string, and the values interpolated
      into it (\${x}, {x}, %s, ?) become $n parameters. SQL that starts with "-" goes after "--".
      Database: DATABASE_URL or the PG* variables; without them the embedded PGlite database, with the DDL of
      the current folder (its .sql files and SQL strings) loaded first. Always inside a transaction that is
      rolled back; a statement that writes needs --yes (no prompt when stdin is not a terminal), and one with an
      effect a rollback cannot undo --yes --allow-irreversible. $n parameters: one --param each (NULL for null),
      or none for the generic plan. --timeout: statement_timeout in ms (default 30000, 0 for none).
      --data N: fill the embedded database's tables with synthetic rows first (N per table, a partitioned table
      2N, a table with a vector column at most 5000; --seed S, default 1, gives the same rows again), then
      ANALYZE; what was loaded goes to stderr. Embedded database only.
      --compare-fix F:LINE: the finding with a fix on that line (--rule ID when there are several), its statement
      run with EXPLAIN ANALYZE as written and as fixed, --runs N times each (default 3, alternating): median
      execution time, speed-up, rows read by scans, buffers, the scans that changed and both plans. The fixed
      side gets the index the fix adds (built and rolled back inside its transaction) and, for keyset
      pagination, the previous page's last row read from the data. --param gives the statement's own $n.
      Exit code: 0 plan printed, 1 database error, 2 bad usage (a statement EXPLAIN cannot run, database
      settings that do not parse) or a write without --yes, 130 interrupted.
`;

const BENCH_HNSW = `  pgperf bench hnsw [--dim N] [--count N] [--queries N] [--distribution clustered|uniform] [--metric cosine|l2|ip]
                    [--m 12,16,24] [--ef-construction 64,128,256] [--ef-search 20,40,100,200] [--k 10]
                    [--recall-target 0.95] [--seed N] [--table T --column C] [--yes] [--json F] [--csv F]
      pgvector HNSW parameter sweep: builds one index per (m, ef_construction) on synthetic vectors (clustered
      like real embeddings, or uniform; 10,000 × 768 by default: minutes) or a sample of T.C, and measures per
      ef_search recall@k against exact results, latency p50/p95/p99 and QPS; prints the table and the
      recommendation (the cheapest configuration reaching the recall target). Everything lives in a scratch
      schema pgperf_bench_<random>, dropped at the end (also on failure and Ctrl-C).
`;

const BENCH_RLS = `  pgperf bench rls [--rows N] [--rounds N] [--yes] [--json F]
      Row-level security overhead: the same queries with RLS off and on, interleaved over N rounds; overhead %
      with a 95 % confidence interval against the guide's 5 % target, and plan changes.
`;

const BENCH_COMMON = `      Database: DATABASE_URL or PG*, else the embedded database; a server not on this machine needs --yes.
      Progress on stderr, the table on stdout; --json F (and for hnsw --csv F) also writes the report (its
      folder must exist: checked before the benchmark starts).
      Exit code: 0 done, 1 database error, 2 bad usage (database settings that do not parse, an output file
      that cannot be written) or a remote server without --yes, 130 cancelled.
`;

const HEALTH = `  pgperf health [--format text|json|sarif] [--check ID]… [--timeout MS] [--ram SIZE] [--storage ssd|hdd]
      Check a running database against the tuning guide: cache hit ratio, unused and duplicate indexes, bloat,
      dead tuples and autovacuum, long-running and idle-in-transaction sessions, connections, lock waits, top
      statements (pg_stat_statements), future partitions, memory and planner settings, HNSW index size
      (docs/health lists them). Database: DATABASE_URL or PG*, else the embedded database with the current
      folder's DDL (only the catalog checks run there). Every query is read-only (BEGIN READ ONLY, rolled back)
      with --timeout as each check's statement_timeout (default 5000 ms); fix SQL is printed, never run. A check
      lacking a privilege, an extension or a fact is skipped with the reason. --ram (e.g. 16GB; default: this
      machine's when the server is local) and --storage judge shared_buffers, effective_cache_size,
      random_page_cost and effective_io_concurrency. --format json: docs/health/README.md gives its shape;
      --format sarif: SARIF 2.1.0 for code scanning (findings at their database objects, skipped checks as
      notifications).
      pgperf health docs <folder> writes the checks' pages.
      Exit code: 0 no error-severity finding, 1 one (or a check that failed), 2 bad usage or connection error.
`;

const DATA = `  pgperf data [--rows N] [--seed S] [--format text|json] [--yes]
      Fill every table with synthetic rows honouring types, keys, foreign keys, CHECKs, enums and vectors (N per
      table, default 1000; --seed S, default 1, repeats the same rows), then ANALYZE and VACUUM; per table on
      stderr, the total (--format json: rows, seconds, rowsPerSecond, filled, unfilled) on stdout. Without DATABASE_URL / PG*
      the embedded database with the current folder's DDL (a check that the schema can be filled; it is dropped
      at exit); a server's tables keep the rows, so that needs --yes.
      Exit code: 0 loaded, 1 database error, 2 bad usage or a server without --yes, 130 interrupted (rolled back).
`;

const WHATIF = `  pgperf whatif [paths…] [--format text|json] [--config file] [--timeout MS]
      Try the index suggestions of a lint (missing-index, covering-index, fk-without-index, tenant-index-order,
      split-tenant-indexes) with HypoPG on the server DATABASE_URL or PG* names: per case the file:line, rule,
      CREATE INDEX, the planner's cost of a query it serves before → after hypopg_create_index, the ratio and
      whether the plan uses it. Nothing is built: each case runs in BEGIN READ ONLY, rolled back, with --timeout as
      its statement_timeout (default 10000 ms), then hypopg_reset(). The database needs CREATE EXTENSION hypopg
      (pgperf never creates it; Debian/Ubuntu: apt install postgresql-<major>-hypopg); the embedded database has
      no HypoPG. A finding whose index or query is not known is listed as skipped, with the reason.
      Exit code: 0 every case measured, 1 a case the server refused, 2 bad usage, no server or HypoPG, or
      connection error.
`;

const RULES = `  pgperf rules [--format text|json]   List the rules with their category and default severity.
`;

const DOCS = `  pgperf docs <folder>                Write one Markdown page per rule into <folder> (created if missing).
`;

const LSP = `  pgperf lsp --stdio                  Run the language server over stdio (Neovim, Helix, Zed, Emacs, …).
`;

/** One entry per command line that has its own --help; `bench` alone shows both benchmarks. */
const SECTIONS: Record<string, string> = {
  lint: LINT,
  explain: EXPLAIN,
  bench: BENCH_HNSW + BENCH_RLS + BENCH_COMMON,
  'bench hnsw': BENCH_HNSW + BENCH_COMMON,
  'bench rls': BENCH_RLS + BENCH_COMMON,
  health: HEALTH,
  data: DATA,
  whatif: WHATIF,
  rules: RULES,
  docs: DOCS,
  lsp: LSP,
};

export const HELP = `pgperf ${pkg.version} — PostgreSQL performance advice for .sql files and the SQL in application code

Usage:
${LINT}${EXPLAIN}${BENCH_HNSW}${BENCH_RLS}${BENCH_COMMON}${HEALTH}${DATA}${WHATIF}${RULES}${DOCS}${LSP}  pgperf <command> --help            Help on one command (also: pgperf help <command>).
  pgperf --version | --help
`;

/** The help of one command (`lint`, `bench hnsw`, …); undefined for a command that does not exist. */
export function commandHelp(command: string): string | undefined {
  const section = SECTIONS[command];
  if (section === undefined) return undefined;
  return `Usage:\n${section}\nRun "pgperf --help" for every command.\n`;
}

/** The commands that have a help page, for the message about an unknown one. */
export const HELP_TOPICS = Object.keys(SECTIONS);
