/**
 * Which functions will running (or planning) a statement call, resolved the way PostgreSQL resolves them?
 *
 * The statement becomes the body of a temporary SQL function (`BEGIN ATOMIC`): creating it runs PostgreSQL's own
 * parse analysis and rewriting (overloads, operators, implicit casts, views, row-level security) and records in
 * pg_depend every user object the statement uses. From there one catalog query follows the graph: views' rules,
 * policies, domain checks, operators' functions and estimators, aggregates' support functions, and for writes
 * triggers, rules, defaults, check constraints and index expressions. Built-ins are never recorded in pg_depend,
 * so the SQL text of every object reached (and the statement's own) is read for the built-ins it names. SQL
 * functions with a string body are probed the same way, recursively. Nothing reached may be unknown: a function
 * pgperf cannot look into is reported, and the caller asks before running it.
 *
 * Runs inside the caller's transaction, just after its PROBE_SAVEPOINT, and rolls back to it when it set anything
 * (a probe that found nothing to walk is left to the transaction's own rollback): the probes leave nothing.
 */
import { parseSqlForExplain } from '../../server/src/analysis/pg';
import { DatabaseError, type Session } from '../connection/types';
import { calledWhilePlanning, harmlessVolatile, irreversibleEffect, leavesSessionState, verdictOf, type FunctionFacts } from './effects';
import { dmlIn, functionsIn, someEntry, treeText, type Classification } from './safety';

/** Something a run would do that needs the user's consent. */
export interface CallEffect {
  text: string;
  /** A rollback cannot undo it. */
  irreversible: boolean;
  /** Planning alone may do it (plain EXPLAIN folds IMMUTABLE/STABLE calls and calls estimators). */
  whilePlanning: boolean;
  /** Needs no consent, but leaves session state: the connection is closed afterwards, not pooled. */
  quiet?: boolean;
}

/** Statements whose whole text can be the body of a SQL function. */
const PROBED = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);
/** Nested probes of string-bodied SQL functions, per statement. */
const MAX_PROBES = 16;
/**
 * Errors of the statement itself (undefined table, column, function; type mismatch; too complex to analyse):
 * EXPLAIN would fail alike.
 */
const STATEMENT_ERROR = /^(42(?!501|601)|54)/;

let counter = 0;
const PROBE_PREFIX = 'pgperf_probe_';
const probeName = () => `${PROBE_PREFIX}${process.pid}_${++counter}`;

interface ReachedRow {
  class: string;
  name: string | null;
  schema: string | null;
  proname: string | null;
  language: string | null;
  volatility: string | null;
  prokind: string | null;
  extension: string | null;
  estimator: boolean | null;
  args: string | null;
  result: string | null;
  search_path: string | null;
  source: string | null;
  text: string | null;
  relkind: string | null;
  identity: boolean | null;
  security_definer: boolean | null;
  owner: string | null;
  lexing_config: boolean | null;
  rule_event: string | null;
}

/**
 * What runs while PostgreSQL merely analyses the statement, before pgperf can judge anything: event triggers on
 * CREATE FUNCTION (the probe is one), and domain checks (a literal of an array, record or range of a domain runs
 * them during parse analysis). Read in the message that begins the transaction (qualified: the session's
 * search_path is the statement's).
 */
export const PREFLIGHT_COLUMNS = `
  (SELECT pg_catalog.json_agg(pg_catalog.json_build_object('type', c.contypid, 'text', pg_catalog.pg_get_expr(c.conbin, 0), 'user',
            EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                     WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_constraint'::pg_catalog.regclass AND d.objid OPERATOR(pg_catalog.=) c.oid
                       AND d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass)))
     FROM pg_catalog.pg_constraint c WHERE c.contypid OPERATOR(pg_catalog.<>) 0 AND c.conbin IS NOT NULL) AS pgperf_domain_checks,
  EXISTS (SELECT 1 FROM pg_catalog.pg_event_trigger e
           WHERE e.evtenabled OPERATOR(pg_catalog.<>) 'D' AND e.evtevent OPERATOR(pg_catalog.=) ANY ('{ddl_command_start,ddl_command_end}'::pg_catalog.text[])
             AND (e.evttags IS NULL OR 'CREATE FUNCTION' OPERATOR(pg_catalog.=) ANY (e.evttags))) AS pgperf_event_triggers`;

export interface Preflight {
  domainChecks: { type: number; text: string; user: boolean }[];
  eventTriggers: boolean;
}

/**
 * Names a statement must mention for a literal in it to reach one of the domains $1 inside an array, record or
 * range: the types that hold such a domain, the tables with columns of them, the functions taking them.
 */
