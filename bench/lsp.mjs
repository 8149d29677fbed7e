#!/usr/bin/env node
// Language-server speed, measured over real LSP JSON-RPC against the built server (`node bin/pgperf.js lsp --stdio`).
// Prints JSON:
// - edit: time from a one-character didChange to the publishDiagnostics that answers it (matched by document
//   version) on a 5,000-line file built from the real-world corpus; p50/p95/max over N edits after a warm-up.
//   Target p95 < 30 ms.
// - editFullSync: the same with the client sending the whole text on each edit (full-text sync), in three cases:
//   the clean file (target p95 ≤ 20 ms), the file with the edited statement broken (its first keyword misspelt:
//   ≤ 30 ms), and a 5,000-statement file with 5,000 findings (≤ 40 ms). Each case also gives payloadBytes, the
//   size of one answer, and transportMs, what writing and reading that message as JSON alone costs in this process.
// - scan: cold start on the real-world corpus as the workspace (412 files): from spawn to the pgperf/status
//   'ready' after the scan, and to the moment diagnostics for every file have been published. Target < 3 s.
// - rss: the server's VmRSS (and VmHWM, its peak) after that scan, from /proc/<pid>/status. Target < 250 MB.
// Usage: node bench/lsp.mjs [--edits N] [--warmup N]   (build first: npm run build; `npm run bench:lsp` does both)
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { round, sleep, startServer } from './lsp-client.mjs';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const corpus = resolve(root, '../shared/corpus/real-world');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const EDITS = arg('--edits', 100);
const WARMUP = arg('--warmup', 20);
const LINES = 5000;

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};

function sqlFiles(d) {
  return readdirSync(d, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? sqlFiles(join(d, e.name)) : e.name.endsWith('.sql') ? [join(d, e.name)] : []));
}

// ---------- (b) + (c): cold scan of the corpus, RSS after it ----------
async function scan() {
  const files = sqlFiles(corpus);
  const uris = new Set(files.map((f) => pathToFileURL(f).href));
  const s = startServer(corpus);
  try {
    await s.initialize(corpus);
    const initializedAt = performance.now() - s.t0;
    const ready = await s.until((ev) => ev.type === 'status' && ev.params.state === 'ready', 60_000, "pgperf/status 'ready'");
    const readyMs = ready.t - s.t0;
    const publishedAtReady = [...s.published.keys()].filter((u) => uris.has(u)).length;
    let allPublishedMs = null;
    const allIn = () => [...uris].every((u) => s.published.has(u));
    if (allIn()) allPublishedMs = Math.max(...[...uris].map((u) => s.published.get(u))) - s.t0;
    else {
      try {
        await s.until(() => allIn(), 30_000, `diagnostics for all ${uris.size} files`);
        allPublishedMs = Math.max(...[...uris].map((u) => s.published.get(u))) - s.t0;
      } catch {
        // reported as null with the count published
      }
    }
    const published = [...s.published.keys()].filter((u) => uris.has(u)).length;
    await sleep(300); // let the scan's garbage settle like an idle editor would
    const mem = s.vmStatus();
    return {
      files: uris.size,
      initializeMs: round(initializedAt),
      readyMs: round(readyMs),
      allDiagnosticsPublishedMs: round(allPublishedMs),
      filesWithDiagnosticsPublished: published,
      filesPublishedAtReady: publishedAtReady,
      status: (({ t, ...rest }) => rest)(ready.params),
      rssAfterScanMB: mem.rssMB,
      peakRssMB: mem.peakMB,
    };
  } finally {
    await s.stop();
  }
}

