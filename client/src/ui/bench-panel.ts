/**
 * "pgperf: Benchmark HNSW" and "pgperf: Benchmark Row-Level Security": the inputs (quick picks and input boxes
 * with the guide's defaults), the confirmation for a server that is not on this machine, the progress
 * notification (step, percentage, ETA; Cancel aborts through an AbortController), and the report in a webview
 * (database/bench/report-html.ts's page) whose Export JSON / Export CSV buttons (client/media/bench.js) ask over
 * postMessage; the extension shows the save dialog and writes the file. The benchmarks themselves are
 * database/bench/hnsw.ts and rls.ts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Disposable,
  type ExtensionContext,
  type LogOutputChannel,
  ProgressLocation,
  type QuickPickItem,
  Uri,
  ViewColumn,
  type WebviewPanel,
  window,
  workspace,
} from 'vscode';
import { DEFAULT_HNSW_PARAMS, describeScratch, isLocal, runHnswSweep } from '../../../database/index';
import { buildBenchErrorHtml, buildReportHtml, describeRlsScratch, isLocalHost, toCsv } from '../../../database/index';
import { type BenchReport, type HnswParams, isHnswReport, RLS_DEFAULTS, type RlsParams } from '../../../database/index';
import { runRlsBenchmark } from '../../../database/index';
import { type Database, DatabaseError } from '../../../database/index';
import type { Connections } from './connections';

/** The report panel: one, reused by the next benchmark. */
export class BenchPanel implements Disposable {
  private panel: WebviewPanel | undefined;
  private report: BenchReport | undefined;
  private readonly media: Uri;

  constructor(private readonly context: ExtensionContext) {
    const dist = join(context.extensionPath, 'dist', 'media');
    this.media = existsSync(join(dist, 'bench.js')) ? Uri.file(dist) : Uri.joinPath(context.extensionUri, 'client', 'media');
  }

