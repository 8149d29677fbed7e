/**
 * Shared helpers of the tenant / index / partition rules (tenant-index-order, split-tenant-indexes,
 * partition-key-in-unique, create-index-concurrently, reindex-concurrently, tenant-table-without-rls).
 */
import { as, columnRefNames, operatorOf, strings, walk, type Node } from '../ast';
import { qkey, type Catalog, type Policy, type TableInfo } from '../catalog';
import type { Statement } from '../parse';
import type { Token } from '../tokens';

/**
 * The schema the tenant rules' doc examples need: a tenant table whose row-level security is forced and whose
 * policy (for every role) reads tenant_id.
 */
export const RLS_SESSIONS =
  'CREATE TABLE sessions (tenant_id text NOT NULL, session_id uuid, status text);\n' +
  'ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;\n' +
  'ALTER TABLE sessions FORCE ROW LEVEL SECURITY;\n' +
  "CREATE POLICY tenant_isolation ON sessions USING (tenant_id = current_setting('app.current_tenant_id'));\n";

/** The table a RangeVar names when it has the tenant column, else undefined. */
function tenantTable(catalog: Catalog, rv: Node | undefined, st: Statement, tenantColumn: string): TableInfo | undefined {
  if (!rv?.relname) return undefined;
  const t = catalog.resolveRangeVar(rv, st);
  return t && t.columns.has(tenantColumn) ? t : undefined;
}

/** True when an expression reads the column (`team_id IN (SELECT …)`, `t.tenant_id = current_setting(…)`). */
function readsColumn(expr: unknown, column: string): boolean {
  let found = false;
  walk(expr, (type, n) => {
    if (found) return false;
    if (type === 'ColumnRef' && columnRefNames(n).at(-1) === column) found = true;
  });
  return found;
}

/**
 * The tenant table a RangeVar names when row-level security filters every role's reads of it by the tenant
 * column (see `rlsFiltersReadsBy`), on the table or on the partitioned parent its queries go through.
 * Otherwise undefined: then some queries on the table (a scheduler, a service role, the owner) may well not be
 * filtered by tenant, whether the indexes serve tenant-filtered queries is unknown, and the tenant rules say
 * nothing.
 */
export function rlsTenantTable(catalog: Catalog, rv: Node | undefined, st: Statement, tenantColumn: string): TableInfo | undefined {
  const t = tenantTable(catalog, rv, st, tenantColumn);
  if (!t) return undefined;
  // RLS is usually enabled after the table and its indexes are created (later in the migration, or in a later
  // one): what matters is the table as the workspace leaves it, as well as at this statement.
  const candidates = [t, finalOf(catalog, t)];
  for (const x of [...candidates]) if (x?.partitionOf) candidates.push(catalog.tables.get(x.partitionOf));
  return candidates.some((x) => x && rlsFiltersReadsBy(x, tenantColumn)) ? t : undefined;
}

/** The table as the workspace leaves it (the catalog may resolve a statement to the table as it stood then). */
function finalOf(catalog: Catalog, t: TableInfo): TableInfo | undefined {
  return catalog.tables.get(qkey(t));
}

/** The policy's CREATE POLICY fields the premise reads. */
interface PolicyFacts {
  /** FOR ALL or FOR SELECT: the policy's USING applies to reads. */
  reads: boolean;
  permissive: boolean;
  /** TO PUBLIC, or no TO clause. */
  everyRole: boolean;
  /** Its USING reads the tenant column. */
  usingReadsTenant: boolean;
}

/**
 * The policy's CREATE POLICY fields after its ALTER POLICYs (each replaces the roles, USING or WITH CHECK it
 * names); undefined when the workspace holds only an ALTER of it, so its command and kind are unknown.
 */
function policyAsItStands(p: Policy): Node | undefined {
  if (p.statement.kind !== 'CreatePolicyStmt') return undefined;
  let body: Node = p.statement.body;
  for (const a of p.alters ?? []) {
    const alter = a.body;
    body = {
      ...body,
      ...(alter.roles ? { roles: alter.roles } : {}),
      ...(alter.qual ? { qual: alter.qual } : {}),
      ...(alter.with_check ? { with_check: alter.with_check } : {}),
    };
  }
  return body;
}

function policyFacts(body: Node | undefined, tenantColumn: string): PolicyFacts | undefined {
  if (!body) return undefined;
  const cmd = String(body.cmd_name ?? 'all').toLowerCase();
  return {
    reads: cmd === 'all' || cmd === 'select',
    permissive: body.permissive === true,
    everyRole: ((body.roles ?? []) as Node[]).some((r) => as(r, 'RoleSpec')?.roletype === 'ROLESPEC_PUBLIC'),
    usingReadsTenant: readsColumn(body.qual, tenantColumn),
  };
}

