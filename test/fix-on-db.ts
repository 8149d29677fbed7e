/**
 * Checks a rule's fix on a real database: the fixed statement must still be valid SQL for the schema the
 * workspace declares. The fix is applied and checked as `applyFix` does (parses, the rule stops firing, text
 * outside the edits unchanged); then, on an in-process PGlite (PostgreSQL 18 in WASM, with pgvector and the
 * contrib extensions listed in EXTENSIONS), the workspace's schema statements run in workspace order and the
 * fixed statement is checked in its place: a query (SELECT/INSERT/UPDATE/DELETE/MERGE/VALUES) with
 * `PREPARE … AS …` after all schema statements — so `$n` parameters get their types from the statement — then
 * DEALLOCATE; anything else executed in its place in the workspace order. Statements run one at a time outside any
 * transaction block, so `CREATE INDEX CONCURRENTLY` and
 * `REINDEX … CONCURRENTLY` run as they would in a migration; the database is emptied after each check (every
 * user schema and role dropped, temporary tables discarded, public recreated).
 *
 * What the database cannot judge is reported, never passed silently: an extension PGlite lacks (PostGIS,
 * TimescaleDB), an object the workspace does not declare (a function, table or type from elsewhere), or a
 * statement PostgreSQL rejects before the fix as well (the fix is not to blame; the statement as written is
 * checked first). A type the fixed statement names that does not exist, where the statement as written checked
 * cleanly, is the fix's error (a cast that loses the type's schema or quotes) and fails the check. Such a
 * check fails the test unless the caller expects it with `{ unchecked: /why/ }`. A workspace statement that
 * fails because it needs such an object (a policy calling an undeclared function) is skipped and listed in
 * `skipped`; the fixed statement is then still checked.
 *
 * Use in a rule test:
 *
 *   import { fixOnDb } from '../fix-on-db';
 *   const db = fixOnDb();                     // at file level: opens one PGlite for the file (~5 s), closes it after
 *   it('fix runs on PostgreSQL', async () => {
 *     const r = await db.check(files, RULE);  // same arguments as applyFix: files, rule id, config, file
 *     expect(r.fixed).toBe('…');              // the fixed text of the file, as applyFix returns it
 *   });
 */
import { PGlite } from '@electric-sql/pglite';
import { btree_gin } from '@electric-sql/pglite/contrib/btree_gin';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import { citext } from '@electric-sql/pglite/contrib/citext';
import { hstore } from '@electric-sql/pglite/contrib/hstore';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { pgcrypto } from '@electric-sql/pglite/contrib/pgcrypto';
import { uuid_ossp } from '@electric-sql/pglite/contrib/uuid_ossp';
import { vector } from '@electric-sql/pglite-pgvector';
import { afterAll, beforeAll, expect } from 'vitest';
import type { ResolvedConfig } from '../server/src/analysis/config';
import { ParsedFile, type Statement } from '../server/src/analysis/parse';
import { applyFix, type Files } from './helpers';

const EXTENSIONS = { vector, pg_trgm, btree_gin, btree_gist, citext, hstore, pgcrypto, uuid_ossp };

/** Statement kinds PREPARE accepts: checked by planning them with their parameter types inferred. */
const PREPARABLE = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

/**
 * Workspace statements that are not schema: queries and data changes, transaction control (each statement runs
 * on its own), maintenance and session commands that change nothing a later statement depends on.
 */
const NOT_SCHEMA = new Set([
  ...PREPARABLE,
  'TransactionStmt',
  'VacuumStmt',
  'ReindexStmt',
  'ExplainStmt',
  'CopyStmt',
  'CheckPointStmt',
  'NotifyStmt',
  'ListenStmt',
  'UnlistenStmt',
  'LockStmt',
  'PrepareStmt',
  'ExecuteStmt',
  'DeallocateStmt',
  'VariableShowStmt',
  'ClusterStmt',
  'DiscardStmt',
]);

/**
 * Errors that say the database lacks something the workspace does not declare, rather than that the SQL is
 * wrong: an extension PGlite does not ship, an undefined function, table, schema or type.
 */
function missingFromWorkspace(e: { code?: string; message: string }): string | undefined {
  const m = e.message;
  if (/extension ".*" is not available|could not open extension control file/.test(m)) return `${m} in PGlite`;
  if (e.code === '42883' && /^function /.test(m)) return `${m} (not declared in the workspace)`;
  if (e.code === '42P01' || e.code === '3F000' || (e.code === '42704' && /^type /.test(m))) return `${m} (not declared in the workspace)`;
  return undefined;
}