const DOMAIN_HOLDERS_SQL = `
WITH RECURSIVE holders(t) AS (
  SELECT pg_catalog.unnest($1::pg_catalog.oid[])
  UNION
  SELECT n.x FROM holders h CROSS JOIN LATERAL (
    SELECT ty.oid FROM pg_catalog.pg_type ty WHERE ty.typelem OPERATOR(pg_catalog.=) h.t
    UNION ALL SELECT ty.oid FROM pg_catalog.pg_type ty WHERE ty.typbasetype OPERATOR(pg_catalog.=) h.t
    UNION ALL SELECT r.rngtypid FROM pg_catalog.pg_range r WHERE r.rngsubtype OPERATOR(pg_catalog.=) h.t
    UNION ALL SELECT cl.reltype FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class cl ON cl.oid OPERATOR(pg_catalog.=) a.attrelid
               WHERE a.atttypid OPERATOR(pg_catalog.=) h.t AND a.attnum OPERATOR(pg_catalog.>) 0 AND cl.reltype OPERATOR(pg_catalog.<>) 0
  ) AS n(x)
), ts AS (SELECT pg_catalog.array_agg(t) AS a FROM holders)
SELECT ty.typname::pg_catalog.text AS name FROM pg_catalog.pg_type ty, ts WHERE ty.oid OPERATOR(pg_catalog.=) ANY (ts.a)
UNION SELECT cl.relname::pg_catalog.text FROM pg_catalog.pg_class cl, ts WHERE cl.reltype OPERATOR(pg_catalog.=) ANY (ts.a)
UNION SELECT p.proname::pg_catalog.text FROM pg_catalog.pg_proc p, ts WHERE p.proargtypes::pg_catalog.oid[] OPERATOR(pg_catalog.&&) ts.a`;

/** The identifiers a parse tree names (String nodes: names of types, relations, columns, functions). */
function identifiersIn(root: unknown): Set<string> {
  const out = new Set<string>();
  someEntry(root, (k, x) => {
    if (k === 'String' && x && typeof (x as { sval?: unknown }).sval === 'string') out.add((x as { sval: string }).sval);
    else if (k === 'relname' && typeof x === 'string') out.add(x);
    return false;
  });
  return out;
}

export function preflightOf(row: Record<string, unknown>): Preflight {
  const raw = row.pgperf_domain_checks;
  const list = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Preflight['domainChecks'] | null;
  return { domainChecks: Array.isArray(list) ? list : [], eventTriggers: row.pgperf_event_triggers === true };
}

/** The preflight's effects that can apply to this statement: domain checks only when it names a holder of one. */
async function relevantPreflight(session: Session, sql: string, o: ReachOptions): Promise<CallEffect[]> {
  // Most domain checks (information_schema's among them) call nothing that needs consent: only the others matter.
  const checks = o.preflight.domainChecks.filter((c) => preflightEffects({ domainChecks: [c], eventTriggers: false }, o.volatileBuiltins).length > 0);
  let p: Preflight = { ...o.preflight, domainChecks: checks };
  if (checks.length) {
    const holders = await session.statement(DOMAIN_HOLDERS_SQL, [checks.map((c) => c.type)]);
    const names = new Set(holders.rows.map((r) => String(r.name)));
    const parsed = parseSqlForExplain(sql);
    const mentioned = parsed.ok ? [...identifiersIn(parsed.stmts)].some((n) => names.has(n)) : true;
    if (!mentioned) p = { ...p, domainChecks: [] };
  }
  return preflightEffects(p, o.volatileBuiltins);
}

/** What the server's analysis of the statement would run by itself (see PREFLIGHT_COLUMNS). */
function preflightEffects(p: Preflight, volatileBuiltins: ReadonlySet<string>): CallEffect[] {
  const out: CallEffect[] = [];
  const before = 'while PostgreSQL analyses the statement, before pgperf can judge it';
  if (p.eventTriggers)
    out.push({
      text: `an event trigger fires on CREATE FUNCTION, which pgperf uses to let the server resolve the statement: it would run ${before}`,
      irreversible: false,
      whilePlanning: true,
    });
  for (const c of p.domainChecks) {
    if (c.user) {
      out.push({
        text: `a domain's CHECK (${c.text.slice(0, 120)}) calls a user function, which runs ${before} when the statement has a literal of an array, record or range of that domain`,
        irreversible: false,
        whilePlanning: true,
      });
      continue;
    }
    const parsed = parseSqlForExplain(`SELECT ${c.text}`);
    if (!parsed.ok) {
      out.push({ text: `a domain's CHECK pgperf cannot read (${c.text.slice(0, 120)})`, irreversible: false, whilePlanning: true });
      continue;
    }
    for (const e of builtinCalls(functionsIn(parsed.stmts), `a domain's CHECK, run ${before}`, volatileBuiltins)) out.push({ ...e, whilePlanning: true });
  }
  return out;
}

