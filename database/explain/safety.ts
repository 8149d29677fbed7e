/**
 * What a statement is, read from the real PostgreSQL parse tree (libpg_query) alone: its kind, whether EXPLAIN
 * accepts it, the writes its own text shows (DML, SELECT INTO, FOR UPDATE, data-modifying WITH), its `$n`
 * parameters and the functions it names. What those functions, operators, casts and views really do is asked of
 * the database by reach.ts; this file needs no connection.
 */
import { initParser, parseSqlForExplain } from '../../server/src/analysis/pg';

export interface Classification {
  /** The statement's own text writes (INSERT/UPDATE/DELETE/MERGE, SELECT INTO, FOR UPDATE, CREATE TABLE AS…). */
  writes: boolean;
  /** Why, one line each: "UPDATE modifies rows". */
  reasons: string[];
  /** The parse tree's statement type ("SelectStmt", "InsertStmt"…), undefined when it does not parse. */
  statementType?: string;
  /** The statement in SQL words ("SELECT", "CREATE INDEX"), for messages. */
  statementWords?: string;
  /** Highest `$n` in the statement (0 when none). */
  maxParam: number;
  /** How deep the parse tree nests (objects and lists). */
  depth: number;
  /** Whether EXPLAIN accepts this statement at all (DDL other than CREATE TABLE AS cannot be explained). */
  explainable: boolean;
  /** It inserts rows (INSERT or MERGE anywhere, or `SET col = DEFAULT`): column defaults run. */
  inserts: boolean;
  /** Functions the text names, `[schema, name]` or `[name]`, in order of appearance, without repeats. */
  functions: string[][];
  /** Set when the SQL does not parse or holds more or less than one statement. */
  error?: string;
}

/** Statements EXPLAIN accepts (PostgreSQL's ExplainableStmt). */
const EXPLAINABLE = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt', 'ExecuteStmt', 'DeclareCursorStmt', 'CreateTableAsStmt']);

const MODIFYING: Record<string, string> = {
  InsertStmt: 'INSERT adds rows',
  UpdateStmt: 'UPDATE modifies rows',
  DeleteStmt: 'DELETE removes rows',
  MergeStmt: 'MERGE modifies rows',
};

/** Parse-tree statement types in SQL words, for messages ("EXPLAIN cannot run CREATE INDEX"). */
const STATEMENT_WORDS: Record<string, string> = {
  SelectStmt: 'SELECT',
  InsertStmt: 'INSERT',
  UpdateStmt: 'UPDATE',
  DeleteStmt: 'DELETE',
  MergeStmt: 'MERGE',
  ExecuteStmt: 'EXECUTE',
  DeclareCursorStmt: 'DECLARE … CURSOR',
  CreateTableAsStmt: 'CREATE TABLE … AS',
  IndexStmt: 'CREATE INDEX',
  CreateStmt: 'CREATE TABLE',
  AlterTableStmt: 'ALTER TABLE',
  DropStmt: 'DROP',
  TruncateStmt: 'TRUNCATE',
  VacuumStmt: 'VACUUM or ANALYZE',
  ReindexStmt: 'REINDEX',
  ClusterStmt: 'CLUSTER',
  CopyStmt: 'COPY',
  CallStmt: 'CALL',
  DoStmt: 'DO',
  VariableSetStmt: 'SET',
  VariableShowStmt: 'SHOW',
  ExplainStmt: 'EXPLAIN',
  PrepareStmt: 'PREPARE',
  DeallocateStmt: 'DEALLOCATE',
  ViewStmt: 'CREATE VIEW',
  CreateFunctionStmt: 'CREATE FUNCTION',
  CreateSchemaStmt: 'CREATE SCHEMA',
  CreateSeqStmt: 'CREATE SEQUENCE',
  CreateExtensionStmt: 'CREATE EXTENSION',
  GrantStmt: 'GRANT or REVOKE',
  GrantRoleStmt: 'GRANT or REVOKE',
  CreateRoleStmt: 'CREATE ROLE',
  AlterRoleStmt: 'ALTER ROLE',
  DropRoleStmt: 'DROP ROLE',
  LockStmt: 'LOCK',
  NotifyStmt: 'NOTIFY',
  ListenStmt: 'LISTEN',
  UnlistenStmt: 'UNLISTEN',
  CheckPointStmt: 'CHECKPOINT',
  DiscardStmt: 'DISCARD',
  RefreshMatViewStmt: 'REFRESH MATERIALIZED VIEW',
  CommentStmt: 'COMMENT',
  RenameStmt: 'ALTER … RENAME',
  CreateTrigStmt: 'CREATE TRIGGER',
  RuleStmt: 'CREATE RULE',
  CreatePolicyStmt: 'CREATE POLICY',
  CreatedbStmt: 'CREATE DATABASE',
  DropdbStmt: 'DROP DATABASE',
  LoadStmt: 'LOAD',
  ClosePortalStmt: 'CLOSE',
  FetchStmt: 'FETCH',
};

