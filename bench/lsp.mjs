#!/usr/bin/env node
// Language-server speed, measured over real LSP JSON-RPC against the built server (`node bin/pgperf.js lsp --stdio`).
// Prints JSON:
// - edit: time from a one-character didChange to the publishDiagnostics that answers it (matched by document
//   version) on a 5,000-line file built from the real-world corpus; p50/p95/max over N edits after a warm-up.
//   Target p95 < 30 ms.
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

async function edits() {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'pgperf-bench-lsp-')));
  try {
    const text = bigFile();
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
      const at = editPoint(text);
      let digit = Number(at.digit);
      const times = [];
      for (let i = 0; i < WARMUP + EDITS; i++) {
        digit = (digit % 9) + 1;
        version++;
        const v = version;
        const answered = s.until((ev) => ev.type === 'diagnostics' && ev.params.uri === uri && ev.params.version === v, 10_000, `diagnostics for version ${v}`);
        const t = performance.now();
        void s.conn.sendNotification('textDocument/didChange', {
          textDocument: { uri, version: v },
          contentChanges: [{ range: { start: at, end: { line: at.line, character: at.character + 1 } }, text: String(digit) }],
        });
        const ev = await answered;
        if (i >= WARMUP) times.push(ev.t - t);
        await sleep(5); // a fast typist's pace is ~100 ms; keep edits apart so each one is answered on its own
      }
      const mem = s.vmStatus();
      return {
        lines: text.split('\n').length - 1,
        bytes: Buffer.byteLength(text),
        findings,
        openToDiagnosticsMs: round(openMs),
        edits: times.length,
        p50Ms: round(pct(times, 50), 2),
        p95Ms: round(pct(times, 95), 2),
        maxMs: round(Math.max(...times), 2),
        targetP95Ms: 30,
        rssMB: mem.rssMB,
      };
    } finally {
      await s.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const edit = await edits();
const scanResult = await scan();
console.log(
  JSON.stringify(
    {
      machine: { cpus: cpus().length, node: process.version },
      edit,
      scan: { ...scanResult, targetMs: 3000, targetRssMB: 250 },
      pass: {
        editP95: edit.p95Ms < 30,
        scan: (scanResult.allDiagnosticsPublishedMs ?? Infinity) < 3000,
        rss: scanResult.rssAfterScanMB < 250,
      },
    },
    null,
    2,
  ),
);
