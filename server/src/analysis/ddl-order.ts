/**
 * The workspace's schema as a script a fresh database can run: the DDL of every file, ordered so that what a
 * statement needs exists before it (schemas and types before tables, a partitioned parent before its partitions,
 * a referenced table before the foreign key to it, tables before their indexes and policies). Used to load the
 * project's real schema into the embedded database, so that plans are read against it.
 */
import { as, type Node } from './ast';
import { compareMigrationPaths } from './migration-order';
import type { ParsedFile, Statement } from './parse';

export interface DdlStatement {
  /** The file that declares it (as the caller named it). */
  file: string;
  /** 1-based line of the statement in that file. */
  line: number;
  text: string;
  kind: string;
}

/** Phases in the order they run; statements of a kind not listed are not schema and are left out. */
const PHASE: Record<string, number> = {
  CreateSchemaStmt: 0,
  CreateExtensionStmt: 0,
  CreateRoleStmt: 0,
  CreateEnumStmt: 1,
  CompositeTypeStmt: 1,
  CreateDomainStmt: 1,
  CreateRangeStmt: 1,
  CreateSeqStmt: 2,
  CreateFunctionStmt: 2,
  CreateStmt: 3,
  AlterTableStmt: 4,
  AlterSeqStmt: 4,
  IndexStmt: 5,
  CreatePolicyStmt: 5,
  ViewStmt: 5,
  CreateTrigStmt: 6,
};

interface Item {
  st: Statement;
  phase: number;
  order: number;
}

const tableName = (rv: Node | undefined, st: Statement): string | undefined =>
  rv?.relname ? `${rv.schemaname ?? st.searchPath[0] ?? 'public'}.${rv.relname}` : undefined;

/** The tables a CREATE TABLE needs first: its partition parent, the tables it inherits from, those it references. */
function needs(st: Statement): string[] {
  const b = st.body;
  const out: string[] = [];
  for (const rv of b.inhRelations ?? []) {
    const name = tableName(as(rv, 'RangeVar'), st);
    if (name) out.push(name);
  }
  const constraint = (c: Node | undefined) => {
    if (c?.contype === 'CONSTR_FOREIGN') {
      const name = tableName(c.pktable, st);
      if (name) out.push(name);
    }
  };
  for (const el of b.tableElts ?? []) {
    constraint(as(el, 'Constraint'));
    for (const c of as(el, 'ColumnDef')?.constraints ?? []) constraint(as(c, 'Constraint'));
  }
  return out;
}

/** Tables in an order that puts each after the tables it needs (declaration order where free; a cycle is cut). */
function orderTables(items: Item[]): Item[] {
  const byName = new Map<string, Item>();
  for (const it of items) {
    const name = tableName(it.st.body.relation, it.st);
    if (name && !byName.has(name)) byName.set(name, it);
  }
  const out: Item[] = [];
  const state = new Map<Item, 'visiting' | 'done'>();
  const visit = (it: Item) => {
    if (state.get(it)) return; // done, or on the current path (a cycle: cut it here)
    state.set(it, 'visiting');
    for (const dep of needs(it.st)) {
      const d = byName.get(dep);
      if (d && d !== it) visit(d);
    }
    state.set(it, 'done');
    out.push(it);
  };
  items.forEach(visit);
  return out;
}

/** The DDL of `files` (declaration order: migration order, see migration-order.ts) as one ordered script. */
export function orderedDdl(files: readonly ParsedFile[]): DdlStatement[] {
  const items: Item[] = [];
  let order = 0;
  for (const file of [...files].sort((a, b) => compareMigrationPaths(a.path, b.path))) {
    for (const st of file.statements) {
      if (!st.ast) continue;
      const phase = PHASE[st.kind];
      if (phase === undefined) continue;
      items.push({ st, phase, order: order++ });
    }
  }
  const byPhase = new Map<number, Item[]>();
  for (const it of items) byPhase.set(it.phase, [...(byPhase.get(it.phase) ?? []), it]);
  const ordered = [...byPhase.keys()].sort((a, b) => a - b).flatMap((p) => (p === PHASE.CreateStmt ? orderTables(byPhase.get(p)!) : byPhase.get(p)!));
  return ordered.map(({ st }) => ({
    file: st.file.path,
    line: st.file.lineOf(st.start),
    text: st.text,
    kind: st.kind,
  }));
}