/**
 * The graph walk from one probe function (named $1, in this session's temporary schema); writes ($2) add what
 * only writes fire, inserts ($3) column defaults and identity columns.
 */
const REACHED_SQL = `
-- UNION over (classid, objid) alone: an object already reached is not walked again, so cycles end the walk.
WITH RECURSIVE objs(classid, objid) AS (
  SELECT 'pg_proc'::regclass::oid, p.oid FROM pg_proc p WHERE p.proname = $1 AND p.pronamespace = pg_my_temp_schema()
  UNION
  SELECT e.classid, e.objid
    FROM objs o
    CROSS JOIN LATERAL (
      SELECT d.refclassid AS classid, d.refobjid AS objid FROM pg_depend d
       WHERE d.classid = o.classid AND d.objid = o.objid AND d.deptype IN ('n', 'a')
         AND d.refclassid IN ('pg_proc'::regclass, 'pg_operator'::regclass, 'pg_class'::regclass, 'pg_type'::regclass)
      UNION ALL
      SELECT 'pg_rewrite'::regclass, r.oid FROM pg_rewrite r
       WHERE o.classid = 'pg_class'::regclass AND r.ev_class = o.objid AND (r.ev_type = '1' OR $2)
      UNION ALL
      SELECT 'pg_policy'::regclass, p.oid FROM pg_policy p JOIN pg_class pc ON pc.oid = p.polrelid
       WHERE o.classid = 'pg_class'::regclass AND p.polrelid = o.objid AND pc.relrowsecurity
      UNION ALL
      SELECT 'pg_trigger'::regclass, t.oid FROM pg_trigger t
       WHERE $2 AND o.classid = 'pg_class'::regclass AND t.tgrelid = o.objid AND NOT t.tgisinternal
      UNION ALL
      SELECT 'pg_proc'::regclass, t.tgfoid FROM pg_trigger t
       WHERE o.classid = 'pg_trigger'::regclass AND t.oid = o.objid
      UNION ALL
      SELECT 'pg_attrdef'::regclass, a.oid FROM pg_attrdef a
       WHERE o.classid = 'pg_class'::regclass AND a.adrelid = o.objid
         AND ($3 OR ($2 AND EXISTS (SELECT 1 FROM pg_attribute g WHERE g.attrelid = a.adrelid AND g.attnum = a.adnum AND g.attgenerated <> '')))
      UNION ALL
      -- Writes reach partitions and inheritance children, and the tables whose foreign keys act on them.
      SELECT 'pg_class'::regclass, i.inhrelid FROM pg_inherits i
       WHERE $2 AND o.classid = 'pg_class'::regclass AND i.inhparent = o.objid
      UNION ALL
      SELECT 'pg_class'::regclass, fk.conrelid FROM pg_constraint fk
       WHERE $2 AND o.classid = 'pg_class'::regclass AND fk.contype = 'f' AND fk.confrelid = o.objid
         AND (fk.confdeltype NOT IN ('a', 'r') OR fk.confupdtype NOT IN ('a', 'r'))
      UNION ALL
      SELECT 'pg_attrdef'::regclass, a.oid FROM pg_constraint fk JOIN pg_attrdef a ON a.adrelid = fk.conrelid
       WHERE $2 AND o.classid = 'pg_class'::regclass AND fk.contype = 'f' AND fk.confrelid = o.objid
         AND (fk.confdeltype = 'd' OR fk.confupdtype = 'd')
      UNION ALL
      SELECT 'pg_proc'::regclass, p.prosupport FROM pg_proc p
       WHERE o.classid = 'pg_proc'::regclass AND p.oid = o.objid AND p.prosupport <> 0
      UNION ALL
      -- Sorts, hashes and merges run operator classes' support functions, not the operator's own.
      SELECT 'pg_proc'::regclass, ap.amproc FROM pg_amop ao JOIN pg_amproc ap ON ap.amprocfamily = ao.amopfamily
       WHERE o.classid = 'pg_operator'::regclass AND ao.amopopr = o.objid
      UNION ALL
      SELECT 'pg_proc'::regclass, ap.amproc FROM pg_opclass oc JOIN pg_amproc ap ON ap.amprocfamily = oc.opcfamily
       WHERE o.classid = 'pg_type'::regclass AND oc.opcintype = o.objid AND oc.opcdefault
      UNION ALL
      -- Element, field and subtype of a reached type: a literal of it runs their input and domain checks.
      SELECT 'pg_type'::regclass, x FROM pg_type t
        LEFT JOIN pg_range rg ON rg.rngtypid = t.oid,
        unnest(ARRAY[t.typelem, t.typbasetype, rg.rngsubtype]::oid[]) AS x
       WHERE o.classid = 'pg_type'::regclass AND t.oid = o.objid AND x <> 0
      UNION ALL
      SELECT 'pg_type'::regclass, at.atttypid FROM pg_type t JOIN pg_attribute at ON at.attrelid = t.typrelid
       WHERE o.classid = 'pg_type'::regclass AND t.oid = o.objid AND t.typrelid <> 0 AND at.attnum > 0 AND NOT at.attisdropped
      UNION ALL
      SELECT 'pg_constraint'::regclass, c.oid FROM pg_constraint c
       WHERE c.conbin IS NOT NULL
         AND ((o.classid = 'pg_type'::regclass AND c.contypid = o.objid)
           OR ($2 AND o.classid = 'pg_class'::regclass AND c.conrelid = o.objid))
      UNION ALL
      SELECT 'pg_class'::regclass, i.indexrelid FROM pg_index i
       WHERE $2 AND o.classid = 'pg_class'::regclass AND i.indrelid = o.objid AND (i.indexprs IS NOT NULL OR i.indpred IS NOT NULL)
      UNION ALL
      SELECT 'pg_proc'::regclass, f FROM pg_aggregate a,
             unnest(ARRAY[a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn, a.aggdeserialfn,
                          a.aggmtransfn, a.aggminvtransfn, a.aggmfinalfn]::oid[]) AS f
       WHERE o.classid = 'pg_proc'::regclass AND a.aggfnoid = o.objid AND f <> 0
      UNION ALL
      -- to_json(), format() and friends apply a type's casts at run time, unseen by parse analysis.
      SELECT 'pg_proc'::regclass, c.castfunc FROM pg_cast c
       WHERE o.classid = 'pg_type'::regclass AND (c.castsource = o.objid OR c.casttarget = o.objid) AND c.castfunc <> 0
      UNION ALL
      SELECT 'pg_proc'::regclass, f FROM pg_operator op, unnest(ARRAY[op.oprcode, op.oprrest, op.oprjoin]::oid[]) AS f
       WHERE o.classid = 'pg_operator'::regclass AND op.oid = o.objid AND f <> 0
    ) e
)
SELECT DISTINCT o.classid::regclass::text AS class, o.objid::text,
  CASE o.classid WHEN 'pg_class'::regclass THEN o.objid::regclass::text WHEN 'pg_operator'::regclass THEN o.objid::regoperator::text END AS name,
  n.nspname AS schema, p.proname, l.lanname AS language, p.provolatile::text AS volatility, p.prokind::text AS prokind,
  (SELECT x.extname FROM pg_depend d JOIN pg_extension x ON x.oid = d.refobjid
    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e' LIMIT 1) AS extension,
  -- Called by the planner: estimators, the operator function they evaluate over the statistics, support
  -- functions, and operator classes' support functions (range estimates, partition pruning).
  (EXISTS (SELECT 1 FROM pg_operator op WHERE op.oprrest = p.oid OR op.oprjoin = p.oid
             OR (op.oprcode = p.oid AND (op.oprrest <> 0 OR op.oprjoin <> 0)))
   OR EXISTS (SELECT 1 FROM pg_proc sp WHERE sp.prosupport = p.oid)
   OR EXISTS (SELECT 1 FROM pg_amproc ap WHERE ap.amproc = p.oid)) AS estimator,
  p.prosecdef AS security_definer, pg_get_userbyid(p.proowner) AS owner,
  EXISTS (SELECT 1 FROM unnest(p.proconfig) AS c WHERE c ~ '^(standard_conforming_strings|backslash_quote|client_encoding)=') AS lexing_config,
  CASE o.classid WHEN 'pg_rewrite'::regclass THEN (SELECT r.ev_type::text FROM pg_rewrite r WHERE r.oid = o.objid) END AS rule_event,
  CASE WHEN l.lanname = 'sql' AND p.prokind IN ('f', 'p') THEN pg_get_function_arguments(p.oid) END AS args,
  CASE WHEN l.lanname = 'sql' AND p.prokind = 'f' THEN pg_get_function_result(p.oid) END AS result,
  (SELECT substr(c, 13) FROM unnest(p.proconfig) AS c WHERE c LIKE 'search_path=%' LIMIT 1) AS search_path,
  CASE WHEN l.lanname = 'sql' AND p.prosqlbody IS NULL THEN p.prosrc END AS source,
  CASE o.classid
    WHEN 'pg_proc'::regclass THEN CASE WHEN l.lanname = 'sql' AND p.prosqlbody IS NOT NULL AND p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) END
    WHEN 'pg_rewrite'::regclass THEN (SELECT pg_get_ruledef(r.oid) FROM pg_rewrite r WHERE r.oid = o.objid)
    WHEN 'pg_policy'::regclass THEN (SELECT 'SELECT ' || coalesce(pg_get_expr(pl.polqual, pl.polrelid), 'true') || ', ' || coalesce(pg_get_expr(pl.polwithcheck, pl.polrelid), 'true') FROM pg_policy pl WHERE pl.oid = o.objid)
    WHEN 'pg_constraint'::regclass THEN (SELECT 'SELECT ' || pg_get_expr(c.conbin, c.conrelid) FROM pg_constraint c WHERE c.oid = o.objid)
    WHEN 'pg_attrdef'::regclass THEN (SELECT 'SELECT ' || pg_get_expr(a.adbin, a.adrelid) FROM pg_attrdef a WHERE a.oid = o.objid)
    WHEN 'pg_class'::regclass THEN (SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indexrelid = o.objid)
  END AS text,
  rel.relkind::text AS relkind,
  CASE WHEN $3 AND rel.oid IS NOT NULL THEN EXISTS (SELECT 1 FROM pg_attribute at WHERE at.attrelid = rel.oid AND at.attidentity <> '' AND NOT at.attisdropped) END AS identity
FROM objs o
LEFT JOIN pg_proc p ON o.classid = 'pg_proc'::regclass AND p.oid = o.objid
LEFT JOIN pg_namespace n ON n.oid = p.pronamespace
LEFT JOIN pg_language l ON l.oid = p.prolang
LEFT JOIN pg_class rel ON o.classid = 'pg_class'::regclass AND rel.oid = o.objid
LIMIT 2000`;

