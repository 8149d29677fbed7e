import { as, strings } from '../ast';
import type { Catalog, TableInfo } from '../catalog';
import type { Statement } from '../parse';
import { defineRule } from '../rule';
import type { Token } from '../tokens';
import type { Fix } from '../types';
import { liveTable, migrationRunAt } from './_locking';
import { inTransactionBlock } from './_tenancy';

/** The code tokens of each index name of a DROP INDEX (after INDEX [IF EXISTS], up to CASCADE / RESTRICT). */
function nameItems(tokens: Token[], from: number): Token[][] {
  const items: Token[][] = [[]];
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.text === ';' || t.keyword === 'CASCADE' || t.keyword === 'RESTRICT') break;
    if (t.text === ',') items.push([]);
    else items[items.length - 1].push(t);
  }
  return items.filter((x) => x.length > 0);
}

/**
 * The fix: CONCURRENTLY after INDEX; for several names, one DROP INDEX CONCURRENTLY per name (PostgreSQL drops only
 * one index concurrently per statement). Undefined with CASCADE (refused with CONCURRENTLY: what depends on the
 * index must go first) and for several names in a host string (one string, one statement).
 */
function fixOf(st: Statement, tokens: Token[], indexAt: number): Fix | undefined {
  const b = st.body;
  if (b.behavior === 'DROP_CASCADE') return undefined;
  const index = tokens[indexAt];
  if ((b.objects ?? []).length <= 1) return { title: 'Add CONCURRENTLY', edits: [{ start: index.end, end: index.end, newText: ' CONCURRENTLY' }] };
  if (st.file.host) return undefined;
  const ifExists = b.missing_ok ? ' IF EXISTS' : '';
  const from = b.missing_ok ? indexAt + 3 : indexAt + 1;
  const items = nameItems(tokens, from);
  if (items.length !== b.objects.length) return undefined;
  const text = st.file.text;
  const names = items.map((it) => text.slice(it[0].start, it[it.length - 1].end));
  const last = tokens[tokens.length - 1].text === ';' ? tokens[tokens.length - 2] : tokens[tokens.length - 1];
  const head = text.slice(tokens[0].start, index.end);
  return {
    title: 'Drop each index CONCURRENTLY, one statement per index',
    edits: [{ start: tokens[0].start, end: last.end, newText: names.map((n) => `${head} CONCURRENTLY${ifExists} ${n}`).join(';\n') }],
  };
}

/**
 * True when the same migration run drops the table later (DROP TABLE, the down step that undoes a CREATE): that DROP
 * takes the same ACCESS EXCLUSIVE lock on the table, so a concurrent index drop before it would spare no one.
 */
function tableDroppedLaterInRun(st: Statement, catalog: Catalog, table: TableInfo): boolean {
  const run = migrationRunAt(st.file, st.start);
  for (const s of st.file.statements) {
    if (s.index <= st.index || s.kind !== 'DropStmt' || s.body.removeType !== 'OBJECT_TABLE') continue;
    if (migrationRunAt(st.file, s.start) !== run) continue;
    // As the history has the table just before the DROP (at the DROP it is gone).
    const before = { searchPath: s.searchPath, file: s.file, index: s.index - 1, start: s.start };
    for (const obj of s.body.objects ?? []) {
      const parts = strings(as(obj, 'List')?.items);
      const t = parts.length > 0 ? catalog.resolve(parts.length > 1 ? parts[parts.length - 2] : undefined, parts[parts.length - 1]!, before) : undefined;
      if (t && t.schema === table.schema && t.name === table.name) return true;
    }
  }
  return false;
}

