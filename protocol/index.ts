/**
 * pgperf's own LSP messages (custom requests and notifications), shared by the language server, the VS Code client
 * and the protocol tests. Plain names and types, no library: each side registers them with its own LSP library.
 */

/** Server → client after every analysis pass: what the status bar shows. */
export const STATUS_NOTIFICATION = 'pgperf/status';

export interface StatusParams {
  state: 'scanning' | 'ready';
  files: number;
  statements: number;
  findings: { error: number; warning: number; info: number };
  syntaxErrors: number;
  ms?: number;
}

/** Client → server: the statement under the cursor (the EXPLAIN commands run it). */
export const STATEMENT_AT_REQUEST = 'pgperf/statementAt';
export interface StatementAtParams {
  textDocument: { uri: string };
  position: { line: number; character: number };
}
export interface StatementInfo {
  text: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  /** libpg_query's statement kind (SelectStmt, InsertStmt, …), or '' for a statement the parser rejected. */
  kind: string;
  /** In a host file: what each `$n` of `text` stands for (index n - 1; '' for one written in the string itself). */
  params?: string[];
  /** In a host file: why the statement cannot be explained (a table or column name supplied by host code). */
  refused?: string;
}

/** Client → server: every statement of a document (CodeLens above the queries). */
export const STATEMENTS_REQUEST = 'pgperf/statements';
export interface StatementsParams {
  textDocument: { uri: string };
}

/** Client → server: the workspace's DDL in dependency order, to load into the embedded database. */
export const DDL_REQUEST = 'pgperf/ddl';
export interface DdlResult {
  statements: { file: string; line: number; text: string; kind: string }[];
}

/**
 * Server → client, as a code action's command: Compare with Fix. The argument is the comparison the server built
 * from the finding (server/src/analysis/compare-fix.ts `FixComparison`) and where the finding is; the client asks
 * for the parameters' values, runs both statements on the active database and shows both plans.
 */
export const COMPARE_FIX_COMMAND = 'pgperf.compareFix';
export interface CompareFixArgument {
  comparison: {
    rule: string;
    title: string;
    before: string;
    after: string;
    setup: string[];
    lastRow?: { sql: string; params: number[] };
    beforeParams: number;
    afterParams: number;
  };
  /** `queries/sessions.sql:5`, workspace-relative. */
  where: string;
  /** In a host file: what each `$n` of `before` stands for (index n - 1). */
  params?: string[];
}

/**
 * Client → server: where the database's objects come from in the workspace (the health panel's links): each
 * pg_stat_statements text's statements (matched by fingerprint), with their findings, and each index's CREATE INDEX.
 */
export const CODE_LINKS_REQUEST = 'pgperf/codeLinks';
export interface CodeLinksParams {
  queries: string[];
  indexes: { schema?: string; name: string }[];
}
export interface CodeLinkInfo {
  uri: string;
  /** Workspace-relative path. */
  path: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  findings: { ruleId: string; severity: 'error' | 'warning' | 'info'; message: string }[];
}
export interface CodeLinksResult {
  /** For each query, in order: the statements it came from (none when no statement of the workspace matches). */
  queries: CodeLinkInfo[][];
  /** For each index, in order: the statement that created it, or null. */
  indexes: (CodeLinkInfo | null)[];
}
