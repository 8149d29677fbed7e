/**
 * pgperf's own LSP messages, the one entry the VS Code client (and the protocol tests) import them through.
 *
 * The definitions still live in server/src/lsp/protocol.ts, which the language server imports as './protocol';
 * this entry re-exports them so that nothing outside the server reaches into server/src/lsp. The next step is to
 * move the definitions here and have the server import this file.
 */
export {
  DDL_REQUEST,
  type DdlResult,
  STATEMENT_AT_REQUEST,
  type StatementAtParams,
  type StatementInfo,
  STATEMENTS_REQUEST,
  type StatementsParams,
  STATUS_NOTIFICATION,
  type StatusParams,
} from '../server/src/lsp/protocol';
