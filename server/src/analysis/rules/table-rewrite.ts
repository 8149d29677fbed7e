import { as, numberOf, quoteIdent, strings, walk, type Node } from '../ast';
import type { Statement } from '../parse';
import { defineRule } from '../rule';
import { alterCmdSpans, inDownMigration, liveTable, tableAt, type TableAt } from './_locking';
import { displayName } from './_tenancy';

/** A built-in type as a column declares it: base name (catalog spelling), type modifiers, array or not. */
interface Ty {
  base: string;
  mods: number[];
  array: boolean;
}

/**
 * Built-in types whose ALTER COLUMN TYPE behaviour is known (checked on PostgreSQL by
 * test/rules/table-rewrite.test.ts): any other type (a domain, an enum, an extension's type) is not judged.
 */
const KNOWN = new Set(
  'int2 int4 int8 float4 float8 numeric text varchar bpchar bool date timestamp timestamptz time timetz interval uuid json jsonb bytea inet cidr bit varbit xml money macaddr'.split(
    ' ',
  ),
);
const SERIAL: Record<string, string> = { smallserial: 'int2', serial2: 'int2', serial: 'int4', serial4: 'int4', bigserial: 'int8', serial8: 'int8' };

function typeOf(tn: Node | undefined, declared = false): Ty | undefined {
  if (!tn || tn.pct_type || tn.setof) return undefined;
  const names = strings(tn.names);
  let base = names.length === 1 ? names[0] : names.length === 2 && names[0] === 'pg_catalog' ? names[1] : undefined;
  if (base && declared && SERIAL[base]) base = SERIAL[base];
  if (!base || !KNOWN.has(base)) return undefined;
  const mods: number[] = [];
  for (const m of (tn.typmods ?? []) as Node[]) {
    const n = numberOf(m);
    if (n === undefined) return undefined;
    mods.push(n);
  }
  // INTERVAL's modifiers encode its fields (DAY TO SECOND), not a precision.
  if (base === 'interval' && mods.length > 0) return undefined;
  return { base, mods, array: ((tn.arrayBounds as unknown[] | undefined)?.length ?? 0) > 0 };
}

const show = (t: Ty) => `${t.base}${t.mods.length ? `(${t.mods.join(',')})` : ''}${t.array ? '[]' : ''}`;
const sameMods = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Types whose modifier is a precision that may grow without a rewrite (default 6). */
const PRECISION = new Set(['timestamp', 'timestamptz', 'time', 'timetz']);
/** Types whose modifier is a maximum length that may grow (or go) without a rewrite. */
const MAX_LENGTH = new Set(['varchar', 'varbit']);

/**
 * Whether PostgreSQL rewrites the table to change a column from `a` to `b` (no USING): true, false, or undefined
 * when that depends on something the SQL does not say (the session TimeZone) or is not known here. False for the
 * binary-coercible changes: varchar(n) → varchar(m ≥ n), varchar or text; text → varchar; numeric(p,s) →
 * numeric(p' ≥ p, s) or numeric; a timestamp/time precision that grows; char(n) → bpchar; cidr → inet; xml → text.
 */
function rewrites(a: Ty, b: Ty, timeZoneUtc: boolean | undefined): boolean | undefined {
  if (a.array || b.array) return a.array && b.array && a.base === b.base && sameMods(a.mods, b.mods) ? false : undefined;
  if (a.base === b.base) {
    if (sameMods(a.mods, b.mods)) return false;
    if (MAX_LENGTH.has(a.base)) return b.mods.length === 0 ? false : a.mods.length === 0 ? true : b.mods[0] < a.mods[0];
    if (a.base === 'numeric') {
      if (b.mods.length === 0) return false;
      if (a.mods.length === 0) return true;
      const [p1, s1 = 0] = a.mods;
      const [p2, s2 = 0] = b.mods;
      return !(s1 === s2 && p2 >= p1);
    }
    if (PRECISION.has(a.base)) return (b.mods[0] ?? 6) < (a.mods[0] ?? 6);
    if (a.base === 'bpchar') return b.mods.length !== 0;
    if (a.base === 'bit') return true;
    return undefined;
  }
  const unbounded = b.mods.length === 0;
  switch (`${a.base}>${b.base}`) {
    case 'varchar>text':
    case 'cidr>inet':
      return false;
    case 'text>varchar':
    case 'text>bpchar':
    case 'varchar>bpchar':
    case 'xml>text':
    case 'xml>varchar':
    case 'xml>bpchar':
      return !unbounded;
    case 'bit>varbit':
      return unbounded ? false : undefined;
    case 'timestamp>timestamptz':
    case 'timestamptz>timestamp':
      // PostgreSQL 12+ skips the rewrite when the session TimeZone is UTC (the values are the same bits then).
      return timeZoneUtc === undefined ? undefined : !timeZoneUtc;
  }
  return true;
}