export const dropIndexConcurrently = defineRule({
  // Reads the file's earlier statements (an open BEGIN, the table's CREATE in this migration).
  crossStatement: true,
  meta: {
    id: 'drop-index-concurrently',
    category: 'locking',
    severity: 'warning',
    fixable: true,
    docs: {
      summary: 'DROP INDEX without CONCURRENTLY on an index of a table an earlier migration created.',
      why:
        'A plain DROP INDEX takes an ACCESS EXCLUSIVE lock on the index\u2019s table. The drop itself is quick, but ' +
        'the lock has to wait for every query and open transaction on the table to finish, and meanwhile every new ' +
        'query on the table, reads included, queues behind it: one long report or idle-in-transaction session turns ' +
        'a quick migration into an outage. `DROP INDEX CONCURRENTLY` waits for those transactions without blocking ' +
        'anyone. The rule reads the workspace as a migration history and fires only when the index is known (a ' +
        'CREATE INDEX of the workspace) and its table was created by an earlier migration, so that it may be in use ' +
        'by now; not for a table created by the same migration (file or changeset, or the baseline schema/ folder beside migrations/), one the same migration shows ' +
        'empty, a temporary table, an index of a partitioned table (PostgreSQL cannot drop a partitioned index ' +
        'concurrently), or a table the same migration drops afterwards (its DROP TABLE takes the same lock).',
      fix:
        'Use DROP INDEX CONCURRENTLY (the quick fix inserts it after INDEX; for a DROP of several indexes it writes ' +
        'one statement per index, since PostgreSQL drops only one index concurrently per statement). It cannot run ' +
        'inside a transaction block: run the migration without one (Liquibase `runInTransaction:false`, sqlx ' +
        '`-- no-transaction`, or a migration of its own, as the tool allows); inside an explicit BEGIN … COMMIT ' +
        'the finding offers no fix. With CASCADE there is no fix either: CONCURRENTLY refuses CASCADE, so drop what ' +
        'depends on the index first.',
      bad:
        '--liquibase formatted sql\n--changeset alice:1\nCREATE TABLE sessions (tenant_id int, status text);\n' +
        'CREATE INDEX idx_sessions_status ON sessions (status);\n\n' +
        '-- a later release: sessions is in use by now\n--changeset alice:2\nDROP INDEX idx_sessions_status;',
      good:
        '--liquibase formatted sql\n--changeset alice:1\nCREATE TABLE sessions (tenant_id int, status text);\n' +
        'CREATE INDEX idx_sessions_status ON sessions (status);\n\n' +
        '--changeset alice:2 runInTransaction:false\nDROP INDEX CONCURRENTLY idx_sessions_status;',
    },
    messages: {
      notConcurrent:
        'DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on table {{table}} (created in {{createdIn}}): it waits for ' +
        'every query on the table, and every query after it waits for the drop. Use DROP INDEX CONCURRENTLY (it cannot run inside ' +
        'a transaction block).',
      severalIndexes:
        'DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on table {{table}} (created in {{createdIn}}): it waits for ' +
        'every query on the table, and every query after it waits for the drop. Use DROP INDEX CONCURRENTLY, one statement per ' +
        'index (it cannot run inside a transaction block).',
      cascade:
        'DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on table {{table}} (created in {{createdIn}}): it waits for ' +
        'every query on the table, and every query after it waits for the drop. Use DROP INDEX CONCURRENTLY (it cannot run inside ' +
        'a transaction block, and refuses CASCADE: drop what depends on the index first).',
      inTransactionBlock:
        'DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on table {{table}} (created in {{createdIn}}): it waits for ' +
        'every query on the table, and every query after it waits for the drop. Use DROP INDEX CONCURRENTLY, outside the explicit ' +
        'transaction block (it cannot run inside one).',
    },
  },
  check({ statement: st, catalog, report }) {
    if (st.kind !== 'DropStmt') return;
    const b = st.body;
    if (b.removeType !== 'OBJECT_INDEX' || b.concurrent) return;
    let live: TableInfo | undefined;
    for (const idx of catalog.droppedBy(st)) {
      const t = liveTable(st, catalog, idx.table);
      // PostgreSQL cannot drop an index of a partitioned table concurrently.
      if (t && !t.partition) {
        live = t;
        break;
      }
    }
    if (!live || tableDroppedLaterInRun(st, catalog, live)) return;
    const tokens = st.codeTokens();
    const indexAt = tokens.findIndex((t) => t.keyword === 'INDEX');
    if (indexAt < 0) return;
    const inBlock = inTransactionBlock(st);
    const messageId = inBlock
      ? 'inTransactionBlock'
      : b.behavior === 'DROP_CASCADE'
        ? 'cascade'
        : (b.objects ?? []).length > 1
          ? 'severalIndexes'
          : 'notConcurrent';
    const table = live.schema === 'public' ? live.name : `${live.schema}.${live.name}`;
    report({
      start: tokens[0].start,
      end: tokens[indexAt].end,
      messageId,
      data: { table, createdIn: live.created!.file.path },
      fix: inBlock ? undefined : fixOf(st, tokens, indexAt),
    });
  },
});