  private open(title: string): WebviewPanel {
    if (this.panel) {
      this.panel.title = title;
      this.panel.reveal(this.panel.viewColumn ?? ViewColumn.Active, false);
      return this.panel;
    }
    const panel = window.createWebviewPanel('pgperf.bench', title, ViewColumn.Active, {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [this.media],
      retainContextWhenHidden: false,
    });
    panel.iconPath = Uri.joinPath(this.context.extensionUri, 'images', 'icon.png');
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.report = undefined;
    });
    panel.webview.onDidReceiveMessage((m: unknown) => {
      const format = m && typeof m === 'object' && (m as { type?: unknown }).type === 'export' ? (m as { format?: unknown }).format : undefined;
      if (format === 'json' || format === 'csv') void this.export(format);
    });
    this.panel = panel;
    return panel;
  }

  private options(panel: WebviewPanel) {
    const w = panel.webview;
    return {
      cspSource: w.cspSource,
      styleUris: ['panel.css', 'bench.css'].map((f) => w.asWebviewUri(Uri.joinPath(this.media, f)).toString()),
      scriptUri: w.asWebviewUri(Uri.joinPath(this.media, 'bench.js')).toString(),
    };
  }

  show(report: BenchReport): void {
    const panel = this.open(isHnswReport(report) ? 'HNSW Benchmark' : 'RLS Benchmark');
    this.report = report;
    panel.webview.html = buildReportHtml(report, this.options(panel));
  }

  showError(title: string, database: string, message: string): void {
    const panel = this.open(title);
    this.report = undefined;
    panel.webview.html = buildBenchErrorHtml({ title, database, message }, this.options(panel));
  }

  /** Export JSON / CSV: a save dialog, then the file. */
  private async export(format: 'json' | 'csv'): Promise<void> {
    const report = this.report;
    if (!report) return;
    const kind = isHnswReport(report) ? 'hnsw' : 'rls';
    const stamp = (report.startedAt ?? new Date().toISOString()).replace(/[:.]/g, '-').slice(0, 19);
    const folder = workspace.workspaceFolders?.[0]?.uri;
    const name = `pgperf-bench-${kind}-${stamp}.${format}`;
    const target = await window.showSaveDialog({
      title: `pgperf: export the benchmark report as ${format.toUpperCase()}`,
      defaultUri: folder ? Uri.joinPath(folder, name) : Uri.file(name),
      filters: format === 'json' ? { JSON: ['json'] } : { CSV: ['csv'] },
    });
    if (!target) return;
    const text = format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : toCsv(report);
    await workspace.fs.writeFile(target, new TextEncoder().encode(text));
    void window.showInformationMessage(`pgperf: wrote ${workspace.asRelativePath(target)}`);
  }

  dispose(): void {
    this.panel?.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Inputs

interface Pick<T> extends QuickPickItem {
  value: T;
}

async function pick<T>(title: string, items: Pick<T>[]): Promise<T | undefined> {
  const chosen = await window.showQuickPick(items, { title, ignoreFocusOut: true, matchOnDescription: true });
  return chosen?.value;
}

function validateInt(min: number, max: number) {
  return (v: string) =>
    /^\s*\d[\d_,]*\s*$/.test(v) && Number(v.replace(/[_,\s]/g, '')) >= min && Number(v.replace(/[_,\s]/g, '')) <= max
      ? undefined
      : `a whole number from ${min} to ${max}`;
}

async function askInt(title: string, prompt: string, value: number, min: number, max: number): Promise<number | undefined> {
  const v = await window.showInputBox({ title, prompt, value: String(value), ignoreFocusOut: true, validateInput: validateInt(min, max) });
  return v === undefined ? undefined : Number(v.replace(/[_,\s]/g, ''));
}

async function askList(title: string, prompt: string, value: readonly number[], min: number, max: number): Promise<number[] | undefined> {
  const v = await window.showInputBox({
    title,
    prompt,
    value: value.join(','),
    ignoreFocusOut: true,
    validateInput: (s) =>
      s.split(',').every((p) => /^\s*\d+\s*$/.test(p) && Number(p) >= min && Number(p) <= max)
        ? undefined
        : `comma-separated whole numbers from ${min} to ${max}`,
  });
  return v === undefined ? undefined : [...new Set(v.split(',').map((p) => Number(p.trim())))];
}

/** The HNSW sweep's parameters, or undefined when the user backed out. */
async function askHnswParams(): Promise<HnswParams | undefined> {
  const d = DEFAULT_HNSW_PARAMS;
  const title = 'pgperf: Benchmark HNSW';
  const source = await pick(`${title} (1/4): data`, [
    { label: 'Synthetic: clustered', description: 'low-rank clusters + noise: behaves like real embeddings', value: 'clustered' as const },
    { label: 'Synthetic: uniform random', description: 'structureless: gives misleadingly low recall', value: 'uniform' as const },
    { label: 'Sample a table column…', description: 'vectors copied from your table into a scratch schema (only read)', value: 'table' as const },
  ]);
  if (!source) return undefined;
  const p: HnswParams = { ...d, m: [...d.m], efConstruction: [...d.efConstruction], efSearch: [...d.efSearch] };
  if (source === 'table') {
    const table = await window.showInputBox({
      title,
      prompt: 'Table to sample (name or schema.name)',
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'a table name'),
    });
    if (table === undefined) return undefined;
    const column = await window.showInputBox({
      title,
      prompt: `vector column of ${table}`,
      value: 'embedding',
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'a column name'),
    });
    if (column === undefined) return undefined;
    const count = await askInt(title, 'Vectors to sample into the index (the queries are held out on top)', 10_000, 10, 10_000_000);
    if (count === undefined) return undefined;
    Object.assign(p, { table: table.trim(), column: column.trim(), count });
  } else {
    p.distribution = source;
    const size = await pick(`${title} (2/4): size`, [
      {
        label: `${d.count.toLocaleString('en-US')} × ${d.dim}`,
        description: 'the guide’s example (minutes on the embedded database)',
        value: { count: d.count, dim: d.dim },
      },
      { label: '10,000 × 128', description: 'quicker', value: { count: 10_000, dim: 128 } },
      { label: '2,000 × 64', description: 'a quick look', value: { count: 2_000, dim: 64 } },
      { label: 'Custom…', value: undefined },
    ]);
    if (size === undefined) {
      const dim = await askInt(title, 'Dimensions (HNSW: up to 2,000)', d.dim, 1, 2000);
      if (dim === undefined) return undefined;
      const count = await askInt(title, 'Vectors in the index', d.count, 10, 10_000_000);
      if (count === undefined) return undefined;
      Object.assign(p, { dim, count });
    } else Object.assign(p, size);
  }
  const metric = await pick(`${title} (3/4): distance`, [
    { label: 'cosine', description: '<=>  vector_cosine_ops', value: 'cosine' as const },
    { label: 'L2', description: '<->  vector_l2_ops', value: 'l2' as const },
    { label: 'inner product', description: '<#>  vector_ip_ops', value: 'ip' as const },
  ]);
  if (!metric) return undefined;
  p.metric = metric;
  const grid = await pick(`${title} (4/4): grid`, [
    {
      label: 'The guide’s grid',
      description:
        `m ${d.m.join('/')} × ef_construction ${d.efConstruction.join('/')}, ef_search ${d.efSearch.join('/')}, k ` + `${d.k}, recall target ${d.recallTarget}`,
      value: 'default' as const,
    },
    { label: 'Custom grid…', value: 'custom' as const },
  ]);
  if (!grid) return undefined;
  if (grid === 'custom') {
    const m = await askList(title, 'm (2–100)', d.m, 2, 100);
    if (!m) return undefined;
    const minEfc = 2 * Math.max(...m);
    const efc = await window.showInputBox({
      title,
      prompt: 'ef_construction (4–1000, at least 2 × m)',
      value: d.efConstruction.join(','),
      ignoreFocusOut: true,
      validateInput: (s) =>
        s.split(',').every((x) => /^\s*\d+\s*$/.test(x) && Number(x) >= Math.max(4, minEfc) && Number(x) <= 1000)
          ? undefined
          : `comma-separated whole numbers from ${Math.max(4, minEfc)} to 1000 ` + `(≥ 2 × m)`,
    });
    if (efc === undefined) return undefined;
    const efSearch = await askList(title, 'ef_search (1–1000)', d.efSearch, 1, 1000);
    if (!efSearch) return undefined;
    const k = await askInt(title, 'k (neighbours per query)', d.k, 1, 1000);
    if (k === undefined) return undefined;
    const target = await window.showInputBox({
      title,
      prompt: 'Recall target (0–1]',
      value: String(d.recallTarget),
      ignoreFocusOut: true,
      validateInput: (s) => (Number(s) > 0 && Number(s) <= 1 ? undefined : 'a number in (0, 1]'),
    });
    if (target === undefined) return undefined;
    Object.assign(p, { m, efConstruction: [...new Set(efc.split(',').map((x) => Number(x.trim())))], efSearch, k, recallTarget: Number(target) });
  }
  return p;
}