/** The tenant rules' premise, as their docs state it (split-tenant-indexes, tenant-index-order). */
export const RLS_PREMISE_DOC =
  'The premise is checked, not assumed, and where the SQL does not show it the rule says nothing: it reads a ' +
  'table only when the workspace enables and FORCEs row-level security on it (`ALTER TABLE … FORCE ROW LEVEL ' +
  'SECURITY`; without it the table owner is not bound) and a FOR ALL / FOR SELECT policy for every role (`TO ' +
  'PUBLIC` or no TO clause) reads the tenant column in its USING, with no permissive read policy that does not ' +
  '(unless the tenant policy is RESTRICTIVE). A policy `TO authenticated` binds only that role: queries by a ' +
  'service role, a cron worker or the owner run unfiltered, and a scheduler index such as ' +
  '`(next_scheduled_at)` that serves them across tenants would only get worse with the tenant column in front. ' +
  "Roles created BYPASSRLS (Supabase's service_role) and superusers escape even forced RLS; the workspace " +
  "SQL rarely shows who connects as them, so FORCE with a policy for every role is taken as the design's word. ";

/**
 * True when row-level security adds a tenant-column condition to every role's reads of the table, as far as
 * the SQL shows: RLS enabled and FORCEd (without FORCE the table owner, which often runs the application or its
 * jobs, is not bound), a FOR ALL / FOR SELECT policy for every role (TO PUBLIC or no TO clause: one `TO
 * authenticated` binds only that role, and a service role or cron worker reads across tenants) whose USING reads
 * the tenant column, and no permissive read policy whose USING does not (permissive policies are OR-ed, so one
 * `USING (true)` for some role lets that role's reads through unfiltered) unless the tenant policy is
 * RESTRICTIVE (AND-ed with the rest). Superusers and BYPASSRLS roles are never bound; those are privileges
 * granted on purpose, not the defaults an application's queries run with.
 */
function rlsFiltersReadsBy(t: TableInfo, tenantColumn: string): boolean {
  if (!t.rls || !t.forceRls) return false;
  const facts = t.policies.map((p) => policyFacts(policyAsItStands(p), tenantColumn));
  if (facts.some((f) => f === undefined)) return false; // a policy the catalog holds without its text: unknown
  const all = facts as PolicyFacts[];
  const tenantPolicies = all.filter((f) => f.reads && f.everyRole && f.usingReadsTenant);
  if (tenantPolicies.length === 0) return false;
  if (tenantPolicies.some((f) => !f.permissive)) return true;
  return all.every((f) => !f.reads || !f.permissive || f.usingReadsTenant);
}

/**
 * True when the leading columns already identify rows of one tenant, so a lookup by them needs no tenant prefix:
 * some other full (not partial) PRIMARY KEY / UNIQUE key of the table lies within them (a global UUID id, a
 * unique code), or the first of them is a foreign key to a table that has the tenant column (all rows with one
 * `platform_identity_id` belong to that identity's tenant). `own` is the statement (and, for a constraint, the
 * Constraint node) being judged, compared by place since the catalog may hold a plain-data copy of it.
 */
export function leadIdentifiesTenant(
  catalog: Catalog,
  table: TableInfo,
  leading: readonly string[],
  tenantColumn: string,
  own: { statement: Statement; constraint?: Node },
): boolean {
  if (leading.length === 0) return false;
  const lead = new Set(leading);
  const isOwn = (u: TableInfo['uniques'][number]) =>
    u.statement.file.path === own.statement.file.path &&
    u.statement.index === own.statement.index &&
    (!own.constraint || u.node.location === own.constraint.location);
  const uniques = new Set([...table.uniques, ...(finalOf(catalog, table)?.uniques ?? [])]);
  for (const u of uniques) {
    if (isOwn(u) || u.columns.length === 0 || u.node.whereClause) continue;
    if (u.columns.every((c) => c !== '' && lead.has(c))) return true;
  }
  const ref = foreignKeyTarget(table, leading[0]);
  const target = ref ? catalog.resolveRangeVar(ref, table.created) : undefined;
  return !!target && target !== table && target.columns.has(tenantColumn);
}

/** The RangeVar a single-column foreign key on `column` references, read from the table's CREATE TABLE. */
function foreignKeyTarget(table: TableInfo, column: string): Node | undefined {
  for (const el of (table.created?.body?.tableElts ?? []) as Node[]) {
    const def = as(el, 'ColumnDef');
    if (def) {
      if (def.colname !== column) continue;
      for (const raw of def.constraints ?? []) {
        const c = as(raw, 'Constraint');
        if (c?.contype === 'CONSTR_FOREIGN' && c.pktable) return c.pktable;
      }
      continue;
    }
    const c = as(el, 'Constraint');
    if (c?.contype === 'CONSTR_FOREIGN' && c.pktable) {
      const cols = strings(c.fk_attrs);
      if (cols.length === 1 && cols[0] === column) return c.pktable;
    }
  }
  return undefined;
}