/** Function-style casts (`text(c)`) are casts, not calls: what they do depends on the types. */
const CAST_FUNCTIONS = new Set([...KNOWN, 'varchar', 'numeric', 'int', 'integer', 'bigint', 'smallint', 'timestamp', 'char', 'character', 'decimal']);

/**
 * What a USING expression does to the column: the chain of casts applied to the column itself (inner first), or
 * 'rewrite' when it computes something else (a function, an operator, another column, a constant: PostgreSQL
 * rewrites for anything but the column and binary-coercible casts of it), or undefined when that is not known.
 */
function usingChain(using: Node | undefined, column: string): Ty[] | 'rewrite' | undefined {
  const chain: Ty[] = [];
  let e: Node | undefined = using;
  while (e) {
    const cast = as(e, 'TypeCast');
    if (cast) {
      const t = typeOf(cast.typeName);
      if (!t) return undefined;
      chain.unshift(t);
      e = cast.arg;
      continue;
    }
    const ref = as(e, 'ColumnRef');
    if (ref) {
      const f = strings(ref.fields);
      return f.length === (ref.fields as unknown[]).length && f[f.length - 1] === column ? chain : 'rewrite';
    }
    const call = as(e, 'FuncCall');
    if (call) {
      const name = strings(call.funcname);
      return (call.args ?? []).length === 1 && CAST_FUNCTIONS.has(name[name.length - 1]) ? undefined : 'rewrite';
    }
    if (as(e, 'CollateClause') || as(e, 'ParamRef')) return undefined;
    return 'rewrite';
  }
  return chain;
}

const UTC = /^(utc|etc\/utc|gmt|etc\/gmt|z|zulu|universal|etc\/universal|\+?0+(:00)?)$/i;

/** The session TimeZone an earlier SET in the file gives the statement: UTC or not; undefined when unset. */
function timeZoneUtc(st: Statement): boolean | undefined {
  let utc: boolean | undefined;
  for (const s of st.file.statements) {
    if (s === st) break;
    if (s.kind !== 'VariableSetStmt' || String(s.body.name ?? '').toLowerCase() !== 'timezone') continue;
    const arg = ((s.body.args ?? []) as Node[])[0];
    const value = as(arg, 'A_Const')?.sval?.sval ?? (numberOf(arg) !== undefined ? String(numberOf(arg)) : undefined);
    utc = s.body.kind === 'VAR_SET_VALUE' && value !== undefined ? UTC.test(value) : undefined;
  }
  return utc;
}

/** Functions PostgreSQL marks volatile that column defaults use; the core ones resolve in pg_catalog. */
const VOLATILE_CORE = new Set([
  'clock_timestamp',
  'random',
  'random_normal',
  'gen_random_uuid',
  'uuidv4',
  'uuidv7',
  'timeofday',
  'nextval',
  'currval',
  'lastval',
]);
/** uuid-ossp's and pgcrypto's volatile functions, in whatever schema the extension was installed. */
const VOLATILE_EXTENSION = new Set(['uuid_generate_v1', 'uuid_generate_v1mc', 'uuid_generate_v4', 'gen_random_bytes', 'gen_salt']);

function volatileCall(expr: unknown): string | undefined {
  let found: string | undefined;
  walk(expr, (type, n) => {
    if (found || type !== 'FuncCall') return;
    const name = strings(n.funcname);
    const fn = name[name.length - 1];
    const core = name.length === 1 || (name.length === 2 && name[0] === 'pg_catalog');
    if ((core && VOLATILE_CORE.has(fn)) || VOLATILE_EXTENSION.has(fn)) found = fn;
  });
  return found;
}

/** Why an ADD COLUMN fills every existing row (a rewrite), or undefined when PostgreSQL 11+ adds it in the catalog only. */
function addColumnRewrite(def: Node): string | undefined {
  const names = strings(def.typeName?.names);
  if (names.length === 1 && SERIAL[names[0]]) return `a ${names[0]} column (its default calls nextval())`;
  for (const raw of (def.constraints ?? []) as Node[]) {
    const c = as(raw, 'Constraint');
    if (c?.contype === 'CONSTR_IDENTITY') return 'an identity column (each row gets a value from its sequence)';
    if (c?.contype === 'CONSTR_GENERATED' && (c.generated_kind ?? 's') === 's') return 'a stored generated column (computed for every row)';
    if (c?.contype === 'CONSTR_DEFAULT') {
      const fn = volatileCall(c.raw_expr);
      if (fn) return `the volatile default ${fn}() (evaluated for every row)`;
    }
  }
  return undefined;
}

interface Cause {
  cmd: number;
  messageId: 'type' | 'using' | 'addColumn' | 'persistence' | 'tablespace';
  data: Record<string, string>;
}