const TRANSACTION_WORDS: Record<string, string> = {
  TRANS_STMT_BEGIN: 'BEGIN',
  TRANS_STMT_START: 'START TRANSACTION',
  TRANS_STMT_COMMIT: 'COMMIT',
  TRANS_STMT_ROLLBACK: 'ROLLBACK',
  TRANS_STMT_SAVEPOINT: 'SAVEPOINT',
  TRANS_STMT_RELEASE: 'RELEASE',
  TRANS_STMT_ROLLBACK_TO: 'ROLLBACK TO SAVEPOINT',
  TRANS_STMT_PREPARE: 'PREPARE TRANSACTION',
  TRANS_STMT_COMMIT_PREPARED: 'COMMIT PREPARED',
  TRANS_STMT_ROLLBACK_PREPARED: 'ROLLBACK PREPARED',
};

/** "CREATE INDEX", "COMMIT": the statement's kind in SQL words, never a parse-node name. */
function statementWords(statementType: string, body: Record<string, unknown> | undefined): string {
  if (statementType === 'TransactionStmt') return TRANSACTION_WORDS[String(body?.kind)] ?? 'a transaction command';
  if (statementType === 'DropStmt' && typeof body?.removeType === 'string') return `DROP ${body.removeType.replace(/^OBJECT_/, '').replace(/_/g, ' ')}`;
  return STATEMENT_WORDS[statementType] ?? 'this statement';
}

interface Scan {
  reasons: string[];
  functions: string[][];
  maxParam: number;
  inserts: boolean;
  depth: number;
}

/** Walks the tree with an explicit stack: a 20,000-term expression nests deeper than the JS call stack allows. */
function scanTree(root: unknown, scan: Scan): void {
  const stack: { value: unknown; key?: string; depth: number }[] = [{ value: root, key: 'root', depth: 0 }];
  const seen = new Set<string>();
  while (stack.length) {
    const { value, key, depth } = stack.pop()!;
    if (depth > scan.depth) scan.depth = depth;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], depth: depth + 1 });
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    const entries = Object.entries(value as Record<string, unknown>);
    for (const [k, v] of entries) {
      if (k in MODIFYING && key !== 'root') scan.reasons.push(`a data-modifying WITH: ${MODIFYING[k]}`);
      if (k === 'FuncCall') {
        const name = ((v as { funcname?: { String?: { sval?: string } }[] }).funcname ?? []).map((p) => p.String?.sval ?? '');
        const id = name.join('.');
        if (!seen.has(id)) {
          seen.add(id);
          scan.functions.push(name);
        }
      }
      if (k === 'InsertStmt' || k === 'MergeStmt' || k === 'SetToDefault') scan.inserts = true;
      if (k === 'ParamRef') scan.maxParam = Math.max(scan.maxParam, (v as { number?: number }).number ?? 0);
      if (k === 'intoClause' && v) scan.reasons.push('SELECT … INTO creates a table');
      if (k === 'lockingClause' && Array.isArray(v) && v.length) scan.reasons.push('FOR UPDATE/SHARE locks the rows it reads');
    }
    for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i][1], key: entries[i][0], depth: depth + 1 });
  }
}

/** Keys of the parse tree that hold source offsets (they differ between a statement and its wrapped copy). */
const POSITION_KEY = /location$|^stmt_len$|^list_(start|end)$/;