// ---------- (a): didChange → publishDiagnostics on a 5,000-line file ----------
/** The corpus concatenated and cut to at most 5,000 lines at a statement boundary. */
function bigFile() {
  const lines = [];
  for (const f of sqlFiles(corpus)) {
    lines.push(...readFileSync(f, 'utf8').replace(/\r\n?/g, '\n').split('\n'));
    if (lines.length > LINES * 1.2) break;
  }
  // a boundary: a line ending with ';' outside dollar quotes and block comments
  let dollar = 0;
  let block = 0;
  let cut = -1;
  for (let i = 0; i < Math.min(LINES, lines.length); i++) {
    const l = lines[i];
    dollar += (l.match(/\$[A-Za-z_]*\$/g) ?? []).length;
    block += (l.match(/\/\*/g) ?? []).length - (l.match(/\*\//g) ?? []).length;
    if (dollar % 2 === 0 && block <= 0 && /;\s*(--.*)?$/.test(l) && !/^\s*--/.test(l)) cut = i;
  }
  return lines.slice(0, cut + 1).join('\n') + '\n';
}

/** A digit inside a statement near the middle of the file, to cycle through 1–9. */
function editPoint(text) {
  const lines = text.split('\n');
  for (let i = lines.length >> 1; i < lines.length; i++) {
    const l = lines[i];
    if (/^\s*--/.test(l) || l.includes('$')) continue;
    const m = /([=(,\s])([1-9])([,);\s])/.exec(l);
    if (m && /^\s*(SELECT|INSERT|UPDATE|DELETE|VALUES|WITH)\b/i.test(l)) return { line: i, character: m.index + 1, digit: m[2] };
  }
  throw new Error('no edit point found');
}

/**
 * The part of each answer no analysis can save: the publishDiagnostics message's size, and the time to write it as
 * JSON-RPC (JSON.stringify, UTF-8 bytes) and read it back (bytes to text, JSON.parse), in this process (median of 5).
 */
function transport(params) {
  const message = { jsonrpc: '2.0', method: 'textDocument/publishDiagnostics', params };
  const runs = [];
  let bytes = 0;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const buf = Buffer.from(JSON.stringify(message), 'utf8');
    JSON.parse(buf.toString('utf8'));
    runs.push(performance.now() - t);
    bytes = buf.length;
  }
  return { payloadBytes: bytes, transportMs: round(pct(runs, 50), 2) };
}

/**
 * Edits at `at` (a digit cycled through 1–9) of `text`, opened as one document: the time from each didChange to the
 * publishDiagnostics of its version. `full`: the client sends the whole text each time (full-text sync), else the
 * one-character range.
 */
async function editRun(text, at, full) {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'pgperf-bench-lsp-')));
  try {
    const path = join(dir, 'big.sql');
    writeFileSync(path, '');
    const uri = pathToFileURL(path).href;
    const s = startServer(dir);
    try {
      await s.initialize(dir);
      await s.until((ev) => ev.type === 'status' && ev.params.state === 'ready', 30_000, 'ready');
      let version = 1;
      const t0 = performance.now();
      const opened = s.until((ev) => ev.type === 'diagnostics' && ev.params.uri === uri && ev.params.version === 1, 60_000, 'diagnostics of the opened file');
      void s.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'sql', version, text } });
      const first = await opened;
      const openMs = first.t - t0;
      const findings = first.params.diagnostics.length;
      const lines = text.split('\n');
      let digit = Number(at.digit);
      const times = [];
      let last;
      for (let i = 0; i < WARMUP + EDITS; i++) {
        digit = (digit % 9) + 1;
        version++;
        const v = version;
        const answered = s.until((ev) => ev.type === 'diagnostics' && ev.params.uri === uri && ev.params.version === v, 10_000, `diagnostics for version ${v}`);
        let change;
        if (full) {
          const l = lines[at.line];
          lines[at.line] = l.slice(0, at.character) + String(digit) + l.slice(at.character + 1);
          change = { text: lines.join('\n') };
        } else change = { range: { start: at, end: { line: at.line, character: at.character + 1 } }, text: String(digit) };
        const t = performance.now();
        void s.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: v }, contentChanges: [change] });
        const ev = await answered;
        last = ev.params;
        if (i >= WARMUP) times.push(ev.t - t);
        await sleep(5); // a fast typist's pace is ~100 ms; keep edits apart so each one is answered on its own
      }
      const mem = s.vmStatus();
      return {
        lines: text.split('\n').length - 1,
        bytes: Buffer.byteLength(text),
        sync: full ? 'full' : 'incremental',
        findings,
        openToDiagnosticsMs: round(openMs),
        edits: times.length,
        p50Ms: round(pct(times, 50), 2),
        p95Ms: round(pct(times, 95), 2),
        maxMs: round(Math.max(...times), 2),
        rssMB: mem.rssMB,
        ...transport(last),
      };
    } finally {
      await s.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The incremental case, and the three full-text-sync cases of the performance targets (clean, broken, findings). */
async function edits() {
  const text = bigFile();
  const at = editPoint(text);
  const incremental = { ...(await editRun(text, at, false)), targetP95Ms: 30 };
  const clean = { ...(await editRun(text, at, true)), targetP95Ms: 20 };
  // One statement broken while the user types in it: its first keyword misspelt, the digit edits go on inside it.
  const lines = text.split('\n');
  const kw = /^(\s*)(SELECT|INSERT|UPDATE|DELETE|VALUES|WITH)\b/i.exec(lines[at.line]);
  lines[at.line] = lines[at.line].slice(0, kw[1].length) + 'X' + lines[at.line].slice(kw[1].length + 1);
  const broken = { ...(await editRun(lines.join('\n'), at, true)), targetP95Ms: 30 };
  // 5,000 findings: a page query per line (offset-pagination on each), the digit edited in the middle one.
  const pages = ['CREATE TABLE items (id bigint PRIMARY KEY, name text);'];
  for (let i = 1; i <= 5000; i++) pages.push(`SELECT id, name FROM items ORDER BY id LIMIT 20 OFFSET ${20 * i + 1};`);
  const mid = 2500;
  const manyAt = { line: mid, character: pages[mid].lastIndexOf('1'), digit: '1' };
  const findings = { ...(await editRun(pages.join('\n') + '\n', manyAt, true)), targetP95Ms: 40 };
  return { incremental, clean, broken, findings };
}

const editCases = await edits();
const edit = editCases.incremental;
const scanResult = await scan();
console.log(
  JSON.stringify(
    {
      machine: { cpus: cpus().length, node: process.version },
      edit,
      editFullSync: { clean: editCases.clean, broken: editCases.broken, findings: editCases.findings },
      scan: { ...scanResult, targetMs: 3000, targetRssMB: 250 },
      pass: {
        editP95: edit.p95Ms < 30,
        editFullSync: Object.fromEntries(['clean', 'broken', 'findings'].map((k) => [k, editCases[k].p95Ms <= editCases[k].targetP95Ms])),
        scan: (scanResult.allDiagnosticsPublishedMs ?? Infinity) < 3000,
        rss: scanResult.rssAfterScanMB < 250,
      },
    },
    null,
    2,
  ),
);