export interface FixOnDbResult extends StatementOnDb {
  /** The fixed text of the file, as applyFix returns it. */
  fixed: string;
}

export interface FixOnDbOptions {
  cfg?: ResolvedConfig;
  file?: string;
  /** The check is expected to be impossible, for this reason. */
  unchecked?: RegExp;
}

const MAIN = 'main.sql';

/** The statement text without its terminating semicolon (PREPARE … AS takes one statement, no `;`). */
const bare = (st: Statement) => st.text.replace(/;\s*$/, '');

async function reset(db: PGlite): Promise<void> {
  // Temporary tables live in pg_temp_N, which the schema loop below does not drop.
  await db.exec('DEALLOCATE ALL; RESET ALL; DISCARD TEMP;');
  const schemas = await db.query<{ n: string }>("SELECT nspname AS n FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'");
  for (const { n } of schemas.rows) await db.exec(`DROP SCHEMA "${n.replace(/"/g, '""')}" CASCADE`);
  const roles = await db.query<{ r: string }>("SELECT rolname AS r FROM pg_roles WHERE rolname !~ '^pg_' AND rolname <> current_user");
  for (const { r } of roles.rows) await db.exec(`DROP OWNED BY "${r.replace(/"/g, '""')}" CASCADE; DROP ROLE "${r.replace(/"/g, '""')}"`);
  // pgvector ready in public, as the workspaces under test usually assume it is installed.
  await db.exec('CREATE SCHEMA public; CREATE EXTENSION vector;');
}

async function run(db: PGlite, st: Statement): Promise<void> {
  try {
    await db.exec(st.text);
  } catch (e) {
    // The workspace may install an extension that is already there (vector).
    if (st.kind === 'CreateExtensionStmt' && (e as { code?: string }).code === '42710') return;
    throw e;
  }
}

export interface StatementOnDb {
  /** The statement as the database received it. */
  statement: string;
  how: 'prepared' | 'executed';
  /** Why the database could not judge it. */
  unchecked?: string;
  /** Workspace statements skipped because they need something the workspace does not declare, with why. */
  skipped: string[];
}

/**
 * Runs the workspace (`map`, in its order) on `db` and checks the statement of `target` that holds offset `at`.
 * Throws when PostgreSQL rejects it or any other workspace statement for a reason other than a missing object.
 */
async function statementOnDb(db: PGlite, map: Record<string, string>, target: string, at: number): Promise<StatementOnDb> {
  const parsed = Object.entries(map).map(([path, text]) => new ParsedFile(path, text));
  const fixedFile = parsed.find((f) => f.path === target);
  const fixedSt = fixedFile?.statements.find((s) => s.start <= at && at <= s.end) ?? fixedFile?.statements.at(-1);
  if (!fixedSt?.hasAst) throw new Error(`no parsed statement at offset ${at} of ${target}`);
  const how = PREPARABLE.has(fixedSt.kind) ? 'prepared' : 'executed';
  const skipped: string[] = [];
  let unchecked: string | undefined;
  const checkFixed = async () => {
    try {
      if (how === 'prepared') {
        await db.exec(`PREPARE pgperf_fix_check AS ${bare(fixedSt)}`);
        await db.exec('DEALLOCATE pgperf_fix_check');
      } else {
        await run(db, fixedSt);
      }
    } catch (e) {
      const missing = missingFromWorkspace(e as Error);
      if (!missing) throw new Error(`PostgreSQL rejects the statement: ${(e as Error).message}\n${fixedSt.text}`, { cause: e });
      unchecked = missing;
    }
  };
  // The database is empty here: it starts so, and every check empties it again when done.
  try {
    for (const file of parsed) {
      for (const st of file.statements) {
        // A DDL statement under check runs in its place (later statements may depend on it); a query after all DDL.
        if (st === fixedSt && how === 'executed') await checkFixed();
        if (st === fixedSt || !st.hasAst || NOT_SCHEMA.has(st.kind)) continue;
        try {
          await run(db, st);
        } catch (e) {
          const missing = missingFromWorkspace(e as Error);
          if (!missing)
            throw new Error(`workspace statement rejected by PostgreSQL (${file.path}): ${(e as Error).message}\n${st.text}`, {
              cause: e,
            });
          skipped.push(`${file.path}: ${missing}: ${st.text.trim().split('\n')[0]}`);
        }
      }
    }
    if (how === 'prepared') await checkFixed();
  } finally {
    await reset(db);
  }
  return { statement: bare(fixedSt), how, ...(unchecked ? { unchecked } : {}), skipped };
}

