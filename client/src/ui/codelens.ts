/**
 * CodeLens "Explain Analyze" / "Explain" above each query statement of a SQL document, and above each SQL string
 * of a TypeScript, JavaScript, Python, Go or Rust file (on the line the string starts on). The statements and their
 * kinds come from the language server (`pgperf/statements`): no SQL is parsed here.
 */
import { CodeLens, type CodeLensProvider, EventEmitter, type Event, Position, Range, type TextDocument, type CancellationToken } from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { STATEMENTS_REQUEST, type StatementInfo, type StatementsParams } from '../../../protocol/index';

/** Statement kinds that get a lens: queries and the DML whose plan is worth reading. */
const QUERY_KINDS = new Set(['SelectStmt', 'InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt']);

export class ExplainCodeLens implements CodeLensProvider {
  private readonly changed = new EventEmitter<void>();
  readonly onDidChangeCodeLenses: Event<void> = this.changed.event;

  constructor(private readonly client: () => LanguageClient | undefined) {}

  /** Asks VS Code to fetch the lenses again (the server has re-analysed, or has started). */
  refresh(): void {
    this.changed.fire();
  }

  async provideCodeLenses(document: TextDocument, token: CancellationToken): Promise<CodeLens[]> {
    const c = this.client();
    if (!c?.isRunning()) return [];
    let statements: Pick<StatementInfo, 'range' | 'kind'>[] | null;
    try {
      const params: StatementsParams = { textDocument: { uri: c.code2ProtocolConverter.asUri(document.uri) } };
      statements = await c.sendRequest<Pick<StatementInfo, 'range' | 'kind'>[] | null>(STATEMENTS_REQUEST, params, token);
    } catch {
      return [];
    }
    const lenses: CodeLens[] = [];
    for (const s of statements ?? []) {
      if (!QUERY_KINDS.has(s.kind)) continue;
      const start = new Position(s.range.start.line, s.range.start.character);
      const range = new Range(start, new Position(s.range.end.line, s.range.end.character));
      const args = [document.uri, start];
      lenses.push(
        new CodeLens(range, {
          title: 'Explain Analyze',
          command: 'pgperf.explainAnalyze',
          arguments: args,
          tooltip: 'EXPLAIN (ANALYZE, BUFFERS) in a rolled-back transaction',
        }),
        new CodeLens(range, { title: 'Explain', command: 'pgperf.explain', arguments: args, tooltip: 'EXPLAIN (the plan without running the statement)' }),
      );
    }
    return lenses;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