/**
 * The probe's direct dependencies, when none needs the walk: only plain tables without row-level security and
 * plain types (and nothing but reads), in a database with no user casts. Most statements are that, and this query
 * plans in a fraction of the walk's time. Qualified throughout: it runs under the statement's search_path.
 */
const NOTHING_TO_WALK_SQL = `
SELECT NOT EXISTS (
  -- to_json() and friends apply casts at run time: with any cast to a function outside pg_catalog, walk.
  SELECT 1 FROM pg_catalog.pg_cast c JOIN pg_catalog.pg_proc f ON f.oid OPERATOR(pg_catalog.=) c.castfunc
   WHERE f.pronamespace OPERATOR(pg_catalog.<>) 'pg_catalog'::pg_catalog.regnamespace
) AND NOT EXISTS (
  SELECT 1 FROM pg_catalog.pg_depend d
   LEFT JOIN pg_catalog.pg_class c ON d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass AND c.oid OPERATOR(pg_catalog.=) d.refobjid
   LEFT JOIN pg_catalog.pg_type t ON d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass AND t.oid OPERATOR(pg_catalog.=) d.refobjid
  WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
    AND d.objid OPERATOR(pg_catalog.=) (SELECT p.oid FROM pg_catalog.pg_proc p
                                         WHERE p.proname OPERATOR(pg_catalog.=) $1 AND p.pronamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema())
    AND d.refclassid OPERATOR(pg_catalog.<>) 'pg_catalog.pg_namespace'::pg_catalog.regclass
    AND NOT coalesce(c.relkind OPERATOR(pg_catalog.=) ANY ('{r,p,m}'::pg_catalog."char"[]) AND NOT c.relrowsecurity, false)
    AND NOT coalesce(t.typtype OPERATOR(pg_catalog.=) ANY ('{b,e,r,m}'::pg_catalog."char"[]), false)
    AND NOT coalesce(t.typtype OPERATOR(pg_catalog.=) 'c' AND EXISTS (
          SELECT 1 FROM pg_catalog.pg_class tc WHERE tc.oid OPERATOR(pg_catalog.=) t.typrelid
             AND tc.relkind OPERATOR(pg_catalog.=) ANY ('{r,p}'::pg_catalog."char"[]) AND NOT tc.relrowsecurity), false)
) AS trivial`;