/** The first subcommand of an ALTER TABLE that rewrites (or copies) the table, as the history has it there. */
function rewritingCmd(st: Statement, at: (i: number) => TableAt | undefined): Cause | undefined {
  const cmds = (st.body.cmds ?? []) as Node[];
  for (let i = 0; i < cmds.length; i++) {
    const cmd = as(cmds[i], 'AlterTableCmd');
    if (!cmd) continue;
    switch (cmd.subtype) {
      case 'AT_AlterColumnType': {
        const def = as(cmd.def, 'ColumnDef');
        const to = typeOf(def?.typeName);
        const chain = usingChain(def?.raw_default, cmd.name);
        const column = quoteIdent(cmd.name);
        // A USING that computes new values rewrites whatever the types: only the column itself, or casts of it that
        // change no bits, leave the table in place.
        if (chain === 'rewrite') {
          const written = strings(def?.typeName?.names).at(-1) ?? 'the new type';
          return { cmd: i, messageId: 'using', data: { column, to: to ? show(to) : written } };
        }
        const from = to && chain ? typeOf(at(i)?.columns.get(cmd.name)?.typeName, true) : undefined;
        if (!to || !from || !chain) break;
        const tz = timeZoneUtc(st);
        const steps = [from, ...chain, to];
        const each = steps.slice(1).map((t, k) => rewrites(steps[k], t, tz));
        // A USING cast to the new type itself (`USING c::uuid` with TYPE uuid) is one step, not two.
        const path = steps.map(show).filter((t, k, all) => k === 0 || t !== all[k - 1]);
        if (each.includes(true)) return { cmd: i, messageId: 'type', data: { column, to: show(to), path: path.join(' → ') } };
        break;
      }
      case 'AT_AddColumn': {
        const def = as(cmd.def, 'ColumnDef');
        const why = def ? addColumnRewrite(def) : undefined;
        // ADD COLUMN IF NOT EXISTS of a column that may be there already may do nothing.
        if (why && (!cmd.missing_ok || at(i)?.columns.has(def!.colname) === false))
          return { cmd: i, messageId: 'addColumn', data: { column: quoteIdent(def!.colname), why } };
        break;
      }
      case 'AT_SetLogged':
      case 'AT_SetUnLogged': {
        const want = cmd.subtype === 'AT_SetLogged' ? 'p' : 'u';
        const now = at(i)?.persistence;
        if (now && now !== want) return { cmd: i, messageId: 'persistence', data: { mode: want === 'p' ? 'LOGGED' : 'UNLOGGED' } };
        break;
      }
      case 'AT_SetTableSpace': {
        const state = at(i);
        // Without a TABLESPACE clause the table is in the database's default one (usually pg_default).
        const now = state ? (state.tablespace ?? 'pg_default') : undefined;
        if (now && cmd.name && now !== cmd.name) return { cmd: i, messageId: 'tablespace', data: { tablespace: cmd.name } };
        break;
      }
    }
  }
  return undefined;
}

