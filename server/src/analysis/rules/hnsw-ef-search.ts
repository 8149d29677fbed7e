import { as, strings, walk, type Node } from '../ast';
import type { Statement } from '../parse';
import { defineRule } from '../rule';
import { semanticModel } from '../semantic';
import { constInt, selectScopes, vectorIndexesOn, vectorOrders } from './_pgvector';

const GUC = 'hnsw.ef_search';
const MIN = 1;
const MAX = 1000;

interface Setting {
  /** The value node (an A_Const), or undefined for RESET / DEFAULT. */
  value: Node | undefined;
  local: boolean;
}

/** The set_config(name, value, is_local) calls of a statement on a parameter. */
function setConfigCalls(root: Node, name: string): Setting[] {
  const out: Setting[] = [];
  walk(root, (type, n) => {
    if (type !== 'FuncCall') return;
    const fn = strings(n.funcname).pop();
    const args = (n.args ?? []) as Node[];
    if (fn !== 'set_config' || args.length < 2) return;
    if (as(args[0], 'A_Const')?.sval?.sval?.toLowerCase() !== name) return;
    out.push({ value: args[1], local: as(args[2], 'A_Const')?.boolval?.boolval === true });
  });
  return out;
}

/** What a statement does to a parameter: the settings it makes, or [] when it leaves it alone. */
function settingsOf(st: Statement, name: string): Setting[] {
  // The kind first: reading the tree of every statement of a file (most are neither) costs a JSON parse each.
  if (!st.hasAst || (st.kind !== 'VariableSetStmt' && st.kind !== 'SelectStmt')) return [];
  if (st.kind === 'VariableSetStmt') {
    const b = st.body;
    if (b.kind === 'VAR_RESET_ALL') return [{ value: undefined, local: false }];
    if (b.name !== name) return [];
    return [{ value: b.kind === 'VAR_SET_VALUE' ? (b.args ?? [])[0] : undefined, local: !!b.is_local }];
  }
  if (st.kind === 'SelectStmt' && st.treeMayInclude('"set_config"')) return setConfigCalls(st.ast!, name);
  return [];
}

const TX_END = new Set(['TRANS_STMT_COMMIT', 'TRANS_STMT_ROLLBACK', 'TRANS_STMT_PREPARE', 'TRANS_STMT_COMMIT_PREPARED', 'TRANS_STMT_ROLLBACK_PREPARED']);

/** True when hnsw.iterative_scan (pgvector 0.8) is on before statement `index`: the scan then goes past ef_search. */
function iterativeScanOn(st: Statement, index: number): boolean {
  let on = false;
  for (const s of st.file.statements.slice(0, index)) {
    for (const set of settingsOf(s, 'hnsw.iterative_scan')) {
      const c = as(set.value, 'A_Const');
      const v = String(c?.sval?.sval ?? '').toLowerCase();
      on = !!set.value && v !== '' && v !== 'off';
    }
  }
  return on;
}

function valueRange(st: Statement, node: Node): { start: number; end: number } | undefined {
  const span = st.span(node);
  if (!span) return undefined;
  // A negative constant is located at its '-': take the number too.
  const tokens = st.codeTokens();
  const i = tokens.findIndex((t) => t.start === span.start);
  if (i >= 0 && tokens[i].text === '-' && tokens[i + 1] && span.end === tokens[i].end) return { start: span.start, end: tokens[i + 1].end };
  return span;
}