/** The RLS benchmark's parameters, or undefined when the user backed out. */
async function askRlsParams(): Promise<RlsParams | undefined> {
  const d = RLS_DEFAULTS;
  const title = 'pgperf: Benchmark Row-Level Security';
  let rows = await pick(`${title} (1/2): table size`, [
    { label: '10,000 rows', description: 'quick', value: 10_000 },
    { label: `${d.rows.toLocaleString('en-US')} rows`, description: 'default', value: d.rows },
    { label: '1,000,000 rows', description: 'closer to production (slower to load)', value: 1_000_000 },
    { label: 'Custom…', value: 0 },
  ]);
  if (rows === undefined) return undefined;
  if (rows === 0) {
    const custom = await askInt(title, 'Rows in the scratch table', d.rows, 100, 100_000_000);
    if (custom === undefined) return undefined;
    rows = custom;
  }
  const rounds = await askInt(`${title} (2/2): rounds`, 'Interleaved A/B rounds (more rounds: a narrower confidence interval)', d.rounds, 2, 10_000);
  if (rounds === undefined) return undefined;
  return { ...d, rows, rounds };
}

// ---------------------------------------------------------------------------------------------------------------
// Running

function formatEta(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? ` · about ${s} s left` : ` · about ${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s left`;
}

/** The two commands: glue between VS Code, the active connection and database/bench. */
export class BenchCommands {
  constructor(
    private readonly connections: Connections,
    private readonly panel: BenchPanel,
    private readonly output: LogOutputChannel,
    /** The active database, opened (the embedded one with the workspace schema when it is new). */
    private readonly database: () => Promise<Database>,
  ) {}