/** `schema.table` when the statement named a schema, else `table`. */
export function displayName(rv: Node): string {
  return rv.schemaname ? `${rv.schemaname}.${rv.relname}` : rv.relname;
}

export interface ParenList {
  /** Offsets of `(` and just after `)`. */
  start: number;
  end: number;
  /** Each top-level element: from its first to its last code token (comments around it excluded). */
  items: { start: number; end: number }[];
}

/**
 * The first parenthesised, comma-separated list that opens at or after file offset `from` in the statement:
 * an index's or a constraint's column list. Undefined when there is none or it is not closed.
 */
export function parenListAfter(st: Statement, from: number): ParenList | undefined {
  const tokens = st.codeTokens();
  let i = tokens.findIndex((t) => t.start >= from && t.text === '(');
  if (i < 0) return undefined;
  const open = tokens[i];
  const items: { start: number; end: number }[] = [];
  let depth = 0;
  let first: Token | undefined;
  let last: Token | undefined;
  for (i = i + 1; i < tokens.length; i++) {
    const t = tokens[i];
    if (depth === 0 && (t.text === ',' || t.text === ')')) {
      if (first && last) items.push({ start: first.start, end: last.end });
      first = last = undefined;
      if (t.text === ')') return { start: open.start, end: t.end, items };
      continue;
    }
    if (t.text === '(' || t.text === '[') depth++;
    else if (t.text === ')' || t.text === ']') depth--;
    first ??= t;
    last = t;
  }
  return undefined;
}

/** The file range of a RangeVar's possibly qualified name (`app.sessions`, `"Sessions"`). */
/** How many dot-separated parts a name has (dots inside quoted identifiers do not count). */
const NAME_PARTS = (name: string) => name.replace(/"(?:[^"]|"")*"/g, 'q').split('.').length;

export function relationRange(st: Statement, rv: Node): { start: number; end: number } | undefined {
  // The common case, read from the text; tokens only when comments sit inside the qualified name.
  const quick = st.nameSpan(rv.location);
  const parts = 1 + (rv.catalogname ? 1 : 0) + (rv.schemaname ? 1 : 0);
  if (quick && NAME_PARTS(st.file.text.slice(quick.start, quick.end)) === parts) return quick;
  const tokens = st.tokens();
  const i = st.tokenAt(rv.location);
  if (i < 0) return undefined;
  let last = i;
  const qualifiers = (rv.catalogname ? 1 : 0) + (rv.schemaname ? 1 : 0);
  for (let q = 0; q < qualifiers; q++) {
    // name . name, possibly with comments in between: skip to the next two code tokens.
    let n = 0;
    while (n < 2 && last + 1 < tokens.length) {
      last++;
      if (tokens[last].name !== 'SQL_COMMENT' && tokens[last].name !== 'C_COMMENT') n++;
    }
  }
  return { start: tokens[i].start, end: tokens[last].end };
}

/**
 * True when a partial index's predicate pins the tenant column to one value (`WHERE tenant_id = 42 AND …`):
 * every row of the index has the same tenant, so the column's place in the key does not matter.
 */
export function predicatePinsTenant(where: Node | undefined, tenantColumn: string): boolean {
  if (!where) return false;
  const bool = as(where, 'BoolExpr');
  if (bool) return bool.boolop === 'AND_EXPR' && (bool.args ?? []).some((a: Node) => predicatePinsTenant(a, tenantColumn));
  const e = as(where, 'A_Expr');
  if (!e || e.kind !== 'AEXPR_OP' || operatorOf(e) !== '=') return false;
  const isTenant = (n: Node) => {
    const ref = as(n, 'ColumnRef');
    if (!ref) return false;
    const names = columnRefNames(ref);
    return names[names.length - 1] === tenantColumn;
  };
  const hasColumn = (n: Node) => JSON.stringify(n).includes('"ColumnRef"');
  return (isTenant(e.lexpr) && !hasColumn(e.rexpr)) || (isTenant(e.rexpr) && !hasColumn(e.lexpr));
}

/** The index method of an IndexStmt, lower case (btree when omitted). */
export function methodOf(index: Node): string {
  return String(index.accessMethod ?? 'btree').toLowerCase();
}

/** The plain column of an IndexElem, or undefined for an expression element. */
export function elemColumn(elem: Node): string | undefined {
  return (as(elem, 'IndexElem')?.name as string | undefined) ?? undefined;
}