export const hnswEfSearch = defineRule({
  meta: {
    id: 'hnsw-ef-search',
    category: 'pgvector',
    severity: 'warning',
    fixable: false,
    docs: {
      summary: '`SET hnsw.ef_search` outside 1–1000, or below the LIMIT of a vector query that follows it.',
      why:
        'pgvector accepts hnsw.ef_search from 1 to 1000 (default 40). An HNSW index scan returns at most ef_search ' +
        'rows, so `SET hnsw.ef_search = 20` followed by `ORDER BY embedding <=> $1 LIMIT 50` silently returns 20 rows ' +
        "(or fewer after a WHERE filter). The tuning guide's table: recall 90 % → 20 (3 ms p95), 95 % → 40 (default, " +
        '5 ms), 98 % → 100 (12 ms), 99 %+ → 200 (30 ms). Only queries that follow the SET in the same file, before the ' +
        "next SET/RESET of hnsw.ef_search (or the end of the transaction, for SET LOCAL), are checked; pgvector 0.8's " +
        'iterative scans (`SET hnsw.iterative_scan = relaxed_order`) lift the cap, so the LIMIT check is skipped then.',
      fix: "Set ef_search to at least the LIMIT (the guide's 40 for 95 % recall, 100 or 200 for higher), within 1–1000, " + 'or enable iterative index scans.',
      bad: 'SET hnsw.ef_search = 20;\nSELECT id FROM docs ORDER BY embedding <=> $1 LIMIT 50;',
      good: 'SET hnsw.ef_search = 100;\nSELECT id FROM docs ORDER BY embedding <=> $1 LIMIT 50;',
    },
    messages: {
      outOfRange:
        "hnsw.ef_search = {{value}} is outside pgvector's range {{min}}–{{max}}: PostgreSQL rejects the setting. " +
        'The tuning guide uses 20 (90 % recall), 40 (95 %, the default), 100 (98 %) or 200 (99 %+).',
      belowLimit:
        'hnsw.ef_search = {{value}} is below the LIMIT {{limit}} of the vector query on line {{line}}: an HNSW ' +
        'scan returns at most ef_search rows, so that query returns at most {{value}} rows. Set hnsw.ef_search to at ' +
        'least {{limit}} (the guide: 40 for 95 % recall, 100 for 98 %, 200 for 99 %+), or enable ' +
        'hnsw.iterative_scan (pgvector 0.8).',
    },
  },
  crossStatement: true,
  check({ statement, catalog, report, file }) {
    if (!/ef_search/i.test(statement.text)) return; // cheap text filter: only statements that set it matter
    for (const set of settingsOf(statement, GUC)) {
      if (!set.value || !as(set.value, 'A_Const')) continue;
      const value = constInt(set.value);
      if (value === undefined) continue;
      const range = valueRange(statement, set.value);
      if (!range) continue;
      if (value < MIN || value > MAX) {
        report({ ...range, messageId: 'outOfRange', data: { value, min: MIN, max: MAX } });
        continue;
      }
      // The vector queries this setting governs.
      for (const next of file.statements.slice(statement.index + 1)) {
        if (!next.hasAst) continue;
        if (settingsOf(next, GUC).length > 0) break;
        if (set.local && next.kind === 'TransactionStmt' && TX_END.has(next.body.kind)) break;
        let hit: { limit: number; offset: number } | undefined;
        // Only statements with a LIMIT above the setting can be capped by it: the model is built for those alone.
        if (!next.treeMayInclude('"limitCount"')) continue;
        const model = semanticModel(next, catalog);
        for (const scope of selectScopes(model)) {
          const sel = scope.node;
          const limit = constInt(sel.limitCount);
          if (limit === undefined || limit <= value) continue;
          const orders = vectorOrders(scope, model).filter((o) => {
            // A column known to have only IVFFlat indexes is not searched by HNSW.
            const idx = vectorIndexesOn(o.table, o.column);
            return idx.length === 0 || idx.some((i) => i.method === 'hnsw');
          });
          if (orders.length === 0) continue;
          if (!hit || limit > hit.limit) hit = { limit, offset: next.loc(sel.limitCount.A_Const?.location ?? 0) };
        }
        if (hit && !iterativeScanOn(next, next.index)) {
          const line = file.lineOf(hit.offset);
          report({ ...range, messageId: 'belowLimit', data: { value, limit: hit.limit, line } });
          break;
        }
      }
    }
  },
});
