import { type HealthCheck, type HealthFinding } from '../types';
import { bytesText, num, qualified, str, USER_SCHEMAS } from '../sql';

interface Ix {
  schema: string;
  table: string;
  name: string;
  oid: number;
  am: string;
  keys: string[];
  includes: string[];
  classes: string[];
  collations: string[];
  exprs: string;
  pred: string;
  unique: boolean;
  constraint: boolean;
  bytes: number;
  def: string;
}

export const duplicateIndexes: HealthCheck = {
  id: 'duplicate-indexes',
  title: 'Duplicate indexes, and indexes whose columns are a prefix of another index',
  category: 'indexes',
  reads: ['pg_index', 'pg_class', 'pg_am', 'pg_constraint', 'pg_inherits'],
  guide: { section: 'Monitoring & Benchmarking › Key Metrics', threshold: 'an index that another one makes redundant is an unused index: it wastes space' },
  docs: {
    why: 'Two indexes with the same columns (same operator classes, collations, expressions and predicate) are maintained twice for one benefit. A B-tree on (a) is also redundant next to a B-tree on (a, b): the longer one serves every lookup on a alone. Each copy slows writes and takes disk and cache.',
    fix: 'Drop the redundant one with `DROP INDEX CONCURRENTLY`. The check never proposes dropping an index behind a constraint (primary key, unique, exclusion), and never a unique index for a prefix: its uniqueness is a rule the longer index does not enforce.',
    notApplicable:
      'The shorter index can be worth keeping when it is much smaller and the hot lookups use it (fewer pages to read), or when the longer index is about to be dropped. Two identical indexes are sometimes a rebuild in progress (`CREATE INDEX CONCURRENTLY` then drop the old one).',
  },
  async run({ session }) {
    const { rows } = await session.query(
      `SELECT n.nspname AS schema, t.relname AS table, c.relname AS name, i.indexrelid::int8 AS oid, am.amname AS am,
              i.indkey::text AS indkey, i.indnkeyatts AS nkey, i.indclass::text AS classes, i.indcollation::text AS collations,
              coalesce(pg_get_expr(i.indexprs, i.indrelid), '') AS exprs, coalesce(pg_get_expr(i.indpred, i.indrelid), '') AS pred,
              i.indisunique AS unique, EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) AS constraint,
              pg_relation_size(i.indexrelid)::float8 AS bytes, pg_get_indexdef(i.indexrelid) AS def
         FROM pg_index i
         JOIN pg_class c ON c.oid = i.indexrelid
         JOIN pg_class t ON t.oid = i.indrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_am am ON am.oid = c.relam
        WHERE ${USER_SCHEMAS} AND c.relkind = 'i' AND i.indisvalid
          AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE h.inhrelid = i.indexrelid)
        ORDER BY i.indrelid, i.indexrelid`,
    );
    const byTable = new Map<string, Ix[]>();
    for (const r of rows) {
      const all = str(r.indkey).split(' ');
      const nkey = num(r.nkey);
      const ix: Ix = {
        schema: str(r.schema),
        table: str(r.table),
        name: str(r.name),
        oid: num(r.oid),
        am: str(r.am),
        keys: all.slice(0, nkey),
        includes: all.slice(nkey).sort(),
        classes: str(r.classes).split(' ').slice(0, nkey),
        collations: str(r.collations).split(' ').slice(0, nkey),
        exprs: str(r.exprs),
        pred: str(r.pred),
        unique: r.unique === true,
        constraint: r.constraint === true,
        bytes: num(r.bytes),
        def: str(r.def),
      };
      const key = `${ix.schema}\u0000${ix.table}`;
      byTable.set(key, [...(byTable.get(key) ?? []), ix]);
    }
    const findings: HealthFinding[] = [];
    const reported = new Set<number>();
    const same = (a: Ix, b: Ix, n: number) =>
      a.keys.slice(0, n).join() === b.keys.slice(0, n).join() &&
      a.classes.slice(0, n).join() === b.classes.slice(0, n).join() &&
      a.collations.slice(0, n).join() === b.collations.slice(0, n).join();
    const report = (drop: Ix, keep: Ix, kind: 'duplicate' | 'prefix') => {
      if (reported.has(drop.oid)) return;
      reported.add(drop.oid);
      const index = qualified(drop.schema, drop.name);
      const other = qualified(keep.schema, keep.name);
      findings.push({
        severity: 'warning',
        object: index,
        message:
          kind === 'duplicate'
            ? `index ${index} (${bytesText(drop.bytes)}) duplicates ${other} on ${qualified(drop.schema, drop.table)}`
            : `index ${index} (${bytesText(drop.bytes)}) is a prefix of ${other} on ${qualified(drop.schema, drop.table)}: the longer index serves its lookups`,
        evidence: { index, redundantWith: other, kind, bytes: drop.bytes, definition: drop.def, otherDefinition: keep.def },
        fix: `DROP INDEX CONCURRENTLY ${index};`,
      });
    };
    for (const list of byTable.values()) {
      for (const a of list) {
        for (const b of list) {
          if (a === b || a.am !== b.am || a.pred !== b.pred || a.exprs !== b.exprs || reported.has(b.oid)) continue;
          if (a.keys.length === b.keys.length && same(a, b, a.keys.length) && a.includes.join() === b.includes.join()) {
            // Of two equal indexes, the one without a constraint and without uniqueness goes; else the newer one.
            if (a.constraint && b.constraint) continue;
            const aGoes = b.constraint || (!a.constraint && (a.unique === b.unique ? a.oid > b.oid : !a.unique));
            if (aGoes) report(a, b, 'duplicate');
          } else if (
            a.am === 'btree' &&
            a.exprs === '' &&
            !a.unique &&
            !a.constraint &&
            a.includes.length === 0 &&
            a.keys.length < b.keys.length &&
            same(a, b, a.keys.length)
          ) {
            report(a, b, 'prefix');
          }
        }
      }
    }
    return { findings };
  },
};
