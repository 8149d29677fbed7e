/** pgperf's own LSP requests, used by the VS Code client's EXPLAIN commands, CodeLens and schema loading. */
import { describe, expect, it } from 'vitest';
import { DDL_REQUEST, STATEMENT_AT_REQUEST, STATEMENTS_REQUEST, type DdlResult, type StatementInfo } from '../../protocol/index';
import { positionAt } from './client';
import { start } from './harness';

describe('lsp: pgperf requests', () => {
  it('statementAt returns the statement under the cursor, as the editor shows it now', async () => {
    const { client, uri } = await start();
    const u = uri('q.sql');
    const text = "SELECT 'café' AS a;\nSELECT id\n  FROM t WHERE id = $1; -- next\nUPDATE t SET x = 1;\n";
    client.open(u, text, 1);
    const at = (offset: number) => client.request<StatementInfo | null>(STATEMENT_AT_REQUEST, { textDocument: { uri: u }, position: positionAt(text, offset) });
    const second = await at(text.indexOf('FROM'));
    expect(second).toEqual({
      text: 'SELECT id\n  FROM t WHERE id = $1',
      kind: 'SelectStmt',
      range: { start: { line: 1, character: 0 }, end: { line: 2, character: 22 } },
    });
    // After the semicolon on the same line: still that statement.
    expect((await at(text.indexOf('-- next')))?.kind).toBe('SelectStmt');
    expect((await at(text.indexOf('UPDATE') + 3))?.kind).toBe('UpdateStmt');
    // An edit not yet analysed is taken into account.
    client.change(u, 2, [{ range: { start: { line: 3, character: 0 }, end: { line: 3, character: 6 } }, text: 'DELETE FROM t; SELECT 1;--' }]);
    expect((await at(text.indexOf('UPDATE') + 3))?.kind).toBe('DeleteStmt');
  });

  it('statements lists every statement with its range and kind', async () => {
    const { client, uri } = await start();
    const u = uri('q.sql');
    client.open(u, 'SELECT 1;\nSELEC 2;\nINSERT INTO t VALUES (1);\n', 1);
    const all = await client.request<StatementInfo[]>(STATEMENTS_REQUEST, { textDocument: { uri: u } });
    expect(all.map((s) => [s.kind, s.range.start.line])).toEqual([
      ['SelectStmt', 0],
      ['', 1],
      ['InsertStmt', 2],
    ]);
  });

  it('ddl returns the workspace schema in dependency order, closed files included', async () => {
    const { client } = await start({
      'b/tables.sql': 'CREATE TABLE app.child PARTITION OF app.parent FOR VALUES IN (1);\nCREATE TABLE app.parent (k int) PARTITION BY LIST (k);\nSELECT 1;',
      'a/schema.sql': 'CREATE SCHEMA app;',
    });
    const { statements } = await client.request<DdlResult>(DDL_REQUEST, {});
    expect(statements.map((s) => `${s.file}:${s.line} ${s.kind}`)).toEqual([
      'a/schema.sql:1 CreateSchemaStmt',
      'b/tables.sql:2 CreateStmt',
      'b/tables.sql:1 CreateStmt',
    ]);
  });
});
