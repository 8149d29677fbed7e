#!/usr/bin/env node
// Edit → diagnostics in a TypeScript file, over real LSP JSON-RPC against the built server (`node bin/pgperf.js
// lsp --stdio`). The workspace is generated (bench/fixtures/host-repository.mjs): a 2,000-line repository module
// with 100 queries and the migration with its schema. After the scan is ready and the .ts document is open, two
// kinds of typing, one keystroke per didChange, each timed to the publishDiagnostics of that document version:
// - query: inside a SQL string literal of a query in the middle of the file (the SQL of that string changes);
// - code: in a plain TypeScript identifier between queries (no SQL changes, the host file is re-read all the same).
// Keystrokes type six letters and delete them again, so the text stays valid and the findings stay the same.
// Prints JSON: p50/p95/max per kind (target p95 ≤ 30 ms), the latencies, findings on open by rule.
// Usage: node bench/host-edit.mjs [--edits N] [--warmup N] [--queries N] [--lines N]   (build first: node build.mjs)
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sleep, startServer } from './lsp-client.mjs';
import { writeRepository } from './fixtures/host-repository.mjs';

const arg = (name, dflt) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) : dflt);
const EDITS = arg('--edits', 100);
const WARMUP = arg('--warmup', 20);
const QUERIES = arg('--queries', 100);
const LINES = arg('--lines', 2000);

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** Line and character (UTF-16, as LSP counts by default) of an offset. */
function position(text, offset) {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

const byRule = (diagnostics) => {
  const out = {};
  for (const d of diagnostics) out[d.code] = (out[d.code] ?? 0) + 1;
  return out;
};

const dir = realpathSync(mkdtempSync(join(tmpdir(), 'pgperf-bench-host-edit-')));
let result;
try {
  const repo = writeRepository(dir, { queries: QUERIES, lines: LINES });
  const uri = pathToFileURL(repo.tsPath).href;
  const s = startServer(dir);
  try {
    await s.initialize(dir);
    await s.until((ev) => ev.type === 'status' && ev.params.state === 'ready', 60_000, "pgperf/status 'ready'");
    let text = repo.ts;
    let version = 1;
    const t0 = performance.now();
    const opened = s.until((ev) => ev.type === 'diagnostics' && ev.params.uri === uri && ev.params.version === 1, 60_000, 'diagnostics of the opened .ts file');
    void s.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version, text } });
    const first = await opened;
    const openMs = first.t - t0;
    const openFindings = first.params.diagnostics;
    // A server that does not read SQL in TypeScript answers with no findings; timing that would measure nothing.
    if (!openFindings.some((d) => d.code === 'offset-pagination')) {
      throw new Error(
        `no offset-pagination finding in the opened .ts file (${openFindings.length} diagnostics): does the server lint SQL in typescript documents?`,
      );
    }

    /** One kind of typing at `offset`: a keystroke per edit, six letters typed then deleted, answered one by one. */
    const typing = async (offset) => {
      const times = [];
      const counts = new Set();
      let typed = 0;
      for (let i = 0; i < WARMUP + EDITS; i++) {
        const insert = i % 12 < 6;
        const at = offset + typed - (insert ? 0 : 1);
        const start = position(text, at);
        const change = insert ? { range: { start, end: start }, text: 'abcdef'[typed] } : { range: { start, end: position(text, at + 1) }, text: '' };
        text = insert ? text.slice(0, at) + change.text + text.slice(at) : text.slice(0, at) + text.slice(at + 1);
        typed += insert ? 1 : -1;
        const v = ++version;
        const answered = s.until((ev) => ev.type === 'diagnostics' && ev.params.uri === uri && ev.params.version === v, 10_000, `diagnostics for version ${v}`);
        const t = performance.now();
        void s.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [change] });
        const ev = await answered;
        if (i >= WARMUP) {
          times.push(ev.t - t);
          counts.add(ev.params.diagnostics.length);
        }
        await sleep(5); // keep keystrokes apart so each is answered on its own, as at a fast typist's pace
      }
      if (typed !== 0) {
        // back to the opened text, so the next kind starts from it
        const at = offset;
        const v = ++version;
        const answered = s.until((ev) => ev.type === 'diagnostics' && ev.params.uri === uri && ev.params.version === v, 10_000, `diagnostics for version ${v}`);
        void s.conn.sendNotification('textDocument/didChange', {
          textDocument: { uri, version: v },
          contentChanges: [{ range: { start: position(text, at), end: position(text, at + typed) }, text: '' }],
        });
        text = text.slice(0, at) + text.slice(at + typed);
        await answered;
      }
      return {
        at: position(repo.ts, offset),
        edits: times.length,
        p50Ms: round(pct(times, 50)),
        p95Ms: round(pct(times, 95)),
        maxMs: round(Math.max(...times)),
        diagnosticCounts: [...counts].sort((a, b) => a - b),
        latenciesMs: times.map((x) => round(x)),
      };
    };

    const query = await typing(repo.editPoints.query);
    const code = await typing(repo.editPoints.code);
    if (text !== repo.ts) throw new Error('the document did not return to its opened text');
    result = {
      bench: 'host-edit',
      machine: { cpus: cpus().length, node: process.version },
      file: { lines: repo.ts.split('\n').length - 1, bytes: Buffer.byteLength(repo.ts), queries: repo.queries, kinds: repo.kinds },
      openToDiagnosticsMs: round(openMs, 1),
      findingsOnOpen: { total: openFindings.length, byRule: byRule(openFindings) },
      warmup: WARMUP,
      query,
      code,
      targetP95Ms: 30,
      pass: { query: query.p95Ms <= 30, code: code.p95Ms <= 30 },
      rssMB: s.vmStatus().rssMB,
    };
  } finally {
    await s.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
// Number arrays on one line each: the latencies would take a line per edit.
console.log(JSON.stringify(result, null, 2).replace(/\[\s+(-?[\d.]+(?:,\s+-?[\d.]+)*)\s+\]/g, (_, xs) => `[${xs.split(/,\s+/).join(', ')}]`));
