/** What the server sends unasked: a file's diagnostics, the status bar's figures, internal errors in the log. */
import type { Connection } from 'vscode-languageserver/node';
import { STATUS_NOTIFICATION, type StatusParams } from '../../../protocol/index';
import type { Workspace } from '../ide/workspace';
import { toDiagnostic } from './convert';
import type { FileIds } from './identity';

export class Publisher {
  private statusTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly connection: Connection,
    private readonly ws: Workspace,
    private readonly ids: FileIds,
    /** The version of the document the client has open under a URI (undefined when it is not open). */
    private readonly openVersion: (uri: string) => number | undefined,
  ) {}

  /**
   * A file's findings as its diagnostics, with a notice when the time budget cut its analysis short. Not for a
   * text that is no longer the open document's (a newer edit waits to be applied and will publish its own).
   */
  diagnostics(key: string): void {
    const f = this.ws.get(key);
    if (!f) return;
    const uri = this.ids.clientUri(key);
    const open = this.openVersion(uri);
    if (open !== undefined && f.version !== open) return;
    const diagnostics = f.findings.map(toDiagnostic);
    if (!f.complete) {
      diagnostics.push({
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
        severity: 3,
        source: 'pgperf',
        message: `pgperf stopped analysing this file after ${this.ws.budgetMs} ms; findings after that point are not shown.`,
      });
    }
    void this.connection.sendDiagnostics({ uri, version: f.version, diagnostics });
  }

  /** No diagnostics for a file (it left the workspace). */
  clear(uri: string): void {
    void this.connection.sendDiagnostics({ uri, diagnostics: [] });
  }

  /** The status bar's figures: 'scanning' at once; 'ready' after 50 ms without another status (a burst sends one). */
  status(state: StatusParams['state'], ms?: number): void {
    clearTimeout(this.statusTimer);
    const send = () => void this.connection.sendNotification(STATUS_NOTIFICATION, { state, ...this.ws.summary(), ms } satisfies StatusParams);
    if (state === 'scanning') send();
    else this.statusTimer = setTimeout(send, 50);
  }

  internalErrors(): void {
    for (const e of this.ws.internalErrors.splice(0)) this.connection.console.error(`[pgperf] internal error: ${e}`);
  }
}