/** Set by the caller in the message that begins the transaction: the probes are rolled back to it. */
export const PROBE_SAVEPOINT = 'SAVEPOINT pgperf_probe';

/**
 * pgperf's own catalog queries run with this path, set inside the savepoint (whose rollback restores the user's):
 * under a search_path like `evil, pg_catalog` an unqualified `pg_depend`, `=` or `unnest` would be someone else's.
 */
const OWN_PATH = 'SET LOCAL search_path = pg_catalog, pg_temp';

export interface ReachOptions {
  /** The search_path the statement runs with (the probes resolve names with it). */
  searchPath: string;
  /** The statement writes: follow triggers, rules, constraints, indexes. */
  writes: boolean;
  /** It inserts (INSERT, MERGE, SET … = DEFAULT): column defaults and identity columns too. */
  inserts: boolean;
  /** Names of the volatile pg_catalog functions of this database. */
  volatileBuiltins: ReadonlySet<string>;
  /** What the server's own analysis would run (read with BEGIN). */
  preflight: Preflight;
  /** Effects the user consented to: the preflight's, when consented, let the probe run. */
  consented: ReadonlySet<string>;
}

/**
 * Everything running `sql` would do that needs consent (empty: nothing found but harmless reads). Throws the
 * statement's own error (e.g. an unknown table) as a DatabaseError, as EXPLAIN would.
 */
