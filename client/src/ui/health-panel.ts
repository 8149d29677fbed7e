/**
 * "pgperf: Database Health": the health checks of database/health on the active database (the embedded one runs
 * the checks that make sense there; run.ts skips the others with the reason), shown in a webview whose HTML is
 * health-html.ts's. The panel keeps one sample per run for its trend plot while it is open, refreshes on request
 * and every `pgperf.health.autoRefreshSeconds` while auto-refresh is on. The page's buttons (client/media/
 * health.js) only ask: Copy puts a fix's SQL on the clipboard, Open in Editor opens it in an untitled SQL editor.
 * The fix SQL is never run.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  commands,
  type Disposable,
  env,
  type ExtensionContext,
  type LogOutputChannel,
  Position,
  Range,
  Uri,
  ViewColumn,
  type WebviewPanel,
  window,
  workspace,
} from 'vscode';
import type { CodeLinkInfo } from '../../../protocol/index';
import { type Database, type HealthReport, runHealth } from '../../../database/index';
import {
  buildHealthHtml,
  type CodeLinksAsk,
  fixesOf,
  type HealthCodeLink,
  type HealthMessage,
  type HealthSample,
  linksOf,
  parseHealthMessage,
  sampleOf,
} from './health-html';

const DEFAULT_SECONDS = 30;

function autoRefreshSeconds(): number {
  const s = workspace.getConfiguration('pgperf').get<number>('health.autoRefreshSeconds', DEFAULT_SECONDS);
  return typeof s === 'number' && Number.isFinite(s) && s >= 5 ? Math.round(s) : DEFAULT_SECONDS;
}

export class HealthPanel implements Disposable {
  private panel: WebviewPanel | undefined;
  private readonly media: Uri;
  private report: HealthReport | undefined;
  private error: string | undefined;
  /** Which database the samples are of: a run on another one starts the trend again. */
  private database: string | undefined;
  private samples: HealthSample[] = [];
  /** The code links of the report shown: per finding, and flat in the page's numbering (`data-link`). */
  private links: { perFinding: HealthCodeLink[][]; flat: CodeLinkInfo[] } = { perFinding: [], flat: [] };
  private at = Date.now();
  private auto = true;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly disposables: Disposable[] = [];

  constructor(
    private readonly context: ExtensionContext,
    private readonly output: LogOutputChannel,
    /** The active database, opened (the embedded one with the workspace schema when it is new). */
    private readonly activeDatabase: () => Promise<Database>,
    /** The language server's pgperf/codeLinks. */
    private readonly codeLinks?: CodeLinksAsk,
  ) {
    const dist = join(context.extensionPath, 'dist', 'media');
    this.media = existsSync(join(dist, 'health.js')) ? Uri.file(dist) : Uri.joinPath(context.extensionUri, 'client', 'media');
    this.disposables.push(
      workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('pgperf.health.autoRefreshSeconds')) {
          this.schedule();
          this.render();
        }
      }),
    );
  }

  /** The command: opens (or reveals) the panel and runs the checks. */
  async show(): Promise<void> {
    if (this.panel) this.panel.reveal(this.panel.viewColumn ?? ViewColumn.Active, false);
    else this.open();
    await this.refresh();
  }

  private open(): void {
    const panel = window.createWebviewPanel('pgperf.health', 'Database Health', ViewColumn.Active, {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [this.media],
      retainContextWhenHidden: false,
    });
    panel.iconPath = Uri.joinPath(this.context.extensionUri, 'images', 'icon.png');
    panel.onDidDispose(() => {
      // The samples live as long as the panel.
      this.panel = undefined;
      this.stop();
      this.report = undefined;
      this.error = undefined;
      this.database = undefined;
      this.samples = [];
      this.auto = true;
    });
    panel.webview.onDidReceiveMessage((m: unknown) => {
      const message = parseHealthMessage(m);
      if (message) void this.handle(message);
    });
    this.panel = panel;
    this.schedule();
  }

  private async handle(m: HealthMessage): Promise<void> {
    if (m.type === 'refresh') return this.refresh();
    if (m.type === 'autoRefresh') {
      this.auto = m.on;
      this.schedule();
      return;
    }
    if (m.type === 'goto' || m.type === 'explain') {
      const l = this.links.flat[m.link];
      if (!l) return;
      const uri = Uri.parse(l.uri);
      const start = new Position(l.range.start.line, l.range.start.character);
      if (m.type === 'explain') {
        await commands.executeCommand('pgperf.explainAnalyze', uri, start);
        return;
      }
      const doc = await workspace.openTextDocument(uri);
      await window.showTextDocument(doc, {
        viewColumn: ViewColumn.Beside,
        selection: new Range(start, new Position(l.range.end.line, l.range.end.character)),
        preview: false,
      });
      return;
    }
    const sql = this.report ? fixesOf(this.report)[m.index] : undefined;
    if (sql === undefined) return;
    if (m.type === 'copy') {
      await env.clipboard.writeText(sql);
      void window.showInformationMessage('pgperf: fix SQL copied (pgperf does not run it)');
      return;
    }
    const doc = await workspace.openTextDocument({ language: 'sql', content: `${sql}\n` });
    await window.showTextDocument(doc, { viewColumn: ViewColumn.Beside, preview: false });
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Auto-refresh: every autoRefreshSeconds while the toggle is on and the panel is open. */
  private schedule(): void {
    this.stop();
    if (!this.panel || !this.auto) return;
    this.timer = setInterval(() => void this.refresh(), autoRefreshSeconds() * 1000);
  }

  private async refresh(): Promise<void> {
    const panel = this.panel;
    if (this.running || !panel) return;
    this.running = true;
    if (!this.report && this.error === undefined) this.render();
    let label = this.database;
    try {
      const db = await this.activeDatabase();
      label = db.label;
      const report = await runHealth(db);
      // A server that cannot answer costs the links, not the report.
      const links = await linksOf(report, this.codeLinks).catch((e: unknown) => {
        this.output.warn(`health: the links to the code failed: ${e instanceof Error ? e.message : String(e)}`);
        return { perFinding: [], flat: [] };
      });
      // Closed while the checks ran: its samples are gone with it.
      if (this.panel !== panel) return;
      this.links = links;
      const at = Date.now();
      if (this.database !== db.label) this.samples = [];
      this.database = db.label;
      this.report = report;
      this.error = undefined;
      this.at = at;
      this.samples.push(sampleOf(report, at));
      const s = report.summary;
      this.output.info(`health on ${db.label}: ${s.error} errors, ${s.warning} warnings, ${s.info} info; ${s.skipped} skipped, ${s.failed} failed`);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.output.error(`health on ${label ?? 'the active database'} failed: ${message}`);
      if (this.panel !== panel) return;
      this.report = undefined;
      this.links = { perFinding: [], flat: [] };
      this.error = `The health checks could not run: ${message}`;
      this.database = label;
      this.at = Date.now();
    } finally {
      this.running = false;
      // The panel was closed while the checks ran (the early returns above): one opened since gets a run of its own.
      if (this.panel && this.panel !== panel) void this.refresh();
    }
    this.render();
  }

  private render(): void {
    const panel = this.panel;
    if (!panel) return;
    const w = panel.webview;
    panel.title = this.database ? `Database Health · ${this.database.length > 40 ? `${this.database.slice(0, 39)}…` : this.database}` : 'Database Health';
    w.html = buildHealthHtml(
      {
        report: this.report,
        error: this.error,
        database: this.database,
        samples: this.samples,
        autoRefresh: this.auto,
        autoRefreshSeconds: autoRefreshSeconds(),
        at: this.at,
        running: this.running && !this.report && this.error === undefined,
        links: this.links.perFinding,
      },
      {
        cspSource: w.cspSource,
        styleUris: ['panel.css', 'health.css'].map((f) => w.asWebviewUri(Uri.joinPath(this.media, f)).toString()),
        scriptUri: w.asWebviewUri(Uri.joinPath(this.media, 'health.js')).toString(),
        time: (ms) => new Date(ms).toLocaleTimeString(),
      },
    );
  }

  dispose(): void {
    this.stop();
    for (const d of this.disposables) d.dispose();
    this.panel?.dispose();
  }
}