/** A PRIMARY KEY or UNIQUE constraint node, with where it was written. */
export interface KeyConstraint {
  node: Node;
  primary: boolean;
  /** Key columns; for a column constraint, the column. */
  columns: string[];
  /** True for a column constraint (`id int PRIMARY KEY`): no column list of its own. */
  columnConstraint: boolean;
  /** The table the constraint belongs to (the CREATE/ALTER TABLE's relation). */
  relation: Node;
}

/** Every PRIMARY KEY / UNIQUE constraint a CREATE TABLE or ALTER TABLE statement declares. */
export function keyConstraints(st: Statement): KeyConstraint[] {
  if (st.kind !== 'CreateStmt' && st.kind !== 'AlterTableStmt') return [];
  const out: KeyConstraint[] = [];
  const b = st.body;
  const add = (raw: unknown, relation: Node, column?: string) => {
    const c = as(raw, 'Constraint');
    if (!c || (c.contype !== 'CONSTR_PRIMARY' && c.contype !== 'CONSTR_UNIQUE')) return;
    if (c.indexname) return; // ADD CONSTRAINT … USING INDEX: the index already exists.
    const keys = c.keys ? strings(c.keys) : column !== undefined ? [column] : [];
    if (keys.length === 0) return;
    out.push({ node: c, primary: c.contype === 'CONSTR_PRIMARY', columns: keys, columnConstraint: !c.keys, relation });
  };
  if (st.kind === 'CreateStmt') {
    for (const el of b.tableElts ?? []) {
      const def = as(el, 'ColumnDef');
      if (def) for (const c of def.constraints ?? []) add(c, b.relation, def.colname);
      else add(el, b.relation);
    }
  } else if (st.kind === 'AlterTableStmt' && (!b.objtype || b.objtype === 'OBJECT_TABLE')) {
    for (const raw of b.cmds ?? []) {
      const cmd = as(raw, 'AlterTableCmd');
      if (cmd?.subtype === 'AT_AddConstraint') add(cmd.def, b.relation);
      else if (cmd?.subtype === 'AT_AddColumn') {
        const def = as(cmd.def, 'ColumnDef');
        if (def) for (const c of def.constraints ?? []) add(c, b.relation, def.colname);
      }
    }
  }
  return out;
}

/**
 * The range of a PRIMARY KEY / UNIQUE constraint: from its start (CONSTRAINT name, or the keyword) to the end of
 * its column list, or, for a column constraint, to the end of `PRIMARY KEY` / `UNIQUE`.
 */
export function constraintRange(st: Statement, k: KeyConstraint): { start: number; end: number; list?: ParenList } | undefined {
  const i = st.tokenAt(k.node.location);
  if (i < 0) return undefined;
  const start = st.tokens()[i].start;
  if (!k.columnConstraint) {
    const list = parenListAfter(st, start);
    return list ? { start, end: list.end, list } : undefined;
  }
  const code = st.codeTokens();
  const j = code.findIndex((t) => t.start >= start && (t.keyword === 'UNIQUE' || t.keyword === 'KEY'));
  return j >= 0 ? { start, end: code[j].end } : undefined;
}

/** `CREATE [UNIQUE] INDEX` tokens of an IndexStmt: the first code token and the INDEX keyword. */
export function indexHead(st: Statement): { start: number; indexEnd: number } | undefined {
  const code = st.codeTokens();
  const idx = code.findIndex((t) => t.keyword === 'INDEX');
  if (idx < 0 || !code[0]) return undefined;
  return { start: code[0].start, indexEnd: code[idx].end };
}

/** True when an index element (column or expression) references the column. */
export function refersTo(elem: Node, column: string): boolean {
  if (elemColumn(elem) === column) return true;
  let found = false;
  walk(elem, (type, n) => {
    if (type === 'ColumnRef' && columnRefNames(n).at(-1) === column) found = true;
  });
  return found;
}

/**
 * True when an explicit BEGIN / START TRANSACTION earlier in the file is still open at the statement: a
 * CONCURRENTLY index build or rebuild there fails ("cannot run inside a transaction block").
 */
export function inTransactionBlock(st: Statement): boolean {
  let open = false;
  for (const s of st.file.statements) {
    if (s === st) break;
    if (s.kind !== 'TransactionStmt') continue;
    switch (s.body.kind) {
      case 'TRANS_STMT_BEGIN':
      case 'TRANS_STMT_START':
        open = true;
        break;
      case 'TRANS_STMT_COMMIT':
      case 'TRANS_STMT_ROLLBACK':
      case 'TRANS_STMT_PREPARE':
        if (!s.body.chain) open = false;
        break;
    }
  }
  return open;
}
