/**
 * The client's requests about a document: code actions, hover, and pgperf's own (the statement at the cursor, every
 * statement, the workspace DDL). Each waits until the first scan has read the workspace (an answer without the
 * catalog would be another answer: no column list for `*`, no type for a rewrite), brings the document's findings
 * up to date, then asks ide/.
 */
import { CodeActionKind, type CodeAction } from 'vscode-languageserver/node';
import {
  CODE_LINKS_REQUEST,
  type CodeLinkInfo,
  type CodeLinksParams,
  type CodeLinksResult,
  DDL_REQUEST,
  STATEMENT_AT_REQUEST,
  STATEMENTS_REQUEST,
  type DdlResult,
  type StatementAtParams,
  type StatementInfo,
  type StatementsParams,
} from '../../../../protocol/index';
import { comparisonFor, orderedDdl } from '../../analysis/index';
import { indexesInCode, queriesInCode, type CodeLink } from '../../ide/code-links';
import { hoverAt } from '../../ide/hover';
import { statementAt, statementViews } from '../../ide/statements';
import { fixAll, quickFixes } from '../actions';
import type { ServerState } from '../state';
import type { Finding } from '../../analysis/index';

export function registerRequests(s: ServerState): void {
  const { connection, ws, ids, scheduler } = s;
  /** The document's key, its findings brought up to date against the whole workspace's catalog. */
  const current = async (uri: string) => {
    await scheduler.whenCatalogComplete();
    const key = ids.keyOf(uri);
    scheduler.flush(key);
    return key;
  };

  connection.onCodeAction(async ({ textDocument, context }): Promise<CodeAction[]> => {
    const key = await current(textDocument.uri);
    const f = ws.get(key);
    const file = ws.parsed(key);
    if (!f || !file) return [];
    const only = context.only;
    const wantsFixAll = only?.some(
      (k) => k === CodeActionKind.Source || CodeActionKind.SourceFixAll.startsWith(k) || k.startsWith(CodeActionKind.SourceFixAll),
    );
    const actions: CodeAction[] = [];
    const wantsQuickFixes = !only || only.some((k) => k === CodeActionKind.QuickFix || k === CodeActionKind.Empty);
    // Stored findings carry no fixes: those of the rules under the cursor (their fix-all too), or all for fix-all.
    const rules = new Set(wantsQuickFixes ? context.diagnostics.filter((d) => d.source === 'pgperf').map((d) => d.code) : []);
    const findings = wantsFixAll || rules.size > 0 ? (ws.findingsWithFixes(key, (x) => wantsFixAll || rules.has(x.ruleId)) ?? f.findings) : f.findings;
    if (wantsQuickFixes) {
      const compareFor = (finding: Finding) => {
        const r = comparisonFor(file, finding, ws.parseOptions(f.path));
        if (!r.ok) return undefined;
        const where = `${f.path}:${file.document.positionAt(finding.start).line + 1}`;
        return { comparison: r.comparison, where };
      };
      actions.push(...quickFixes(textDocument.uri, file, findings, context.diagnostics, compareFor));
    }
    if (wantsFixAll) {
      const all = fixAll(textDocument.uri, file, findings, 'Fix all pgperf problems in this file');
      if (all) actions.push(all);
    }
    return actions;
  });

  connection.onHover(async ({ textDocument, position }) => {
    const key = await current(textDocument.uri);
    const f = ws.get(key);
    const file = ws.parsed(key);
    if (!f || !file) return null;
    const hover = hoverAt(file, f.findings, ws.catalog(f.path), (path, o) => ws.lineOf(path, o), position);
    return hover ? { contents: { kind: 'markdown', value: hover.markdown }, range: hover.range } : null;
  });

  connection.onRequest(STATEMENT_AT_REQUEST, async ({ textDocument, position }: StatementAtParams): Promise<StatementInfo | null> => {
    const file = ws.parsed(await current(textDocument.uri));
    return (file && statementAt(file, position)) ?? null;
  });

  connection.onRequest(STATEMENTS_REQUEST, async ({ textDocument }: StatementsParams): Promise<StatementInfo[]> => {
    const file = ws.parsed(await current(textDocument.uri));
    return file ? statementViews(file) : [];
  });

  connection.onRequest(CODE_LINKS_REQUEST, async ({ queries, indexes }: CodeLinksParams): Promise<CodeLinksResult> => {
    await scheduler.whenCatalogComplete();
    const all = ws.allFiles();
    const files = all.map((f) => ({ file: ws.parsed(f.uri)!, findings: f.findings }));
    const uriOf = new Map(all.map((f) => [f.path, ids.clientUri(f.uri)]));
    const info = (l: CodeLink): CodeLinkInfo => ({ ...l, uri: uriOf.get(l.path) ?? l.path });
    return {
      queries: queriesInCode(files, queries ?? []).map((ls) => ls.map(info)),
      indexes: indexesInCode(files, indexes ?? []).map((l) => (l ? info(l) : null)),
    };
  });

  connection.onRequest(DDL_REQUEST, async (): Promise<DdlResult> => {
    await scheduler.whenCatalogComplete();
    return { statements: orderedDdl(ws.allParsed()) };
  });
}
