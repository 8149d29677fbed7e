/**
 * The workspace scan: every file of the workspace folders that the config includes is read, then linted, with
 * work-done progress and the status bar's 'scanning' → 'ready'. Open documents keep their editor text; those
 * opened before the first scan has read everything are linted first, once it has.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { hostLanguageOf, primeHostExtracts } from '../analysis/index';
import { collectFiles } from '../files';
import { buildIdentity, contentHash, defaultCachePath, hostKey, LintCache } from '../lint-cache';
import { embeddedLanguageOf, inScope } from '../ide/scope';
import type { ServerState } from './state';

/** Reads the configuration again, then scans (at start-up, and when a setting or a `.pgperf.json` changes). */
export async function rescan(s: ServerState): Promise<void> {
  try {
    s.ws.setConfig(await s.configuration.top(s.ids.folders));
    await scan(s);
  } finally {
    // A scan that failed leaves the catalog it has: requests waiting for it are answered rather than left hanging.
    s.scheduler.catalogComplete();
  }
}

async function scan(s: ServerState): Promise<void> {
  const { ws, scheduler, publisher } = s;
  const started = performance.now();
  scheduler.ready = false;
  publisher.status('scanning');
  const progress = s.canProgress ? await s.connection.window.createWorkDoneProgress().catch(() => undefined) : undefined;
  progress?.begin('pgperf: analysing SQL files', 0, undefined, false);
  const cfg = ws.config;
  const scanned = s.ids.folders.flatMap((root) => {
    try {
      // Host files of a language switched off are not read at all (they would hold no SQL).
      return collectFiles(['.'], root, cfg.include, cfg.exclude).filter((p) => {
        const lang = embeddedLanguageOf(p);
        return !lang || cfg.embedded.languages[lang];
      });
    } catch {
      return [];
    }
  });
  ws.setProjects(s.configuration.projects(s.ids.folders, scanned));
  // A separate project's own globs decide which of its files are read (the top project's did so above).
  const paths = scanned.filter((p) => {
    const path = s.ids.pathOf(pathToFileURL(p).href);
    return ws.projectOf(path) === '' || inScope(ws, path);
  });
  const keys = new Set(paths.map((p) => pathToFileURL(p).href));
  for (const key of ws.uris()) if (key.startsWith('file:') && !keys.has(key) && !ws.get(key)?.open) ws.remove(key);
  // Host files' SQL strings from the last scan of these folders (see lint-cache.ts): the host grammar runs only
  // on host files whose text changed since.
  const cache = LintCache.open(defaultCachePath(s.ids.folders.join('\n'), process.env, 'lsp'), (BUILD ??= buildIdentity(__filename, 'lsp')));
  let done = 0;
  for (const path of paths) {
    const key = pathToFileURL(path).href;
    if (!ws.get(key)?.open) {
      // Local files, read synchronously: awaiting each read left the thread idle for a fifth of the scan.
      const text = readText(path);
      // Every file is read before any is linted: the catalog needs all the DDL.
      if (text !== undefined) readHostAware(s, cache, key, text);
    }
    if (++done % 50 === 0) {
      progress?.report(Math.round((done / paths.length) * 50), `read ${done}/${paths.length} files`);
      await new Promise((r) => setImmediate(r));
    }
  }
  // The documents opened meanwhile get their text now, and their diagnostics before the other files'.
  const first = scheduler.catalogComplete();
  const all = ws.uris();
  let linted = 0;
  for (const key of all) {
    if (!scheduler.isPending(key) && !first.has(key)) await scheduler.lint(key);
    if (++linted % 20 === 0) progress?.report(50 + Math.round((linted / all.length) * 50), `analysed ${linted}/${all.length} files`);
  }
  progress?.done();
  // A cache that cannot be written costs the next scan time only.
  const why = cache.save(true);
  if (why) s.log(`the scan cache could not be saved to ${cache.path} (${why})`);
  scheduler.ready = true;
  // DDL changes seen during the scan left files to lint again; the scan linted some of them before the change.
  void scheduler.drain();
  const ms = Math.round(performance.now() - started);
  s.log(`analysed ${all.length} files in ${ms} ms`);
  publisher.status('ready', ms);
}

/** This build's identity for the scan cache (a digest of the server bundle), computed once. */
let BUILD: string | undefined;

/** A file read by the scan into the workspace; a host file's SQL strings from the cache, or into it. */
function readHostAware(s: ServerState, cache: LintCache, key: string, text: string): void {
  const path = s.ids.pathOf(key);
  const embedded = s.ws.configOf(path).embedded;
  const hk = hostLanguageOf(path) ? hostKey(path, contentHash(text), embedded) : undefined;
  const kept = hk ? cache.host(hk, text.length) : undefined;
  if (kept) primeHostExtracts([{ path, text, extract: kept }], embedded);
  s.ws.update(key, path, text, { lintLater: true });
  const read = hk && !kept ? s.ws.hostExtractOf(key) : undefined;
  if (read && hk && read.options === embedded) cache.setHost(hk, read.extract);
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