export async function reachedEffects(session: Session, sql: string, cls: Classification, o: ReachOptions): Promise<CallEffect[]> {
  const effects = new Map<string, CallEffect>();
  const add = (e: CallEffect) => {
    const had = effects.get(e.text);
    effects.set(e.text, had ? { ...e, whilePlanning: had.whilePlanning || e.whilePlanning } : e);
  };
  for (const e of builtinCalls(cls.functions, 'the statement', o.volatileBuiltins)) add(e);
  const before = await relevantPreflight(session, sql, o);
  if (before.some((e) => !o.consented.has(e.text))) {
    // Ask before the probe runs what it would run; once consented, the next round probes.
    for (const e of before) add(e);
    return [...effects.values()];
  }
  for (const e of before) add(e);
  if (!cls.statementType || !PROBED.has(cls.statementType)) {
    add({ text: `pgperf does not look inside ${cls.statementWords ?? 'this statement'} for the functions it calls`, irreversible: false, whilePlanning: true });
    return [...effects.values()];
  }
  let prepared: string | undefined;
  let walked = true; // false: nothing was changed since the savepoint but the probe function, which harms nothing
  try {
    let types: string[] = [];
    if (cls.maxParam > 0) {
      const name = probeName();
      await statementOrThrow(session, `PREPARE ${name} AS\n${sql}`, [], true);
      prepared = name; // only once it exists: DEALLOCATE of a name never prepared would hide the PREPARE's error
      const r = await session.statement(
        'SELECT p.parameter_types::pg_catalog.text[] AS types FROM pg_catalog.pg_prepared_statements p WHERE p.name OPERATOR(pg_catalog.=) $1',
        [prepared],
      );
      types = textArray(r.rows[0]?.types);
      await session.query(`DEALLOCATE ${prepared}`);
      prepared = undefined;
    }
    // planTime: the probe's function is (or is called from) one the planner may run, so all it reaches may run
    // while planning too (an IMMUTABLE SQL function with constant arguments is evaluated by the planner).
    const queue: { body: string; args: string; result: string; searchPath: string; what: string; planTime: boolean }[] = [];
    const seen = new Set<string>();
    let probes = 0;
    const probe = async (body: string, args: string, result: string, what: string, searchPath: string, top: boolean): Promise<ReachedRow[] | undefined> => {
      const name = probeName();
      const create = `CREATE FUNCTION pg_temp.${name}(${args}) RETURNS ${result} LANGUAGE sql\nBEGIN ATOMIC\n${body}\n;\nEND`;
      if (!wrapsExactly(create, body)) {
        add({ text: `${what}: pgperf cannot read its SQL as one function body`, irreversible: false, whilePlanning: true });
        return undefined;
      }
      // A nested probe that fails must not abort the others: its own savepoint. The statement's probe is the
      // first thing after the outer one, which the finally block rolls back to.
      if (!top) await session.query('SAVEPOINT pgperf_probe_one');
      if (!top) await session.statement('SELECT pg_catalog.set_config($1, $2, true)', ['search_path', searchPath]);
      const created = await statementOrThrow(session, create, [], top);
      if (created instanceof DatabaseError) {
        if (!top) await session.query('ROLLBACK TO SAVEPOINT pgperf_probe_one');
        add({ text: `${what}: pgperf could not resolve what it calls (${created.message})`, irreversible: false, whilePlanning: true });
        return undefined;
      }
      if (top && !o.writes) {
        const trivial = await session.statement(NOTHING_TO_WALK_SQL, [name]);
        if (trivial.rows[0]?.trivial === true) {
          walked = false;
          return [];
        }
      }
      await session.query(OWN_PATH);
      let rows = await session.statement(REACHED_SQL, [name, o.writes, o.inserts]);
      // A rule that acts on a write (DO ALSO INSERT…) may insert where the statement does not: walk again with defaults.
      if (!o.inserts && rows.rows.some((r) => r.class === 'pg_rewrite' && r.rule_event !== null && r.rule_event !== '1')) {
        rows = await session.statement(REACHED_SQL, [name, o.writes, true]);
      }
      if (!top) await session.query('RELEASE SAVEPOINT pgperf_probe_one');
      return rows.rows as unknown as ReachedRow[];
    };

    let rows = await probe(sql, types.join(', '), 'void', 'the statement', o.searchPath, true);
    let planTime = false;
    while (rows) {
      // A BEGIN ATOMIC function's dependencies are in this same walk: if the planner may run one, all may run.
      const probePlanTime = planTime || rows.some((row) => atomicRunWhilePlanning(row));
      for (const row of rows) {
        for (const e of effectsOfRow(row, o)) add(probePlanTime ? { ...e, whilePlanning: true } : e);
        if (row.class === 'pg_proc' && row.source !== null && row.language === 'sql') {
          const key = `${row.schema}.${row.proname}(${row.args})`;
          if (seen.has(key)) continue;
          seen.add(key);
          if (row.lexing_config === true) {
            // Its own SET changes how the server lexes the body: pgperf's parser would read another text.
            add({
              text: `calls ${row.schema}.${row.proname}(), a SQL function whose own settings change how its body is read: pgperf cannot read it as the server will`,
              irreversible: false,
              whilePlanning: true,
            });
            continue;
          }
          // A function with its own SET search_path resolves names with it; the others with the caller's.
          // SECURITY DEFINER: "$user" in the path is the owner while it runs.
          const path = row.search_path ?? o.searchPath;
          const searchPath = row.security_definer === true && row.owner ? path.replace(/"?\$user"?/g, `"${row.owner.replace(/"/g, '""')}"`) : path;
          queue.push({
            body: row.source,
            args: row.args ?? '',
            result: row.result ?? 'void',
            searchPath,
            what: `calls ${row.schema}.${row.proname}()`,
            planTime: probePlanTime || calledWhilePlanning(factsOf(row)),
          });
        }
      }
      rows = undefined;
      const next = queue.shift();
      if (!next) break;
      planTime = next.planTime;
      if (++probes > MAX_PROBES) {
        add({ text: `${next.what}: more SQL functions than pgperf follows (${MAX_PROBES})`, irreversible: false, whilePlanning: true });
        break;
      }
      rows = await probe(next.body, next.args, next.result, next.what, next.searchPath, false);
    }
  } finally {
    // The probes and pgperf's search_path go; the statement then runs as the session had it.
    if (walked) await session.query('ROLLBACK TO SAVEPOINT pgperf_probe; RELEASE SAVEPOINT pgperf_probe');
    if (prepared) await session.query(`DEALLOCATE ${prepared}`);
  }
  return [...effects.values()];
}

