/**
 * The fuzzer's driver (issue 18): feeds seeded mutations (mutate.ts) to the BUILT analysis (lintSources of
 * dist/cli.js, the CLI's path) and to the BUILT language server over stdio (didOpen, hover and code actions at random
 * positions, didChange, didClose), and checks what they answer:
 * - no crash: lintSources neither throws nor records an internal error; the server process stays alive and logs
 *   no internal error; nothing unhandled on its stderr;
 * - no stall: no request (and no lint) slower than `stallMs`;
 * - every range inside its document (as LSP counts lines: `\n`, `\r\n` and `\r` end one), a finding's offsets and
 *   its range naming the same place;
 * - every fix (the analysis core's) and every code-action edit (the server's) applies to the document, and the
 *   edited file has no more syntax errors than before, checked by re-parsing it with the same parser (a lint).
 * Used by bench/fuzz.mjs (figures as JSON) and test/fuzz/smoke.test.ts (a short run in npm test).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { applyLspEdits, applyOffsetEdits, Lines, randomPosition, type OffsetEdit, type Pos, type Rng2 } from './check';
import { inputAt, Rng, type FuzzInput, type MutateOptions, type SeedFile } from './mutate';

/** What the fuzzer uses of dist/cli.js. */
export interface Analysis {
  lintSources(sources: { path: string; text: string }[], config: unknown, cache?: unknown, options?: { fixes?: boolean }): LintResultLike;
  DEFAULT_CONFIG: unknown;
}
interface FindingLike {
  ruleId: string;
  start: number;
  end: number;
  range: Rng2;
  fix?: { title: string; edits: OffsetEdit[] };
}
interface LintResultLike {
  files: { findings: FindingLike[] }[];
  internalErrors: string[];
}

export type ProblemKind = 'crash' | 'internal-error' | 'stderr' | 'stall' | 'invalid-edit' | 'out-of-range';

export interface Problem {
  kind: ProblemKind;
  /** Which path found it: the CLI's analysis or the language server. */
  via: 'cli' | 'server';
  /** What was being done (lint, hover, codeAction, …). */
  what: string;
  detail: string;
  input: { index: number; seed: string; ops: string[]; path: string; chars: number };
}

export interface FuzzOptions {
  /** The run's seed: the same seed, seed files and options give the same inputs. */
  seed: number;
  /** Stop after this many inputs … */
  inputs: number;
  /** … or after this many seconds, whichever comes first. */
  seconds: number;
  seeds: readonly SeedFile[];
  /** Files of the language server's workspace (a schema, so catalog-based rules and actions take part). */
  workspace?: readonly SeedFile[];
  /** Every how many inputs one goes through the language server too (0: none). */
  serverEvery?: number;
  /** The built bundles: dist/ of the repository, or a copy of it. */
  distDir: string;
  analysis: Analysis;
  mutate?: MutateOptions;
  /** A request or lint slower than this is a stall (default 1,000 ms). */
  stallMs?: number;
  /** Fixes and code actions re-parsed per input (default 2 and 3). */
  fixChecks?: number;
  actionChecks?: number;
  /** Only these input indices (to replay what a run reported). */
  only?: readonly number[];
  /** Only the inputs of block floor(i / serverEvery) % count === index (one of `count` processes sharing a run; bench/fuzz.mjs --jobs). */
  shard?: { index: number; count: number };
  /** Keep every latency in the report (`latencies`), for a parent that merges its shards' figures. */
  keepLatencies?: boolean;
  /** Told of each input before it runs: a lint that never ends still leaves its input's index behind. */
  trace?: (input: FuzzInput) => void;
}

interface Latencies {
  [kind: string]: number[];
}

