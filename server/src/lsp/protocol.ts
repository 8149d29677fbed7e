/** pgperf's own additions to LSP, shared by the server, the VS Code client and the protocol tests. */

/** Server → client after every analysis pass: what the status bar shows. */
export const STATUS_NOTIFICATION = 'pgperf/status';

export interface StatusParams {
  state: 'scanning' | 'ready';
  files: number;
  statements: number;
  findings: { error: number; warning: number; info: number };
  syntaxErrors: number;
  ms?: number;
}
