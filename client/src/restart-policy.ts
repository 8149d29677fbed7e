/**
 * When the client restarts a language server that stopped on its own (a crash, an out-of-memory kill), and what
 * it tells the user. Pure, with the clock passed in (no vscode import: unit-tested in test/client/). The client's
 * ErrorHandler (client/src/extension.ts) turns these decisions into vscode-languageclient's CloseAction/ErrorAction.
 */

/** The command that starts the server again by hand, as the palette shows it. */
export const RESTART_COMMAND = { id: 'pgperf.restartServer', title: 'pgperf: Restart Language Server' } as const;

export interface RestartOptions {
  /** Restarts allowed within `windowMs`; the crash after them is left stopped. */
  limit: number;
  /** The sliding window the restarts are counted in. */
  windowMs: number;
}

export const DEFAULT_RESTARTS: RestartOptions = { limit: 5, windowMs: 3 * 60_000 };

export type RestartDecision =
  { restart: true; attempt: number; limit: number; message: string } | { restart: false; crashes: number; limit: number; message: string };

export class RestartPolicy {
  /** Times of the crashes inside the window, oldest first. */
  private crashes: number[] = [];
  private stopped = false;

  constructor(
    readonly options: RestartOptions = DEFAULT_RESTARTS,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(options.limit) || options.limit < 0) throw new RangeError(`restart limit must be a whole number ≥ 0, not ${options.limit}`);
    if (!(options.windowMs > 0)) throw new RangeError(`restart window must be > 0 ms, not ${options.windowMs}`);
  }

  /** The server's connection closed without the client asking: restart it, or not. */
  crashed(): RestartDecision {
    const t = this.now();
    // Crashes that fell out of the window no longer count: a server that crashes once an hour keeps being restarted.
    this.crashes = this.crashes.filter((c) => t - c < this.options.windowMs);
    this.crashes.push(t);
    const { limit, windowMs } = this.options;
    const n = this.crashes.length;
    if (n <= limit) return { restart: true, attempt: n, limit, message: `pgperf language server stopped; restarting (${n} of ${limit})` };
    this.stopped = true;
    return {
      restart: false,
      crashes: n,
      limit,
      message:
        `pgperf language server stopped ${n} times in ${formatWindow(windowMs)} and will not be restarted. ` +
        `Run "${RESTART_COMMAND.title}" (${RESTART_COMMAND.id}) to start it again; the pgperf output has the details.`,
    };
  }

  /** The connection keeps failing (read/write errors, `count` in a row): go on while it may recover, else stop. */
  connectionError(count: number | undefined): { shutdown: boolean; message?: string } {
    if (count !== undefined && count <= 3) return { shutdown: false };
    this.stopped = true;
    return {
      shutdown: true,
      message: `pgperf language server connection keeps failing; stopping it. Run "${RESTART_COMMAND.title}" (${RESTART_COMMAND.id}) to start it again.`,
    };
  }

  /** A restart by hand starts the count afresh. */
  reset(): void {
    this.crashes = [];
    this.stopped = false;
  }

  /** What the policy has seen, for the status and for tests. */
  state(): { recentCrashes: number; gaveUp: boolean; limit: number; windowMs: number } {
    const t = this.now();
    return {
      recentCrashes: this.crashes.filter((c) => t - c < this.options.windowMs).length,
      gaveUp: this.stopped,
      limit: this.options.limit,
      windowMs: this.options.windowMs,
    };
  }
}

function formatWindow(ms: number): string {
  if (ms % 60_000 === 0) return ms === 60_000 ? '1 minute' : `${ms / 60_000} minutes`;
  if (ms % 1000 === 0) return ms === 1000 ? '1 second' : `${ms / 1000} seconds`;
  return `${ms} ms`;
}