/** Applies `ruleId`'s first fix in `file` (see applyFix) and checks the fixed statement on `db`. */
async function check(db: PGlite, files: Files, ruleId: string, opts: FixOnDbOptions = {}): Promise<FixOnDbResult> {
  const map: Record<string, string> = typeof files === 'string' ? { [MAIN]: files } : { ...files };
  const target = opts.file ?? (typeof files === 'string' ? MAIN : Object.keys(map).length === 1 ? Object.keys(map)[0] : MAIN);
  const original = map[target];
  const fixed = applyFix(map, ruleId, opts.cfg, target);
  // The fixed statement: the one holding the first changed offset.
  let at = 0;
  while (at < original.length && at < fixed.length && original[at] === fixed[at]) at++;
  // The statement as written first: when PostgreSQL rejects it already (an HNSW index on a vector column
  // without dimensions), a rejection after the fix says nothing about the fix.
  const asWritten = await statementOnDb(db, map, target, at).then(
    (r) => ({ r, error: undefined }),
    (e: Error) => ({ r: undefined, error: e.message }),
  );
  const before = asWritten.error;
  const r = await statementOnDb(db, { ...map, [target]: fixed }, target, at).catch((e: Error) => {
    if (before === undefined) throw e;
    const st = new ParsedFile(target, fixed).statements.find((x) => x.start <= at && at <= x.end);
    const statement = st ? bare(st) : '';
    const how = st && PREPARABLE.has(st.kind) ? ('prepared' as const) : ('executed' as const);
    return { statement, how, unchecked: `rejected before the fix as well: ${before.split('\n')[0]}`, skipped: [] };
  });
  // The statement as written found every object it names: a type the fix names but the database lacks (a cast
  // that drops the type's schema or quotes) is the fix's error, not something the workspace fails to declare.
  if (asWritten.r && asWritten.r.unchecked === undefined && r.unchecked !== undefined && /^type ".*" does not exist/.test(r.unchecked)) {
    throw new Error(`PostgreSQL rejects the fix: ${r.unchecked.replace(/ \(not declared in the workspace\)$/, '')}\n${r.statement}`);
  }
  if (opts.unchecked) {
    expect(r.unchecked, `the fix of ${ruleId} was expected to be uncheckable on PGlite, but it ran:\n${r.statement}`).toMatch(opts.unchecked);
  } else {
    expect(r.unchecked, `the fix of ${ruleId} could not be checked on PGlite:\n${r.statement}\nskipped:\n${r.skipped.join('\n')}`).toBeUndefined();
  }
  return { fixed, ...r };
}

/**
 * One PGlite for the calling test file, opened before its tests and closed after them. Each check leaves the
 * database empty, so tests do not see each other's schema.
 */
export function fixOnDb(): {
  /** Applies the rule's first fix and checks the fixed statement (fails the test when it cannot be checked). */
  check(files: Files, ruleId: string, opts?: FixOnDbOptions): Promise<FixOnDbResult>;
  /** Checks the statement holding `text`'s first occurrence in `file` (default main.sql), as it stands. */
  statement(files: Files, text: string, file?: string): Promise<StatementOnDb>;
} {
  let db: PGlite | undefined;
  beforeAll(async () => {
    db = new PGlite({ extensions: EXTENSIONS });
    await db.waitReady;
    await db.exec('CREATE EXTENSION vector;');
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });
  return {
    check(files, ruleId, opts) {
      if (!db) throw new Error('fixOnDb(): call it at the top level of the test file, so the database opens before the tests');
      return check(db, files, ruleId, opts);
    },
    statement(files, text, file = MAIN) {
      if (!db) throw new Error('fixOnDb(): call it at the top level of the test file, so the database opens before the tests');
      const map = typeof files === 'string' ? { [MAIN]: files } : files;
      const at = map[file]?.indexOf(text) ?? -1;
      if (at < 0) throw new Error(`"${text}" is not in ${file}`);
      return statementOnDb(db, map, file, at);
    },
  };
}
