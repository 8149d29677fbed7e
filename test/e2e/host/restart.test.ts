/**
 * A language server that dies (SIGKILL, as a crash or the OOM killer would) inside a real VS Code extension host:
 * the client restarts it with a warning, at most 5 times in 3 minutes, and re-sends the open documents; the 6th
 * crash leaves it stopped with an error that names pgperf.restartServer. The server is killed, and what the
 * client did and showed is read back, through two commands the extension registers only in ExtensionMode.Test.
 * Runs after extension.test.ts (mocha loads the files in name order) and leaves the server running.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import * as vscode from 'vscode';

interface ServerState {
  running: boolean;
  pid?: number;
  recentCrashes: number;
  gaveUp: boolean;
  limit: number;
  windowMs: number;
  notices: { level: 'warning' | 'error'; message: string }[];
}

const serverState = async (): Promise<ServerState> => {
  const state = await vscode.commands.executeCommand<ServerState | undefined>('pgperf.debug.serverState');
  assert.ok(state, 'pgperf.debug.serverState returned nothing: the extension is not running in ExtensionMode.Test');
  return state;
};

const fileUri = (rel: string): vscode.Uri => {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests need the fixture workspace open as a folder');
  return vscode.Uri.joinPath(folder.uri, rel);
};

const ruleOf = (d: vscode.Diagnostic): string => String(typeof d.code === 'object' ? d.code.value : d.code);

function findings(uri: vscode.Uri): string[] {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.source === 'pgperf')
    .sort((a, b) => a.range.start.line - b.range.start.line || ruleOf(a).localeCompare(ruleOf(b)))
    .map((d) => `${d.range.start.line + 1}:${ruleOf(d)}`);
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitForFindings(uri: vscode.Uri, expected: string[]): Promise<void> {
  try {
    await waitFor(`${uri.path} to have findings ${JSON.stringify(expected)}`, () => JSON.stringify(findings(uri)) === JSON.stringify(expected));
  } catch (e) {
    throw new Error(`${(e as Error).message}; it has ${JSON.stringify(findings(uri))}`, { cause: e });
  }
}

async function setText(doc: vscode.TextDocument, text: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, new vscode.Range(0, 0, doc.lineCount, 0), text);
  assert.ok(await vscode.workspace.applyEdit(edit), `the edit of ${doc.uri.path} was not applied`);
}

/** Kills the running server and waits for the client to have started another (a new pid, initialized). */
async function crashAndWaitForRestart(): Promise<ServerState> {
  const before = await waitFor('a running server', async () => {
    const s = await serverState();
    return s.running && s.pid !== undefined && s;
  });
  const killed = await vscode.commands.executeCommand<number | undefined>('pgperf.debug.crashServer');
  assert.equal(killed, before.pid);
  return waitFor(`a new server after killing pid ${killed}`, async () => {
    const s = await serverState();
    return s.running && s.pid !== undefined && s.pid !== killed && s;
  });
}

const QUERIES = 'queries/events.sql';
const ON_DISK = ['4:offset-pagination', '7:partition-range-missing', '9:or-chain'];
// The unsaved buffer: a syntax error on a new first line. Only a server that was sent the buffer reports it.
const UNSAVED = ['1:syntax-error', '5:offset-pagination', '8:partition-range-missing', '10:or-chain'];

describe('pgperf language server crash and restart', () => {
  let queries: vscode.TextDocument;
  let original: string;

  before(async () => {
    queries = await vscode.workspace.openTextDocument(fileUri(QUERIES));
    original = queries.getText();
    await vscode.window.showTextDocument(queries);
    await waitForFindings(queries.uri, ON_DISK);
    await setText(queries, `SELEC id FROM event_log;\n${original}`);
    await waitForFindings(queries.uri, UNSAVED);
  });

  after(async () => {
    // Leave a running server and the file as found for any later suite.
    if (!(await serverState()).running) await vscode.commands.executeCommand('pgperf.restartServer');
    await setText(queries, original);
  });

  it('restarts a killed server with a warning, and the open document gets its diagnostics again, from its unsaved text', async () => {
    const start = await serverState();
    assert.deepEqual([start.recentCrashes, start.gaveUp, start.limit, start.windowMs, start.notices], [0, false, 5, 180_000, []]);
    const after = await crashAndWaitForRestart();
    assert.deepEqual(after.notices, [{ level: 'warning', message: 'pgperf language server stopped; restarting (1 of 5)' }]);
    assert.equal(after.recentCrashes, 1);
    // The restart dropped the old server's diagnostics; these come from the new one, which was sent the buffer.
    await waitForFindings(queries.uri, UNSAVED);
  });

  it('restarts up to 5 times in 3 minutes; the 6th crash leaves it stopped with an error naming pgperf.restartServer', async function () {
    this.timeout(150_000);
    for (let n = 2; n <= 5; n++) {
      const s = await crashAndWaitForRestart();
      assert.deepEqual(s.notices.at(-1), { level: 'warning', message: `pgperf language server stopped; restarting (${n} of 5)` });
      await waitForFindings(queries.uri, UNSAVED);
    }
    const last = await serverState();
    assert.ok(last.running && last.pid !== undefined);
    assert.equal(await vscode.commands.executeCommand<number | undefined>('pgperf.debug.crashServer'), last.pid);
    const stopped = await waitFor('the client to give up', async () => {
      const s = await serverState();
      return s.gaveUp && s;
    });
    assert.equal(stopped.recentCrashes, 6);
    assert.equal(stopped.notices.length, 6);
    assert.equal(stopped.notices.at(-1)?.level, 'error');
    assert.match(
      stopped.notices.at(-1)!.message,
      /^pgperf language server stopped 6 times in 3 minutes and will not be restarted\. .*\(pgperf\.restartServer\)/,
    );
    // Nothing starts another server behind the user's back.
    await new Promise((r) => setTimeout(r, 3000));
    const later = await serverState();
    assert.equal(later.running, false);
    assert.equal(later.notices.length, 6);
    assert.deepEqual(findings(queries.uri), []);
  });

  it('pgperf.restartServer starts it again with the count reset, and the open document gets its diagnostics', async () => {
    await vscode.commands.executeCommand('pgperf.restartServer');
    const s = await waitFor('the server to run again', async () => {
      const s = await serverState();
      return s.running && s;
    });
    assert.deepEqual([s.recentCrashes, s.gaveUp], [0, false]);
    await waitForFindings(queries.uri, UNSAVED);
    // The count starts afresh: the next crash is restart 1 of 5 again.
    const again = await crashAndWaitForRestart();
    assert.deepEqual(again.notices.at(-1), { level: 'warning', message: 'pgperf language server stopped; restarting (1 of 5)' });
    await waitForFindings(queries.uri, UNSAVED);
  });
});
