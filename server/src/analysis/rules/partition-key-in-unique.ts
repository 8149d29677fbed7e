import { quoteIdent, type Node } from '../ast';
import type { TableInfo } from '../catalog';
import { defineRule, type MessageData } from '../rule';
import { constraintRange, displayName, elemColumn, keyConstraints, parenListAfter } from './_tenancy';

const PG_ERROR = 'unique constraint on partitioned table must include all partitioning columns';

/** The finding's message id and data, or undefined when the key is valid for the table's partition key. */
function problem(
  table: TableInfo,
  kind: string,
  keyColumns: (string | undefined)[],
  name: string,
): { messageId: 'expressionKey' | 'missingColumns'; data: MessageData } | undefined {
  const part = table.partition;
  if (!part) return undefined;
  const where = part.declaredIn === '.pgperf.json' ? ' (partition key from .pgperf.json partitionedTables)' : '';
  const by = `PARTITION BY ${part.strategy.toUpperCase()} (${part.columns.map((c) => (c ? quoteIdent(c) : '<expression>')).join(', ')})`;
  if (part.columns.some((c) => c === '')) {
    return { messageId: 'expressionKey', data: { kind, name, by, where } };
  }
  const missing = part.columns.filter((c) => !keyColumns.includes(c));
  if (missing.length === 0) return undefined;
  const columns = missing.map((c) => quoteIdent(c)).join(', ');
  return { messageId: 'missingColumns', data: { kind, name, plural: missing.length > 1 ? 's' : '', columns, by, where } };
}

export const partitionKeyInUnique = defineRule({
  meta: {
    id: 'partition-key-in-unique',
    category: 'partitioning',
    severity: 'error',
    fixable: false,
    docs: {
      summary: 'PRIMARY KEY or UNIQUE on a partitioned table that leaves out a partition-key column.',
      why:
        'PostgreSQL enforces uniqueness on a partitioned table through one index per partition, which can only see ' +
        'its own rows; so every PRIMARY KEY / UNIQUE constraint (and unique index) must contain all partition-key ' +
        `columns as plain key columns, and CREATE TABLE / ALTER TABLE / CREATE UNIQUE INDEX fails with "${PG_ERROR}" ` +
        'otherwise (a column in INCLUDE or inside an expression does not count; with an expression in the partition ' +
        "key no unique constraint is possible). The tuning guide's event_log, partitioned by RANGE (timestamp) into " +
        'monthly partitions (40 ms instead of 500 ms for a one-month query), uses PRIMARY KEY (tenant_id, timestamp, ' +
        'event_id) for this reason. Partitioned tables are known from workspace DDL and from `partitionedTables` in ' +
        '.pgperf.json.',
      fix:
        'Add the partition-key columns to the key (after the tenant column). There is no quick fix: which columns ' +
        'make a row unique is a design decision, and a global uniqueness of the other columns cannot be enforced ' +
        'on a partitioned table at all.',
      bad:
        'CREATE TABLE event_log (\n  tenant_id varchar(255),\n  event_id uuid,\n  "timestamp" timestamptz,\n' +
        '  PRIMARY KEY (tenant_id, event_id)\n) PARTITION BY RANGE ("timestamp");',
      good:
        'CREATE TABLE event_log (\n  tenant_id varchar(255),\n  event_id uuid,\n  "timestamp" timestamptz,\n' +
        '  PRIMARY KEY (tenant_id, "timestamp", event_id)\n) PARTITION BY RANGE ("timestamp");',
    },
    messages: {
      expressionKey:
        '{{kind}} on partitioned table {{name}}: its partition key includes an expression ({{by}}){{where}}, and PostgreSQL ' +
        'rejects every PRIMARY KEY and UNIQUE constraint on such a table. Partition by plain columns, or enforce ' +
        'uniqueness on each partition.',
      missingColumns:
        '{{kind}} on partitioned table {{name}} leaves out partition key column{{plural}} {{columns}} ' +
        `({{by}}){{where}}: PostgreSQL rejects it ("${PG_ERROR}"). ` +
        'Add {{columns}} to the key.',
    },
  },
  check({ statement: st, catalog, report }) {
    if (st.kind === 'IndexStmt') {
      const b = st.body;
      if (!b.unique && !b.primary) return;
      const table = catalog.resolveRangeVar(b.relation, st);
      if (!table?.partition) return;
      const cols = (b.indexParams ?? []).map((p: Node) => elemColumn(p));
      const message = problem(table, b.primary ? 'PRIMARY KEY' : 'Unique index', cols, displayName(b.relation));
      if (!message) return;
      const relTok = st.tokenAt(b.relation.location);
      const list = relTok >= 0 ? parenListAfter(st, st.tokens()[relTok].start) : undefined;
      const range = list ?? { start: st.start, end: st.end };
      report({ start: range.start, end: range.end, ...message });
      return;
    }
    for (const k of keyConstraints(st)) {
      const table = catalog.resolveRangeVar(k.relation, st);
      if (!table?.partition) continue;
      const message = problem(table, k.primary ? 'PRIMARY KEY' : 'UNIQUE constraint', k.columns, displayName(k.relation));
      if (!message) continue;
      const range = constraintRange(st, k);
      if (!range) continue;
      report({ start: range.start, end: range.end, ...message });
    }
  },
});
