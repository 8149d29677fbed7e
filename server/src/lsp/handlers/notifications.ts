/**
 * The client's notifications: documents opened, edited and closed, files changed on disk, settings changed. Each
 * sets a file's text in the workspace model; the scheduler lints what that affects.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { FileChangeType } from 'vscode-languageserver/node';
import { embeddedLanguageOf } from '../../ide/scope';
import { rescan } from '../scan';
import type { ServerState } from '../state';

export function registerNotifications(s: ServerState): void {
  const { connection, documents, ws, ids, scheduler, publisher } = s;

  documents.onDidOpen(({ document }) => {
    const key = ids.keyOf(document.uri);
    ids.opened(key, document.uri, document.languageId);
    scheduler.cancel(key);
    scheduler.apply(key, document.getText(), { version: document.version, open: true });
  });

  documents.onDidChangeContent(({ document }) => {
    const key = ids.keyOf(document.uri);
    if (ws.get(key)?.version === document.version) return; // the open event linted this version
    scheduler.debounce(key, () => {
      const current = documents.get(document.uri);
      if (current) scheduler.apply(key, current.getText(), { version: current.version, open: true });
    });
  });

  documents.onDidClose(async ({ document }) => {
    const key = ids.keyOf(document.uri);
    scheduler.cancel(key);
    const path = ids.pathOf(key);
    ids.closed(key);
    // A host file the scan does not read (node_modules, a language switched off, a script read by its
    // languageId) leaves the workspace with its editor; a .sql file stays, read from disk, as before.
    const leaves = !!embeddedLanguageOf(path) && (path !== ids.pathOf(key) || !s.inScope(key));
    if (!key.startsWith('file:') || leaves) {
      publisher.clear(document.uri);
      scheduler.remove(key, path, scheduler.ready);
      return;
    }
    ws.close(key);
    // The file on disk is the truth again (the editor may have closed without saving).
    const text = await readFile(fileURLToPath(key), 'utf8').catch(() => undefined);
    // Opened again while the file was read: the editor's text is the truth again.
    if (documents.get(document.uri)) return;
    if (text === undefined) {
      ws.remove(key);
      publisher.clear(document.uri);
    } else scheduler.apply(key, text, { open: false });
  });

  connection.onDidChangeWatchedFiles(async ({ changes }) => {
    let configChanged = false;
    for (const change of changes) {
      if (change.uri.endsWith('/.pgperf.json')) {
        configChanged = true;
        continue;
      }
      const key = ids.keyOf(change.uri);
      if (ws.get(key)?.open) continue; // the editor's text wins while the document is open
      // The host glob watches every .js and .py file, `npm install` and virtual environments included.
      if (!ws.get(key) && !s.inScope(key)) continue;
      if (change.type === FileChangeType.Deleted) {
        publisher.clear(ids.clientUri(key));
        scheduler.remove(key, ids.pathOf(key), true);
        continue;
      }
      const text = await readFile(fileURLToPath(key), 'utf8').catch(() => undefined);
      if (text !== undefined) scheduler.apply(key, text, {});
    }
    if (configChanged) await rescan(s);
    else publisher.status('ready');
  });

  connection.onDidChangeConfiguration(async () => {
    await rescan(s);
  });
}
