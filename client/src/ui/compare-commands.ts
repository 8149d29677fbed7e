/**
 * pgperf: Compare with Fix (a code action's command: the server built the comparison) and pgperf: Load Synthetic
 * Data into the Embedded Database. Glue between VS Code and database/: the values of `$n` are asked in input boxes,
 * the work runs under a cancellable progress notification, and the result opens in the EXPLAIN panel.
 */
import { type LogOutputChannel, ProgressLocation, window, workspace } from 'vscode';
import type { CompareFixArgument } from '../../../protocol/index';
import { compareFix, type Database, DatabaseError, type DataResult, ExplainRefused, fillDatabase } from '../../../database/index';
import { consentDialog } from './consent';
import type { Connections } from './connections';
import type { ExplainPanels } from './explain-panel';
import { askParams } from './params';

export class CompareCommands {
  /** What was loaded into which embedded database (a new embedded database starts empty again). */
  private synthetic?: { db: Database; summary: string };

  constructor(
    private readonly connections: Connections,
    private readonly panels: ExplainPanels,
    private readonly output: LogOutputChannel,
    /** The active database, the embedded one with the workspace schema loaded. */
    private readonly database: () => Promise<Database>,
  ) {}

  /** The synthetic rows of `db`, in words, when pgperf loaded them. */
  syntheticOf(db: Database): string | undefined {
    return this.synthetic?.db === db ? this.synthetic.summary : undefined;
  }

  /** pgperf.loadSyntheticData: `pgperf.data.rows` rows per table into the embedded database, with progress and cancel. */
  async loadSyntheticData(): Promise<DataResult | undefined> {
    if (!this.connections.isEmbedded()) {
      void window.showWarningMessage(
        'pgperf: synthetic data goes into the embedded database only; pick it with pgperf: Pick Connection (it never writes to a server)',
      );
      return undefined;
    }
    const rows = workspace.getConfiguration('pgperf').get<number>('data.rows', 20_000);
    try {
      const db = await this.database();
      const result = await window.withProgress(
        {
          location: ProgressLocation.Notification,
          title: `pgperf: loading synthetic data (${rows.toLocaleString('en-US')} rows per table)`,
          cancellable: true,
        },
        (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          return fillDatabase(db, {
            scale: rows,
            signal: abort.signal,
            onProgress: (p) => progress.report({ message: `${p.table} (${p.tableIndex} of ${p.tables}): ${p.tableRows.toLocaleString('en-US')} rows` }),
          });
        },
      );
      if (result.cancelled) {
        void window.showInformationMessage('pgperf: loading synthetic data was cancelled; nothing of it was kept');
        return result;
      }
      const summary = `synthetic, seed ${result.seed}: ${result.rows.toLocaleString('en-US')} rows in ${result.filled.length} table${result.filled.length === 1 ? '' : 's'}`;
      this.synthetic = { db, summary };
      this.output.info(`loaded ${summary} in ${result.seconds.toFixed(1)} s`);
      for (const u of result.unfilled) this.output.warn(`synthetic data: ${u.schema}.${u.name} not filled: ${u.reason}`);
      void window.showInformationMessage(
        `pgperf: loaded ${summary} (generated values, not your data)${result.unfilled.length ? `; ${result.unfilled.length} table(s) not filled, see the output` : ''}`,
      );
      return result;
    } catch (e) {
      this.connections.fail('loading synthetic data failed', e);
      return undefined;
    }
  }

  /** pgperf.compareFix: the comparison the code action carries, measured on the active database. */
  async compareFix(arg?: CompareFixArgument): Promise<void> {
    if (!arg?.comparison) {
      void window.showWarningMessage('pgperf: Compare with Fix runs from the light bulb of a finding that has a fix');
      return;
    }
    const { comparison, where } = arg;
    const params = await askParams('Compare with Fix', comparison.beforeParams, arg.params ?? [], false);
    if (params === undefined || params === 'generic') return;
    const column = window.activeTextEditor?.viewColumn;
    const timeoutMs =
      this.connections.activeProfile()?.statementTimeoutMs ?? workspace.getConfiguration('pgperf').get<number>('explain.statementTimeoutMs', 30_000);
    let database = this.connections.activeProfile()?.name ?? 'embedded PGlite';
    await window.withProgress({ location: ProgressLocation.Notification, title: 'pgperf: Compare with Fix', cancellable: true }, async (progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      try {
        progress.report({ message: `connecting to ${database}…` });
        const db = await this.database();
        database = db.label;
        const synthetic = this.syntheticOf(db);
        if (db.kind === 'embedded' && !synthetic) {
          this.output.warn('Compare with Fix on the embedded database without synthetic data: its tables are empty');
        }
        progress.report({ message: `as written and fixed, on ${db.label}…` });
        const outcome = await compareFix(db, comparison, {
          params,
          timeoutMs,
          signal: abort.signal,
          confirm: async (request) => {
            const dialog = consentDialog(request, db.label);
            const answer = await window.showWarningMessage(dialog.message, { modal: true, detail: dialog.detail }, dialog.button);
            return answer === dialog.button;
          },
        });
        const notes =
          db.kind === 'embedded' && !synthetic
            ? [
                'the embedded database holds no rows: run pgperf: Load Synthetic Data into the Embedded Database first for figures that mean something',
                ...outcome.notes,
              ]
            : outcome.notes;
        this.output.info(`Compare with Fix ${comparison.rule} at ${where} on ${db.label}: ${outcome.before.medianMs} ms → ${outcome.after.medianMs} ms`);
        this.panels.showComparison({ ...outcome, notes, where, ...(synthetic ? { synthetic } : {}) }, column);
      } catch (e) {
        if (e instanceof ExplainRefused) return;
        if (e instanceof DatabaseError && e.kind === 'cancelled') {
          void window.showInformationMessage('pgperf: Compare with Fix cancelled (rolled back)');
          return;
        }
        const message = e instanceof Error ? e.message : String(e);
        this.output.error(`Compare with Fix on ${database} failed: ${message}`);
        this.panels.showError({ database, sql: comparison.before, message }, column);
      } finally {
        sub.dispose();
      }
    });
  }
}
