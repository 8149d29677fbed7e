/**
 * The EXPLAIN webview panel: one per editor column the explained statement came from (a second explain from the
 * same column reuses it), opened beside the editor. The HTML is explain-html.ts's; the page's script (
 * client/media/explain.js) asks for "copy as text" over postMessage and the extension writes the clipboard.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { type Disposable, env, type ExtensionContext, Uri, ViewColumn, type WebviewPanel, window } from 'vscode';
import type { ExplainResult } from '../../../database/index';
import { planToText } from '../../../database/index';
import { buildCompareHtml, compareText, type CompareView } from './compare-html';
import { buildErrorHtml, buildExplainHtml, type PanelOptions } from './explain-html';

interface Shown {
  panel: WebviewPanel;
  /** What "copy as text" copies (undefined while an error page is shown). */
  text?: string;
}

export class ExplainPanels implements Disposable {
  private readonly panels = new Map<number, Shown>();
  private readonly media: Uri;

  constructor(private readonly context: ExtensionContext) {
    // The build may copy the page's files beside the bundles (dist/media); from a source checkout they are in client/media.
    const dist = join(context.extensionPath, 'dist', 'media');
    this.media = existsSync(join(dist, 'explain.js')) ? Uri.file(dist) : Uri.joinPath(context.extensionUri, 'client', 'media');
  }

  private panelFor(source: ViewColumn | undefined, title: string): Shown {
    const key = source ?? ViewColumn.One;
    const existing = this.panels.get(key);
    if (existing) {
      existing.panel.title = title;
      existing.panel.reveal(existing.panel.viewColumn ?? ViewColumn.Beside, true);
      return existing;
    }
    const panel = window.createWebviewPanel(
      'pgperf.explain',
      title,
      { viewColumn: ViewColumn.Beside, preserveFocus: true },
      { enableScripts: true, enableCommandUris: false, localResourceRoots: [this.media], retainContextWhenHidden: false },
    );
    panel.iconPath = Uri.joinPath(this.context.extensionUri, 'images', 'icon.png');
    const shown: Shown = { panel };
    this.panels.set(key, shown);
    panel.onDidDispose(() => this.panels.delete(key));
    panel.webview.onDidReceiveMessage(async (m: unknown) => {
      if (!m || typeof m !== 'object' || (m as { type?: unknown }).type !== 'copyText' || shown.text === undefined) return;
      await env.clipboard.writeText(shown.text);
      void window.showInformationMessage('pgperf: plan copied as text');
    });
    return shown;
  }

  private options(panel: WebviewPanel, extra: Partial<PanelOptions> = {}): PanelOptions {
    const w = panel.webview;
    return {
      cspSource: w.cspSource,
      styleUris: ['panel.css', 'explain.css'].map((f) => w.asWebviewUri(Uri.joinPath(this.media, f)).toString()),
      scriptUri: w.asWebviewUri(Uri.joinPath(this.media, 'explain.js')).toString(),
      ...extra,
    };
  }

  /** Shows a result in the panel of the statement's editor column. */
  show(result: ExplainResult, source: ViewColumn | undefined, params?: readonly string[] | 'generic', synthetic?: string): void {
    const title = `${result.analyzed ? 'Explain Analyze' : 'Explain'} · ${shortDb(result.database)}`;
    const shown = this.panelFor(source, title);
    shown.text = planToText(result);
    shown.panel.webview.html = buildExplainHtml(result, this.options(shown.panel, { analyze: result.analyzed, params, ...(synthetic ? { synthetic } : {}) }));
  }

  /** Shows a Compare with Fix result: both plans side by side, in the panel of the statement's editor column. */
  showComparison(view: CompareView, source: ViewColumn | undefined): void {
    const shown = this.panelFor(source, `Compare with Fix · ${shortDb(view.before.result.database)}`);
    shown.text = compareText(view);
    shown.panel.webview.html = buildCompareHtml(view, this.options(shown.panel));
  }

  /** Shows a failure (the server's message, escaped) in the same panel. */
  showError(error: { database: string; sql: string; message: string }, source: ViewColumn | undefined): void {
    const shown = this.panelFor(source, `Explain failed · ${shortDb(error.database)}`);
    shown.text = undefined;
    shown.panel.webview.html = buildErrorHtml(error, this.options(shown.panel));
  }

  dispose(): void {
    for (const { panel } of this.panels.values()) panel.dispose();
    this.panels.clear();
  }
}

/** "prod — db.example.com:5432/app" → "prod"; "embedded PGlite (PostgreSQL 18.6)" → "embedded PGlite". */
function shortDb(label: string): string {
  return label.split(' — ')[0].replace(/\s*\(PostgreSQL [^)]*\)$/, '');
}
