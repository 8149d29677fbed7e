/**
 * When analysis runs. An edit waits DEBOUNCE_MS for the next one; a file is linted in time slices of SLICE_MS (a
 * newer edit cancels the run, a request that needs the findings finishes it); a DDL change lints the files it may
 * affect in the background, one after another, so edits and requests are served in between.
 *
 * Until the first workspace scan has read every file, the catalog is partial: a text set then is kept aside and
 * applied (and linted) once the reading is done, and requests wait for that, so that no answer and no first
 * diagnostics of an open document are computed without the workspace's tables.
 */
import type { Workspace } from '../ide/workspace';

/** Quiet time after an edit before analysis starts; a newer edit restarts it. */
const DEBOUNCE_MS = 5;
/** How long analysis runs before it lets the event loop serve other messages. */
const SLICE_MS = 20;

interface Job {
  steps: Generator<void, unknown>;
  cancelled: boolean;
  done: Promise<void>;
}

export interface SchedulerEvents {
  /** A file's findings are up to date (publish them). */
  linted(key: string): void;
  /** Nothing is left to lint for now (the status bar may say ready). */
  idle(): void;
}

export class Scheduler {
  /** Whether the workspace scan is over: until then a DDL change lints no other file (the scan will). */
  ready = false;
  /** Whether the first scan has read every file (the catalog holds the whole workspace's DDL). */
  private hasCatalog = false;
  private resolveCatalog!: () => void;
  private readonly catalogPromise = new Promise<void>((r) => (this.resolveCatalog = r));
  /** Texts set before the catalog was complete, applied when it is. */
  private readonly deferred = new Map<string, { text: string; options: { version?: number; open?: boolean } }>();
  /** Edits waiting out the debounce, with what applies them. */
  private readonly pending = new Map<string, { timer: NodeJS.Timeout; run: () => void }>();
  /** One analysis in progress per file. */
  private readonly jobs = new Map<string, Job>();
  /** Files to lint again (a catalog change touched them), drained in the background. */
  private readonly dirty = new Set<string>();
  private draining = false;

  constructor(
    private readonly ws: Workspace,
    private readonly pathOf: (key: string) => string,
    private readonly events: SchedulerEvents,
  ) {}

  /** Runs `run` (which applies the document's text) after the debounce; a newer call for the file restarts it. */
  debounce(key: string, run: () => void): void {
    clearTimeout(this.pending.get(key)?.timer);
    // The running analysis is of a text that is no longer the document's: finishing it would only publish that.
    const job = this.jobs.get(key);
    if (job) {
      job.cancelled = true;
      this.jobs.delete(key);
    }
    const timer = setTimeout(() => {
      this.pending.delete(key);
      run();
    }, DEBOUNCE_MS);
    this.pending.set(key, { timer, run });
  }

  /** Drops a file's waiting edit (a newer text is applied at once, or the document closed). */
  cancel(key: string): void {
    clearTimeout(this.pending.get(key)?.timer);
    this.pending.delete(key);
    this.deferred.delete(key);
  }

  /** Resolves once the first scan has read every file (at once after that). */
  whenCatalogComplete(): Promise<void> {
    return this.catalogPromise;
  }

  /**
   * The first scan has read every file (or failed to): the texts set meanwhile are applied, then linted against
   * the complete catalog, and waiting requests go on. Returns the files linted here (the scan need not lint them).
   */
  catalogComplete(): Set<string> {
    if (this.hasCatalog) return new Set();
    const keys = new Set(this.deferred.keys());
    try {
      for (const [key, { text, options }] of this.deferred) this.ws.update(key, this.pathOf(key), text, options);
    } finally {
      this.deferred.clear();
      this.hasCatalog = true;
      this.resolveCatalog();
    }
    for (const key of keys) void this.lint(key);
    return keys;
  }

  /** Whether an edit of the file waits out its debounce (it will lint the file itself). */
  isPending(key: string): boolean {
    return this.pending.has(key);
  }

  /**
   * Lints a file in time slices: the first slice runs at once (a small document is answered without a round trip
   * through the event loop), later ones after other pending work. Reports `linted` when complete.
   */
  lint(key: string): Promise<void> {
    const old = this.jobs.get(key);
    if (old) old.cancelled = true;
    let finish!: () => void;
    const job: Job = { steps: this.ws.lintSteps(key, SLICE_MS), cancelled: false, done: new Promise<void>((r) => (finish = r)) };
    this.jobs.set(key, job);
    const tick = () => {
      if (job.cancelled) return finish();
      if (!job.steps.next().done) {
        setImmediate(tick);
        return;
      }
      if (this.jobs.get(key) === job) this.jobs.delete(key);
      this.events.linted(key);
      finish();
    };
    tick();
    return job.done;
  }

  /** Brings a file's findings up to date now (hover and code actions answer about the current text). */
  flush(key: string): void {
    const waiting = this.pending.get(key);
    if (waiting) {
      this.cancel(key);
      waiting.run();
    }
    const job = this.jobs.get(key);
    if (!job) return;
    while (!job.cancelled && !job.steps.next().done);
  }

  /** Sets a file's text and lints what it affects: itself first, other files in the background. */
  apply(key: string, text: string, options: { version?: number; open?: boolean }): void {
    if (!this.hasCatalog) {
      this.deferred.set(key, { text, options });
      return;
    }
    const path = this.pathOf(key);
    const before = this.ws.catalog(path);
    const ddlChanged = this.ws.update(key, path, text, options);
    const linted = this.lint(key);
    if (ddlChanged && this.ready) {
      for (const k of this.ws.affectedBy(before, this.ws.catalog(path), path)) if (k !== key) this.dirty.add(k);
      void linted.then(() => this.drain());
    } else void linted.then(() => !this.draining && this.events.idle());
  }

  /** Removes a file (at `path`); when its DDL was in the catalog and `relint`, lints the files the change may affect. */
  remove(key: string, path: string, relint: boolean): void {
    this.deferred.delete(key);
    const before = this.ws.catalog(path);
    const ddl = this.ws.remove(key);
    if (!ddl || !relint) return;
    for (const k of this.ws.affectedBy(before, this.ws.catalog(path), path)) this.dirty.add(k);
    void this.drain();
  }

  /** Lints the dirty files one after another, each in slices, so edits and requests are served in between. */
  async drain(): Promise<void> {
    // Before the scan is over, the scan lints every file; it drains what is left when it ends.
    if (this.draining || !this.ready) return;
    this.draining = true;
    while (this.dirty.size > 0) {
      const key = this.dirty.values().next().value!;
      this.dirty.delete(key);
      if (this.pending.has(key) || this.jobs.has(key)) continue; // its own edit is linting it
      await this.lint(key);
    }
    this.draining = false;
    this.events.idle();
  }
}