export const tableRewrite = defineRule({
  // Reads the file's earlier statements (SET TimeZone, the migration's own changes to the table).
  crossStatement: true,
  meta: {
    id: 'table-rewrite',
    category: 'locking',
    severity: 'warning',
    fixable: false,
    docs: {
      summary: 'A migration step that rewrites a table an earlier migration created (ALTER COLUMN TYPE, a volatile ADD COLUMN default, SET LOGGED, CLUSTER).',
      why:
        'Some ALTER TABLE forms write a new copy of the whole table and rebuild every index on it, holding an ACCESS ' +
        'EXCLUSIVE lock (no reads, no writes) until they finish and needing room for the second copy; on a table with ' +
        'data that is an outage as long as the copy takes. The rule fires, on a table created by an earlier migration ' +
        '(the premise of create-index-concurrently: a table the same migration created is new and empty), for: ' +
        'ALTER COLUMN … TYPE when the change is not binary-coercible (int → bigint, text → varchar(n), ' +
        'varchar(n) → varchar(m < n), numeric scale changes, a timestamp precision that shrinks, text → jsonb, or any ' +
        'USING expression that computes something), with the old type read from the migration history at that point; ' +
        'ADD COLUMN with a volatile default (clock_timestamp(), random(), gen_random_uuid(), uuid_generate_v4(), ' +
        'nextval(), a serial type), an identity column or a stored generated column, which PostgreSQL 11+ must fill ' +
        'row by row (a constant or stable default such as now() or CURRENT_TIMESTAMP is stored in the catalog and ' +
        'rewrites nothing); SET LOGGED / SET UNLOGGED (a change of persistence); SET TABLESPACE (a block-by-block ' +
        'copy under the same lock) and CLUSTER. It stays quiet where PostgreSQL skips the rewrite (varchar(n) → ' +
        'varchar(m ≥ n), varchar → text, text → varchar, numeric(p,s) → numeric(p′ ≥ p,s), a precision that grows, ' +
        'cidr → inet) and whenever it cannot tell: a domain, enum or extension type, an old type it cannot read, and ' +
        'timestamp ↔ timestamptz, which rewrites unless the session TimeZone is UTC (PostgreSQL 12+) and is judged ' +
        'only after a SET TimeZone in the file. Down scripts and sections (a rollback) are left alone, and VACUUM ' +
        'FULL is vacuum-full’s.',
      fix:
        'For a type change, add a new column of the new type, backfill it in batches (see unbatched-backfill), keep it ' +
        'in step with a trigger, then swap the names in one short transaction; or pick a change PostgreSQL does in ' +
        'place (varchar(n) → text, a larger varchar or numeric precision). For a volatile default, add the column ' +
        'without it (or with a constant), SET DEFAULT afterwards (new rows only) and backfill old rows in batches. ' +
        'For CLUSTER, use pg_repack or keep it for a maintenance window. There is no quick fix: each of these needs ' +
        'several migrations.',
      bad:
        '--liquibase formatted sql\n--changeset alice:1\nCREATE TABLE events (id int PRIMARY KEY, payload text);\n\n' +
        '-- a later release: events holds data by now\n--changeset alice:2\n' +
        'ALTER TABLE events ALTER COLUMN id TYPE bigint;',
      good:
        '--liquibase formatted sql\n--changeset alice:1\nCREATE TABLE events (id int PRIMARY KEY, payload varchar(200));\n\n' +
        '--changeset alice:2\n-- varchar(200) -> text is binary-coercible: no rewrite\n' +
        'ALTER TABLE events ALTER COLUMN payload TYPE text;',
    },
    messages: {
      type:
        'ALTER COLUMN {{column}} TYPE {{to}} rewrites {{table}} (created in {{created}}) and all its indexes under an ' +
        'ACCESS EXCLUSIVE lock: {{path}} is not binary-coercible. Add a new column, backfill it in batches and swap, ' +
        'or choose a change PostgreSQL makes in place.',
      using:
        'ALTER COLUMN {{column}} TYPE {{to}} with a USING expression that computes new values rewrites {{table}} ' +
        '(created in {{created}}) and all its indexes under an ACCESS EXCLUSIVE lock. Add a new column, backfill it ' +
        'in batches and swap.',
      addColumn:
        'ADD COLUMN {{column}} with {{why}} rewrites {{table}} (created in {{created}}) under an ACCESS EXCLUSIVE ' +
        'lock. Add the column without it (or with a constant default), then SET DEFAULT and backfill in batches.',
      persistence:
        'SET {{mode}} rewrites {{table}} (created in {{created}}) and its indexes under an ACCESS EXCLUSIVE lock; ' + 'keep it for a maintenance window.',
      tablespace:
        'SET TABLESPACE {{tablespace}} copies every block of {{table}} (created in {{created}}) under an ACCESS ' +
        'EXCLUSIVE lock; keep it for a maintenance window.',
      cluster:
        'CLUSTER rewrites {{table}} (created in {{created}}) in index order under an ACCESS EXCLUSIVE lock (no reads ' +
        'or writes); use pg_repack, or keep it for a maintenance window.',
    },
  },
  check({ statement: st, catalog, report }) {
    if (st.kind === 'ClusterStmt') {
      const rv = st.body.relation;
      const table = rv && !inDownMigration(st) && !st.container ? liveTable(st, catalog, rv) : undefined;
      if (!table || table.partition) return;
      const first = st.codeTokens()[0];
      const span = st.nameSpan(rv.location);
      if (!first || !span) return;
      report({ start: first.start, end: span.end, messageId: 'cluster', data: { table: displayName(rv), created: table.created!.file.path } });
      return;
    }
    if (st.kind !== 'AlterTableStmt' || (st.body.objtype && st.body.objtype !== 'OBJECT_TABLE')) return;
    if (!st.treeMayMatch(/AT_AlterColumnType|AT_AddColumn|AT_SetLogged|AT_SetUnLogged|AT_SetTableSpace/)) return;
    // A statement of a routine's body runs when the routine is called, not when the migration runs.
    if (inDownMigration(st) || st.container) return;
    const table = liveTable(st, catalog, st.body.relation);
    if (!table) return;
    const states = new Map<number, TableAt | undefined>();
    const at = (i: number) => {
      if (!states.has(i)) states.set(i, tableAt(catalog, table, st, i));
      return states.get(i);
    };
    const cause = rewritingCmd(st, at);
    if (!cause) return;
    const span = alterCmdSpans(st)?.[cause.cmd] ?? { start: st.start, end: st.end };
    report({ ...span, messageId: cause.messageId, data: { ...cause.data, table: displayName(st.body.relation), created: table.created!.file.path } });
  },
});
