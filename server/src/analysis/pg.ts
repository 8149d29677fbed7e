/** The real PostgreSQL parser (libpg_query compiled to WASM): the one source of truth for validity. */
import * as libpg from 'libpg-query';

let ready: Promise<void> | undefined;

/** Loads the WASM parser once; every sync call below needs it to have resolved. */
export function initParser(): Promise<void> {
  ready ??= libpg.loadModule();
  return ready;
}

export interface RawStmt {
  stmt: Record<string, any>;
  stmt_location?: number;
  stmt_len?: number;
}

export interface ParseOk {
  ok: true;
  stmts: RawStmt[];
}

export interface ParseFail {
  ok: false;
  message: string;
  /** 0-based code-point offset of the error in the input. */
  cursor: number;
}

export function parseSql(sql: string): ParseOk | ParseFail {
  if (sql.trim() === '') return { ok: true, stmts: [] };
  try {
    const result = libpg.parseSync(sql) as unknown as { stmts?: RawStmt[] };
    return { ok: true, stmts: result.stmts ?? [] };
  } catch (e) {
    const err = e as { message?: string; sqlDetails?: { cursorPosition?: number } };
    return { ok: false, message: err.message ?? String(e), cursor: err.sqlDetails?.cursorPosition ?? 0 };
  }
}

export interface RawToken {
  /** UTF-8 byte offsets into the scanned text. */
  start: number;
  end: number;
  text: string;
  tokenName: string;
  keywordKind: number;
}

/** The real tokenizer. Throws on input it cannot tokenize (an unterminated string or comment). */
export function scanSql(sql: string): RawToken[] {
  return libpg.scanSync(sql).tokens as RawToken[];
}