export interface FuzzReport {
  seed: number;
  seconds: number;
  inputs: number;
  serverInputs: number;
  chars: number;
  requests: Record<string, number>;
  latencyMs: Record<string, { max: number; p99: number; p50: number }>;
  crashes: number;
  internalErrors: number;
  stderrErrors: number;
  stalls: number;
  /** The stalls by what was slow (lint and reparse: the CLI's analysis; the others: server requests and publishes). */
  stallsByKind: Record<string, number>;
  invalidEdits: number;
  outOfRange: number;
  fixesChecked: number;
  actionEditsChecked: number;
  serverRestarts: number;
  problems: Problem[];
  /** Every latency by request kind, in ms (with keepLatencies). */
  latencies?: Record<string, number[]>;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const round = (x: number) => Math.round(x * 10) / 10;

const LANGUAGE_IDS: Record<string, string> = {
  sql: 'sql',
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'typescriptreact',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'javascriptreact',
  py: 'python',
  go: 'go',
  rs: 'rust',
};
const languageOf = (path: string) => LANGUAGE_IDS[path.slice(path.lastIndexOf('.') + 1)] ?? 'sql';

const syntaxErrors = (r: LintResultLike) => r.files[0].findings.filter((f) => f.ruleId === 'syntax-error').length;

/** Why finding `f` does not name a place in `lines`, or undefined. */
function findingProblem(lines: Lines, f: FindingLike): string | undefined {
  const len = lines.text.length;
  if (!(Number.isInteger(f.start) && Number.isInteger(f.end) && f.start >= 0 && f.start <= f.end && f.end <= len))
    return `${f.ruleId}: offsets [${f.start}, ${f.end}) outside a text of ${len}`;
  const p = lines.rangeProblem(f.range);
  if (p) return `${f.ruleId}: range ${p}`;
  const s = lines.positionAt(f.start);
  const e = lines.positionAt(f.end);
  if (s.line !== f.range.start.line || s.character !== f.range.start.character || e.line !== f.range.end.line || e.character !== f.range.end.character)
    return `${f.ruleId}: offsets [${f.start}, ${f.end}) are ${s.line}:${s.character}-${e.line}:${e.character}, its range says ${f.range.start.line}:${f.range.start.character}-${f.range.end.line}:${f.range.end.character}`;
  return undefined;
}

/** stderr lines that are a failure, not a message: errors, stack frames, warnings of unhandled rejections. */
const STDERR_FAILURE = /error|exception|unhandled|^\s+at .+:\d+:\d+|warning/im;

/** A minimal LSP client on the built server, enough for the fuzzer (test/lsp/client.ts is the full one). */
class Server {
  readonly proc: ChildProcess;
  readonly conn: MessageConnection;
  readonly dir: string;
  stderr = '';
  stderrSeen = 0;
  readonly errorLogs: string[] = [];
  exited = false;
  private waiting: { uri: string; version: number; resolve: (d: { diagnostics: { range: Rng2; message: string }[] }) => void }[] = [];
  readonly ready: Promise<void>;
  private onReady!: () => void;

  constructor(distDir: string, workspace: readonly SeedFile[]) {
    this.dir = realpathSync(mkdtempSync(join(tmpdir(), 'pgperf-fuzz-')));
    for (const f of workspace) {
      const p = join(this.dir, f.name);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, f.text);
    }
    this.ready = new Promise((r) => (this.onReady = r));
    this.proc = spawn(process.execPath, [join(distDir, 'server.js'), '--stdio'], {
      cwd: this.dir,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    this.proc.stderr!.setEncoding('utf8');
    this.proc.stderr!.on('data', (d: string) => {
      this.stderr += d;
      if (this.stderr.length > 200_000) {
        this.stderrSeen = Math.max(0, this.stderrSeen - (this.stderr.length - 100_000));
        this.stderr = this.stderr.slice(-100_000);
      }
    });
    this.proc.on('exit', () => {
      this.exited = true;
      this.onReady();
      for (const w of this.waiting.splice(0)) w.resolve({ diagnostics: [] });
    });
    this.proc.stdin!.on('error', () => {});
    this.conn = createMessageConnection(new StreamMessageReader(this.proc.stdout!), new StreamMessageWriter(this.proc.stdin!));
    this.conn.onError(() => {});
    this.conn.onNotification('textDocument/publishDiagnostics', (p: { uri: string; version?: number; diagnostics: { range: Rng2; message: string }[] }) => {
      this.waiting = this.waiting.filter((w) => {
        if (w.uri !== p.uri || (p.version !== undefined && p.version < w.version)) return true;
        w.resolve(p);
        return false;
      });
    });
    this.conn.onNotification('pgperf/status', (p: { state: string }) => {
      if (p.state === 'ready') this.onReady();
    });
    this.conn.onNotification('window/logMessage', (p: { type: number; message: string }) => {
      if (p.type === 1 || /internal error/i.test(p.message)) this.errorLogs.push(p.message);
    });
    this.conn.onNotification('window/showMessage', (p: { type: number; message: string }) => {
      if (p.type === 1) this.errorLogs.push(`[showMessage] ${p.message}`);
    });
    this.conn.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) => p.items.map((i) => (i.section === 'pgperf' ? {} : null)));
    for (const m of ['window/workDoneProgress/create', 'client/registerCapability', 'client/unregisterCapability', 'window/showMessageRequest'])
      this.conn.onRequest(m, () => null);
    for (const m of ['workspace/diagnostic/refresh', 'workspace/codeLens/refresh', 'workspace/inlayHint/refresh', 'workspace/semanticTokens/refresh'])
      this.conn.onRequest(m, () => null);
    this.conn.onRequest('workspace/workspaceFolders', () => [{ uri: pathToFileURL(this.dir).href, name: 'fuzz' }]);
    this.conn.onRequest('workspace/applyEdit', () => ({ applied: false }));
    this.conn.listen();
  }

