/** Ctrl-C and `kill`: one handler for SIGINT and SIGTERM, which both commands treat alike. */
export type SignalTarget = Pick<NodeJS.Process, 'on' | 'off'>;

/** Calls `handler` on every SIGINT or SIGTERM until the returned function uninstalls it. */
export function onTerminationSignals(target: SignalTarget, handler: (signal: NodeJS.Signals) => void): () => void {
  target.on('SIGINT', handler);
  target.on('SIGTERM', handler);
  return () => {
    target.off('SIGINT', handler);
    target.off('SIGTERM', handler);
  };
}