/**
 * A tree as canonical text without its source positions, to compare two parses: built with an explicit stack,
 * since JSON.stringify recurses and a 20,000-term expression nests deeper than the JS call stack allows.
 */
export function treeText(root: unknown): string {
  const out: string[] = [];
  type Item = { value: unknown } | { text: string };
  const stack: Item[] = [{ value: root }];
  while (stack.length) {
    const item = stack.pop()!;
    if ('text' in item) {
      out.push(item.text);
      continue;
    }
    const v = item.value;
    if (Array.isArray(v)) {
      out.push('[');
      stack.push({ text: ']' });
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i] });
    } else if (v !== null && typeof v === 'object') {
      out.push('{');
      stack.push({ text: '}' });
      const entries = Object.entries(v as Record<string, unknown>).filter(([k]) => !POSITION_KEY.test(k));
      for (let i = entries.length - 1; i >= 0; i--) stack.push({ value: entries[i][1] }, { text: `${JSON.stringify(entries[i][0])}:` });
    } else out.push(`${v === undefined ? 'null' : JSON.stringify(v)},`);
  }
  return out.join('');
}

/** Visits every key and value of a parse tree, with an explicit stack; `visit` returning true ends the walk. */
export function someEntry(root: unknown, visit: (key: string, value: unknown) => boolean): boolean {
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) stack.push(...v);
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (visit(k, x)) return true;
        stack.push(x);
      }
    }
  }
  return false;
}

/** Whether a parsed tree holds a statement that writes rows (INSERT, UPDATE, DELETE, MERGE), and which. */
export function dmlIn(root: unknown): string | undefined {
  let found: string | undefined;
  someEntry(root, (k) => {
    const m = /^(Insert|Update|Delete|Merge)Stmt$/.exec(k);
    if (m) found = m[1].toUpperCase();
    return found !== undefined;
  });
  return found;
}

/** The functions a parsed tree names (any statement or expression), without repeats. */
export function functionsIn(tree: unknown): string[][] {
  const scan: Scan = { reasons: [], functions: [], maxParam: 0, inserts: false, depth: 0 };
  scanTree(tree, scan);
  return scan.functions;
}

/** Parses `sql` (one statement) and says what its text shows. */
export async function classify(sql: string): Promise<Classification> {
  await initParser();
  const parsed = parseSqlForExplain(sql);
  const none = { writes: true, inserts: false, maxParam: 0, depth: 0, explainable: false, functions: [] };
  if (!parsed.ok) return { ...none, reasons: [`does not parse: ${parsed.message}`], error: `syntax error: ${parsed.message}` };
  if (parsed.stmts.length !== 1) {
    const error = parsed.stmts.length === 0 ? 'no statement to explain' : `${parsed.stmts.length} statements: explain one statement at a time`;
    return { ...none, reasons: [error], error };
  }
  const stmt = parsed.stmts[0].stmt;
  const statementType = Object.keys(stmt)[0];
  const body = stmt[statementType];
  const scan: Scan = { reasons: [], functions: [], maxParam: 0, inserts: statementType === 'InsertStmt' || statementType === 'MergeStmt', depth: 0 };
  if (statementType in MODIFYING) scan.reasons.push(MODIFYING[statementType]);
  else if (statementType === 'CreateTableAsStmt')
    scan.reasons.push(`${body?.objtype === 'OBJECT_MATVIEW' ? 'CREATE MATERIALIZED VIEW' : 'CREATE TABLE … AS'} creates a relation`);
  else if (statementType === 'ExecuteStmt') scan.reasons.push('EXECUTE runs a prepared statement pgperf cannot inspect');
  else if (statementType !== 'SelectStmt' && statementType !== 'DeclareCursorStmt') {
    scan.reasons.push(`${statementWords(statementType, body)} is not a query (DDL, COPY, CALL and utility statements change the database)`);
  }
  scanTree(body, scan);
  const reasons = [...new Set(scan.reasons)];
  return {
    writes: reasons.length > 0,
    inserts: scan.inserts,
    reasons,
    statementType,
    statementWords: statementWords(statementType, body),
    maxParam: scan.maxParam,
    depth: scan.depth,
    explainable: EXPLAINABLE.has(statementType),
    functions: statementType === 'CallStmt' ? [] : scan.functions,
  };
}