/** Runs one statement; an error is thrown when it is the statement's own (top) and returned otherwise. */
async function statementOrThrow(session: Session, sql: string, params: unknown[], top: boolean): Promise<DatabaseError | undefined> {
  try {
    await session.statement(sql, params);
    return undefined;
  } catch (err) {
    if (!(err instanceof DatabaseError) || err.kind !== 'sql') throw err;
    if (top && err.code && STATEMENT_ERROR.test(err.code)) throw err;
    return err;
  }
}

/** The composed CREATE FUNCTION is one statement and holds `body`'s statements unchanged (checked on the parse tree). */
function wrapsExactly(create: string, body: string): boolean {
  const whole = parseSqlForExplain(create);
  const inner = parseSqlForExplain(body);
  if (!whole.ok || !inner.ok || whole.stmts.length !== 1 || inner.stmts.length === 0) return false;
  const fn = whole.stmts[0].stmt.CreateFunctionStmt;
  if (!fn) return false;
  const wrapped = treeText(fn.sql_body);
  return inner.stmts.every((s) => wrapped.includes(treeText(s.stmt)));
}

function textArray(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string' && v.startsWith('{'))
    return v
      .slice(1, -1)
      .split(',')
      .filter(Boolean)
      .map((s) => s.replace(/^"|"$/g, ''));
  return [];
}

/** Built-ins a text names (they are never in pg_depend): the ones a rollback cannot undo, or that may write. */
function builtinCalls(functions: string[][], where: string, volatileBuiltins: ReadonlySet<string>): CallEffect[] {
  const out: CallEffect[] = [];
  for (const f of functions) {
    if (f.length > 2 || (f.length === 2 && f[0] !== 'pg_catalog')) continue; // a user schema: found in pg_depend
    const name = f[f.length - 1];
    const what = irreversibleEffect(name);
    const from = where === 'the statement' ? '' : ` (called from ${where})`;
    if (leavesSessionState(name)) out.push({ text: `${name}() changes this session's state${from}`, irreversible: false, whilePlanning: false, quiet: true });
    else if (what) out.push({ text: `${name}() ${what}${from}`, irreversible: true, whilePlanning: false });
    else if (volatileBuiltins.has(name) && !harmlessVolatile(name)) {
      out.push({ text: `${name}() is a volatile built-in that may write${from}`, irreversible: false, whilePlanning: false });
    }
  }
  return out;
}

/** One of pgperf's own probe functions (what it holds was read already). */
function isProbe(row: ReachedRow): boolean {
  return row.schema !== null && /^pg_temp(_\d+)?$/.test(row.schema) && (row.proname ?? '').startsWith(PROBE_PREFIX);
}

/** A user SQL function with a BEGIN ATOMIC body that the planner may call (constant folding, inlining). */
function atomicRunWhilePlanning(row: ReachedRow): boolean {
  if (row.class !== 'pg_proc' || row.proname === null || row.schema === null || row.language !== 'sql' || row.text === null) return false;
  if (isProbe(row)) return false;
  const facts = factsOf(row);
  return verdictOf(facts).kind === 'inspect' && calledWhilePlanning(facts);
}

function factsOf(row: ReachedRow): FunctionFacts {
  return {
    schema: row.schema ?? '',
    name: row.proname ?? '',
    volatility: row.volatility ?? 'v',
    language: row.language ?? '?',
    ...(row.extension ? { extension: row.extension } : {}),
    estimator: row.estimator === true,
  };
}

const OBJECT_WORDS: Record<string, string> = {
  pg_rewrite: 'a view or rule',
  pg_policy: 'a row-level security policy',
  pg_constraint: 'a check constraint',
  pg_attrdef: 'a column default',
  pg_class: 'an index expression',
  pg_proc: 'a SQL function',
};

function effectsOfRow(row: ReachedRow, o: ReachOptions): CallEffect[] {
  const out: CallEffect[] = [];
  if (row.class === 'pg_proc' && row.proname !== null && row.schema !== null) {
    if (isProbe(row)) return [];
    const facts = factsOf(row);
    const whilePlanning = calledWhilePlanning(facts);
    const label = `${row.schema}.${row.proname}()`;
    const v = verdictOf(facts);
    if (v.kind === 'irreversible') out.push({ text: `${label} ${v.what}`, irreversible: true, whilePlanning: false });
    else if (v.kind === 'may-write') out.push({ text: `${label} is a volatile function that may write`, irreversible: false, whilePlanning: false });
    else if (v.kind === 'unknown')
      out.push({ text: `calls ${label}, ${v.why}: anything it does, even outside the transaction, would happen`, irreversible: false, whilePlanning });
    else if (v.kind === 'inspect') {
      const body = row.source ?? row.text;
      if (body === null) out.push({ text: `calls ${label}, a SQL function pgperf cannot read`, irreversible: false, whilePlanning });
      // The planner evaluates an IMMUTABLE or STABLE SQL function of constants: its body runs while planning.
      else out.push(...scanText(body, label, o, true).map((e) => ({ ...e, whilePlanning: e.whilePlanning || whilePlanning })));
    }
    return out;
  }
  if (row.text !== null) out.push(...scanText(row.text, OBJECT_WORDS[row.class] ?? row.class, o));
  if (row.class === 'pg_class' && row.relkind === 'f') {
    out.push({
      text: `${o.writes ? 'writes reach' : 'reads'} the foreign table ${row.name}: the query runs on another server, where a rollback here undoes nothing`,
      irreversible: true,
      whilePlanning: false,
    });
  }
  if (o.writes && row.identity === true) {
    out.push({ text: `${row.name} has an identity column: values taken are not given back by the rollback`, irreversible: true, whilePlanning: false });
  }
  return out;
}

/** The built-ins an object's SQL names, and whether a function body writes. */
function scanText(text: string | null, where: string, o: ReachOptions, functionBody = false): CallEffect[] {
  if (text === null) return [];
  const parsed = parseSqlForExplain(text);
  if (!parsed.ok) return [{ text: `${where}: pgperf cannot read its SQL (${parsed.message})`, irreversible: false, whilePlanning: true }];
  const out = builtinCalls(functionsIn(parsed.stmts), where, o.volatileBuiltins);
  if (functionBody) {
    const write = dmlIn(parsed.stmts);
    if (write) out.push({ text: `${where} runs ${write} (rolled back)`, irreversible: false, whilePlanning: false });
  }
  return out;
}