  async hnsw(): Promise<void> {
    const params = await askHnswParams();
    if (!params) return;
    await this.run(
      'Benchmark HNSW',
      () => describeScratch(params),
      (db, opts) => runHnswSweep(db, params, opts),
    );
  }

  async rls(): Promise<void> {
    const params = await askRlsParams();
    if (!params) return;
    await this.run(
      'Benchmark Row-Level Security',
      () => describeRlsScratch(params),
      (db, opts) => runRlsBenchmark(db, params, opts),
    );
  }

  /** Whether the active database is on this machine (embedded, socket or loopback, and the server agrees). */
  private async local(db: Database): Promise<boolean> {
    if (this.connections.isEmbedded() || db.kind === 'embedded') return true;
    if (!isLocalHost(this.connections.activeProfile()?.host)) return false;
    return isLocal(db);
  }

  private async run(
    what: string,
    describe: () => string,
    body: (db: Database, opts: { signal: AbortSignal; onProgress: (step: string, fraction: number, etaMs?: number | null) => void }) => Promise<BenchReport>,
  ): Promise<void> {
    let label = this.connections.activeProfile()?.name ?? 'embedded PGlite';
    let db: Database;
    try {
      db = await window.withProgress({ location: ProgressLocation.Notification, title: `pgperf: ${what}: connecting to ${label}…` }, () => this.database());
      label = db.label;
      if (!(await this.local(db))) {
        const run = 'Run the Benchmark';
        const answer = await window.showWarningMessage(
          `${db.label} is not on this machine.`,
          { modal: true, detail: `The benchmark creates ${describe()}. It loads the server while it runs.` },
          run,
        );
        if (answer !== run) return;
      }
    } catch (e) {
      this.connections.fail(`${what}: connecting failed`, e);
      return;
    }

    const abort = new AbortController();
    await window.withProgress({ location: ProgressLocation.Notification, title: `pgperf: ${what}`, cancellable: true }, async (progress, token) => {
      const sub = token.onCancellationRequested(() => abort.abort(new DatabaseError('cancelled', `${what} cancelled`)));
      let last = 0;
      try {
        this.output.info(`${what} on ${db.label}`);
        const report = await body(db, {
          signal: abort.signal,
          onProgress: (step, fraction, etaMs) => {
            const pct = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
            progress.report({ message: `${step} — ${pct}%${formatEta(etaMs)}`, increment: Math.max(0, pct - last) });
            last = Math.max(last, pct);
          },
        });
        this.output.info(`${what} on ${db.label}: done in ${(report.totalMs / 1000).toFixed(1)} s`);
        this.panel.show(report);
      } catch (e) {
        if (abort.signal.aborted) {
          // The error says what was dropped, or what was left behind and the SQL to drop it.
          const message = e instanceof Error ? e.message : String(e);
          this.output.info(`${what} on ${label}: ${message}`);
          void window.showInformationMessage(`pgperf: ${message}`);
          return;
        }
        const message = e instanceof Error ? e.message : String(e);
        this.output.error(`${what} on ${label} failed: ${message}`);
        this.panel.showError(`${what} failed`, label, message);
      } finally {
        sub.dispose();
      }
    });
  }
}