  async initialize(): Promise<void> {
    const rootUri = pathToFileURL(this.dir).href;
    await this.request('initialize', {
      processId: process.pid,
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: 'fuzz' }],
      capabilities: {
        workspace: { configuration: true, workspaceFolders: true, applyEdit: true, workspaceEdit: { documentChanges: true } },
        textDocument: {
          publishDiagnostics: { versionSupport: true, relatedInformation: true },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['', 'quickfix', 'source', 'source.fixAll'] } } },
        },
        window: { workDoneProgress: true },
        general: { positionEncodings: ['utf-16'] },
      },
    });
    void this.conn.sendNotification('initialized', {});
    await Promise.race([this.ready, new Promise((r) => setTimeout(r, 20_000))]);
  }

  async request<T>(method: string, params: unknown, timeoutMs = 15_000): Promise<T> {
    if (this.exited) throw new Error(`${method}: the server has exited`);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        this.conn.sendRequest(method, params) as Promise<T>,
        new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`${method}: no answer within ${timeoutMs} ms`)), timeoutMs))),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  notify(method: string, params: unknown): void {
    if (!this.exited) void this.conn.sendNotification(method, params);
  }

  /** The first publishDiagnostics for `uri` at `version` or later (resolves empty on exit; rejects on timeout). */
  diagnostics(uri: string, version: number, timeoutMs = 15_000): Promise<{ diagnostics: { range: Rng2; message: string }[] }> {
    return new Promise((resolve, reject) => {
      if (this.exited) return resolve({ diagnostics: [] });
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((w) => w !== entry);
        reject(new Error(`no publishDiagnostics for version ${version} within ${timeoutMs} ms`));
      }, timeoutMs);
      const entry = {
        uri,
        version,
        resolve: (d: { diagnostics: { range: Rng2; message: string }[] }) => {
          clearTimeout(timer);
          resolve(d);
        },
      };
      this.waiting.push(entry);
    });
  }

  /** What the server wrote to stderr since the last call. */
  newStderr(): string {
    const s = this.stderr.slice(this.stderrSeen);
    this.stderrSeen = this.stderr.length;
    return s;
  }

  async close(): Promise<void> {
    if (!this.exited) {
      try {
        await this.request('shutdown', null, 3_000);
        this.notify('exit', null);
      } catch {
        // killed below
      }
      await new Promise((r) => setTimeout(r, 200));
      if (!this.exited) this.proc.kill('SIGKILL');
    }
    this.conn.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

interface ActionLike {
  title: string;
  kind?: string;
  edit?: {
    changes?: Record<string, { range: Rng2; newText: string }[]>;
    documentChanges?: { textDocument?: { uri: string }; edits?: { range: Rng2; newText: string }[] }[];
  };
  command?: unknown;
}

function editsFor(a: ActionLike, uri: string): { range: Rng2; newText: string }[] | undefined {
  if (!a.edit) return undefined;
  const out = [...(a.edit.changes?.[uri] ?? [])];
  for (const dc of a.edit.documentChanges ?? []) if (dc.textDocument?.uri === uri) out.push(...(dc.edits ?? []));
  return out;
}

/** Runs the fuzzer; never throws for what it finds (that is the report), only for a broken set-up. */
export async function fuzz(o: FuzzOptions): Promise<FuzzReport> {
  const stallMs = o.stallMs ?? 1_000;
  const serverEvery = o.serverEvery ?? 0;
  const latencies: Latencies = {};
  const problems: Problem[] = [];
  const counts = {
    crashes: 0,
    internalErrors: 0,
    stderrErrors: 0,
    stalls: 0,
    invalidEdits: 0,
    outOfRange: 0,
    fixesChecked: 0,
    actionEditsChecked: 0,
    restarts: 0,
  };
  let chars = 0;
  let inputs = 0;
  let serverInputs = 0;
  const t0 = performance.now();
  const deadline = t0 + o.seconds * 1000;

  let current: FuzzInput;
  const describe = (input: FuzzInput) => ({ index: input.index, seed: input.seed, ops: input.ops, path: input.path, chars: input.text.length });
  const report = (kind: ProblemKind, via: 'cli' | 'server', what: string, detail: string) => {
    const key = (
      {
        crash: 'crashes',
        'internal-error': 'internalErrors',
        stderr: 'stderrErrors',
        stall: 'stalls',
        'invalid-edit': 'invalidEdits',
        'out-of-range': 'outOfRange',
      } as const
    )[kind];
    counts[key]++;
    // Every problem is counted; the first few hundred are kept with their input, enough to replay each class.
    if (problems.length < 300) problems.push({ kind, via, what, detail: detail.slice(0, 600), input: describe(current) });
  };
  const stallsByKind: Record<string, number> = {};
  const stall = (via: 'cli' | 'server', kind: string, ms: number) => {
    stallsByKind[kind] = (stallsByKind[kind] ?? 0) + 1;
    report('stall', via, kind, `${kind} took ${Math.round(ms)} ms`);
  };
  const timed = <T>(kind: string, via: 'cli' | 'server', f: () => T): T => {
    const s = performance.now();
    const r = f();
    const ms = performance.now() - s;
    (latencies[kind] ??= []).push(ms);
    if (ms > stallMs) stall(via, kind, ms);
    return r;
  };
  const timedAsync = async <T>(kind: string, f: () => Promise<T>): Promise<T> => {
    const s = performance.now();
    const r = await f();
    const ms = performance.now() - s;
    (latencies[kind] ??= []).push(ms);
    if (ms > stallMs) stall('server', kind, ms);
    return r;
  };

  /** A lint, or undefined after reporting the throw as a crash. */
  const lint = (path: string, text: string, what: string, fixes: boolean): LintResultLike | undefined => {
    try {
      return timed(what, 'cli', () => o.analysis.lintSources([{ path, text }], o.analysis.DEFAULT_CONFIG, undefined, { fixes }));
    } catch (e) {
      report('crash', 'cli', what, e instanceof Error ? `${e.name}: ${e.message}` : String(e));
      return undefined;
    }
  };

  /** Whether edited text keeps the syntax-error count of the original (re-parsed with the same parser). */
  const reparse = (path: string, before: number, text: string, via: 'cli' | 'server', what: string) => {
    const after = lint(path, text, 'reparse', false);
    if (after && syntaxErrors(after) > before) report('invalid-edit', via, what, `${before} syntax errors before, ${syntaxErrors(after)} after`);
  };

  // ---------- the CLI's analysis ----------
  const cliCheck = (input: FuzzInput): number | undefined => {
    const r = lint(input.path, input.text, 'lint', true);
    if (!r) return undefined;
    for (const e of r.internalErrors) report('internal-error', 'cli', 'lint', e);
    const lines = new Lines(input.text);
    const findings = r.files[0].findings;
    for (const f of findings) {
      const p = findingProblem(lines, f);
      if (p) report('out-of-range', 'cli', 'finding', p);
    }
    const before = syntaxErrors(r);
    const fixRng = new Rng(input.index ^ 0x5bd1e995);
    const fixed = findings.filter((f) => f.fix);
    for (let k = 0; k < Math.min(o.fixChecks ?? 2, fixed.length); k++) {
      const f = fixed.splice(fixRng.int(0, fixed.length - 1), 1)[0];
      counts.fixesChecked++;
      const applied = applyOffsetEdits(input.text, f.fix!.edits);
      if ('problem' in applied) report('invalid-edit', 'cli', `fix of ${f.ruleId}`, applied.problem);
      else reparse(input.path, before, applied.text, 'cli', `fix of ${f.ruleId} (${f.fix!.title})`);
    }
    return before;
  };

  // ---------- the language server ----------
  let server: Server | undefined;
  const startServer = async () => {
    server = new Server(o.distDir, o.workspace ?? []);
    await server.initialize();
  };
  const serverCheck = async (input: FuzzInput, syntaxBefore: number | undefined) => {
    if (!server || server.exited) {
      if (server) {
        await server.close();
        counts.restarts++;
      }
      await startServer();
    }
    const s = server!;
    const rng = new Rng(input.index ^ 0x27d4eb2f);
    const uri = pathToFileURL(join(s.dir, input.path)).href;
    const checkDiagnostics = (lines: Lines, ds: { range: Rng2 }[], what: string) => {
      for (const d of ds) {
        const p = lines.rangeProblem(d.range);
        if (p) report('out-of-range', 'server', what, `diagnostic ${p}`);
      }
    };
    const hover = async (lines: Lines, at: Pos) => {
      const h = await timedAsync('hover', () => s.request<{ range?: Rng2 } | null>('textDocument/hover', { textDocument: { uri }, position: at }));
      if (h?.range) {
        const p = lines.rangeProblem(h.range);
        if (p) report('out-of-range', 'server', 'hover', `hover at ${at.line}:${at.character}: ${p}`);
      }
    };
    let text = input.text;
    let lines = new Lines(text);
    let version = 1;
    let exitReported = false;
    try {
      s.notify('textDocument/didOpen', { textDocument: { uri, languageId: languageOf(input.path), version, text } });
      const opened = await timedAsync('diagnostics.open', () => s.diagnostics(uri, version));
      checkDiagnostics(lines, opened.diagnostics, 'diagnostics after didOpen');
      const diags = opened.diagnostics;
      const positions = [randomPosition(lines, () => rng.next()), randomPosition(lines, () => rng.next())];
      if (diags.length) positions.push(rng.pick(diags).range.start);
      for (const at of positions) await hover(lines, at);
      // Code actions: at diagnostics (their quick fixes), over a random range, and the file's fix-all.
      const asks: { range: Rng2; diagnostics: unknown[]; only?: string[] }[] = [];
      for (let k = 0; k < Math.min(2, diags.length); k++) {
        const d = rng.pick(diags);
        asks.push({ range: d.range, diagnostics: [d] });
      }
      const a = randomPosition(lines, () => rng.next());
      const b = randomPosition(lines, () => rng.next());
      asks.push({ range: lines.offsetAt(a) <= lines.offsetAt(b) ? { start: a, end: b } : { start: b, end: a }, diagnostics: diags.slice(0, 20) });
      if (rng.chance(0.3)) asks.push({ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, diagnostics: [], only: ['source.fixAll'] });
      let actionChecks = o.actionChecks ?? 3;
      for (const ask of asks) {
        const actions = await timedAsync('codeAction', () =>
          s.request<ActionLike[] | null>('textDocument/codeAction', {
            textDocument: { uri },
            range: ask.range,
            context: { diagnostics: ask.diagnostics, ...(ask.only ? { only: ask.only } : {}), triggerKind: 1 },
          }),
        );
        for (const action of actions ?? []) {
          const edits = editsFor(action, uri);
          if (!edits) continue;
          const applied = applyLspEdits(lines, edits);
          if ('problem' in applied) {
            report('invalid-edit', 'server', `code action "${action.title}"`, applied.problem);
            continue;
          }
          if (actionChecks-- > 0 && syntaxBefore !== undefined) {
            counts.actionEditsChecked++;
            reparse(input.path, syntaxBefore, applied.text, 'server', `code action "${action.title}"`);
          }
        }
      }
      // One or two incremental edits, then the diagnostics of the last version.
      const changes = rng.int(1, 2);
      for (let k = 0; k < changes; k++) {
        const start = randomPosition(lines, () => rng.next());
        const so = lines.offsetAt(start);
        const eo = Math.min(lines.text.length, so + (rng.chance(0.5) ? rng.int(0, 12) : 0));
        const end = lines.positionAt(eo);
        const newText = rng.pick(["'", '$$', '--', '/*', ';', '\r\n', '\r', ' OR a = 1', 'SELECT ', '(', ')', '', 'x', '\u0000', '\ud800']);
        text = text.slice(0, so) + newText + text.slice(eo);
        lines = new Lines(text);
        version++;
        s.notify('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ range: { start, end }, text: newText }] });
      }
      const changed = await timedAsync('diagnostics.change', () => s.diagnostics(uri, version));
      checkDiagnostics(lines, changed.diagnostics, 'diagnostics after didChange');
      await hover(
        lines,
        randomPosition(lines, () => rng.next()),
      );
      s.notify('textDocument/didClose', { textDocument: { uri } });
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      exitReported = s.exited;
      if (s.exited) report('crash', 'server', 'server', `the server exited (${msg})${s.stderr ? `; stderr: ${s.stderr.slice(-400)}` : ''}`);
      else if (/no answer|no publishDiagnostics/.test(msg)) {
        stallsByKind.timeout = (stallsByKind.timeout ?? 0) + 1;
        report('stall', 'server', 'request', msg);
      } else report('crash', 'server', 'request', msg);
    }
    // A request answered after the document closed, or the exit itself, shows up here.
    await new Promise((r) => setImmediate(r));
    if (s.exited && !exitReported) report('crash', 'server', 'server', `the server exited; stderr: ${s.stderr.slice(-400)}`);
    for (const e of s.errorLogs.splice(0)) report('internal-error', 'server', 'log', e);
    const err = s.newStderr();
    if (err.trim() && STDERR_FAILURE.test(err)) report('stderr', 'server', 'stderr', err.trim());
  };

  try {
    // A shard takes whole blocks of serverEvery inputs, so that each gets its share of the server's inputs too.
    const shard = o.shard ?? { index: 0, count: 1 };
    const block = Math.max(1, serverEvery);
    const indices = o.only ?? Array.from({ length: o.inputs }, (_, i) => i).filter((i) => Math.floor(i / block) % shard.count === shard.index);
    for (const index of indices) {
      if (performance.now() > deadline) break;
      current = inputAt(o.seed, index, o.seeds, o.mutate);
      o.trace?.(current);
      inputs++;
      chars += current.text.length;
      const syntaxBefore = cliCheck(current);
      if (serverEvery > 0 && index % serverEvery === 0) {
        serverInputs++;
        await serverCheck(current, syntaxBefore);
      }
    }
  } finally {
    await server?.close();
  }

  const { requests, latencyMs } = latencySummary(latencies);
  return {
    seed: o.seed,
    seconds: round((performance.now() - t0) / 1000),
    inputs,
    serverInputs,
    chars,
    requests,
    latencyMs,
    crashes: counts.crashes + counts.internalErrors,
    internalErrors: counts.internalErrors,
    stderrErrors: counts.stderrErrors,
    stalls: counts.stalls,
    stallsByKind,
    invalidEdits: counts.invalidEdits,
    outOfRange: counts.outOfRange,
    fixesChecked: counts.fixesChecked,
    actionEditsChecked: counts.actionEditsChecked,
    serverRestarts: counts.restarts,
    problems,
    ...(o.keepLatencies ? { latencies } : {}),
  };
}

/** Request counts and latency figures (max, p99, p50) by kind. */
function latencySummary(latencies: Record<string, number[]>): Pick<FuzzReport, 'requests' | 'latencyMs'> {
  const latencyMs: FuzzReport['latencyMs'] = {};
  const requests: Record<string, number> = {};
  for (const [k, xs] of Object.entries(latencies)) {
    requests[k] = xs.length;
    latencyMs[k] = { max: round(xs.reduce((a, b) => Math.max(a, b), 0)), p99: round(pct(xs, 99)), p50: round(pct(xs, 50)) };
  }
  return { requests, latencyMs };
}

/** One report of shards' reports (each with its latencies): counts summed, figures over every latency, problems by input. */
export function mergeReports(parts: readonly FuzzReport[], seconds: number): FuzzReport {
  const latencies: Record<string, number[]> = {};
  for (const p of parts) for (const [k, xs] of Object.entries(p.latencies ?? {})) (latencies[k] ??= []).push(...xs);
  const sum = (f: (r: FuzzReport) => number) => parts.reduce((n, r) => n + f(r), 0);
  const stallsByKind: Record<string, number> = {};
  for (const p of parts) for (const [k, n] of Object.entries(p.stallsByKind)) stallsByKind[k] = (stallsByKind[k] ?? 0) + n;
  return {
    seed: parts[0]?.seed ?? 0,
    seconds: round(seconds),
    inputs: sum((r) => r.inputs),
    serverInputs: sum((r) => r.serverInputs),
    chars: sum((r) => r.chars),
    ...latencySummary(latencies),
    crashes: sum((r) => r.crashes),
    internalErrors: sum((r) => r.internalErrors),
    stderrErrors: sum((r) => r.stderrErrors),
    stalls: sum((r) => r.stalls),
    stallsByKind,
    invalidEdits: sum((r) => r.invalidEdits),
    outOfRange: sum((r) => r.outOfRange),
    fixesChecked: sum((r) => r.fixesChecked),
    actionEditsChecked: sum((r) => r.actionEditsChecked),
    serverRestarts: sum((r) => r.serverRestarts),
    problems: parts.flatMap((r) => r.problems).sort((a, b) => a.input.index - b.input.index),
  };
}
