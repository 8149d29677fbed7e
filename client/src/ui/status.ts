/**
 * The status bar item's text and tooltip, as pure functions of the server's `pgperf/status` notification
 * (no vscode import: unit-tested in test/client/).
 */

export { STATUS_NOTIFICATION, type StatusParams } from '../../../protocol/index';
import type { StatusParams } from '../../../protocol/index';

/** What the client shows when no analysis pass has been reported. */
export type ClientPhase = 'starting' | 'running' | 'stopped' | 'failed';

export interface StatusView {
  /** Status bar text, with codicons (`$(name)`). */
  text: string;
  /** Plain-text tooltip (one fact per line). */
  tooltip: string;
  /** True when the item should stand out (the server is not running). */
  warning: boolean;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** `$(database) pgperf 12 files · $(error) 1 $(warning) 3`; spinning while the server scans. */
export function formatStatus(p: StatusParams): StatusView {
  const { error, warning, info } = p.findings;
  const tooltip = [
    p.state === 'scanning' ? 'pgperf: analysing SQL files…' : 'pgperf: analysis up to date',
    `${plural(p.files, 'file')}, ${plural(p.statements, 'statement')}${p.ms !== undefined ? ` in ${formatMs(p.ms)}` : ''}`,
    `${plural(error, 'error')}${p.syntaxErrors > 0 ? ` (${plural(p.syntaxErrors, 'syntax error')})` : ''}, ` +
      `${plural(warning, 'warning')}, ${plural(info, 'info')}`,
    'Click to show the pgperf output',
  ].join('\n');
  if (p.state === 'scanning') {
    return { text: `$(sync~spin) pgperf ${plural(p.files, 'file')}…`, tooltip, warning: false };
  }
  const counts: string[] = [];
  if (error > 0) counts.push(`$(error) ${error}`);
  if (warning > 0) counts.push(`$(warning) ${warning}`);
  if (counts.length === 0) counts.push(info > 0 ? `$(info) ${info}` : '$(check)');
  return { text: `$(database) pgperf ${plural(p.files, 'file')} · ${counts.join(' ')}`, tooltip, warning: false };
}

/** The item before the first report, after the server stopped, or when it could not start. */
export function formatPhase(phase: ClientPhase, detail?: string): StatusView {
  switch (phase) {
    case 'starting':
      return { text: '$(sync~spin) pgperf', tooltip: 'pgperf: starting the language server…', warning: false };
    case 'running':
      return { text: '$(database) pgperf', tooltip: 'pgperf: the language server is running\nClick to show the pgperf output', warning: false };
    case 'stopped':
      return {
        text: '$(database) pgperf: stopped',
        tooltip: 'pgperf: the language server is not running.\nRun "pgperf: Restart Language Server" to start it again.\nClick to show the pgperf output',
        warning: true,
      };
    case 'failed':
      return {
        text: '$(error) pgperf',
        tooltip: `pgperf: the language server could not start${detail ? `: ${detail}` : ''}.\nClick to show the pgperf output`,
        warning: true,
      };
  }
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** Checks an incoming notification's params (a malformed one is ignored rather than shown as NaN). */
export function isStatusParams(v: unknown): v is StatusParams {
  if (!v || typeof v !== 'object') return false;
  const p = v as Record<string, unknown>;
  const f = p.findings as Record<string, unknown> | undefined;
  const num = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  return (
    (p.state === 'scanning' || p.state === 'ready') &&
    num(p.files) &&
    num(p.statements) &&
    num(p.syntaxErrors) &&
    (p.ms === undefined || num(p.ms)) &&
    !!f &&
    typeof f === 'object' &&
    num(f.error) &&
    num(f.warning) &&
    num(f.info)
  );
}
