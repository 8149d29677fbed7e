/**
 * Issue 18, "answers before the scan finishes are different answers": an editor restoring its tabs opens a file and
 * asks for code actions right after start. Those answers (and the first diagnostics of the file) must be the ones
 * the workspace catalog gives, not the ones a file alone gives: the expansion of `*` needs the table's columns, the
 * `= ANY(…::uuid[])` rewrite needs the column's type.
 */
import { describe, expect, it } from 'vitest';
import type { CodeAction, Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { isCodeAction, LspClient, fileUri, makeWorkspace, removeWorkspace } from './client';
import { has, messageOf, start } from './harness';

const QUERY = 'SELECT * FROM accounts WHERE owner_id = $1 OR owner_id = $2 OR owner_id = $3;\n';
const FILES: Record<string, string> = {
  '.pgperf.json': '{ "rules": { "select-star": "info" } }\n',
  'migrations/001_accounts.sql':
    'CREATE TABLE accounts (id uuid PRIMARY KEY, owner_id uuid NOT NULL, name text NOT NULL, email text);\n' +
    'CREATE INDEX accounts_owner_idx ON accounts (owner_id);\n',
  'q.sql': QUERY,
};
const EXPAND = 'Expand * to the column list';
const REWRITE = 'Rewrite as owner_id = ANY(ARRAY[$1, $2, $3]::uuid[])';

const summary = (ds: Diagnostic[]) => ds.map((d) => `${String(d.code)}: ${messageOf(d)}`).sort();
const titles = (actions: unknown) => ((actions as CodeAction[] | null) ?? []).filter(isCodeAction).map((a) => a.title);

/** What a server that finished its scan says about q.sql: its diagnostics and the titles of its code actions. */
async function reference(files: Record<string, string>) {
  const { client, uri } = await start(files);
  const u = uri('q.sql');
  client.open(u, QUERY, 1);
  const p = await client.waitForDiagnostics(u, (ds) => has('select-star')(ds) && has('or-chain')(ds));
  const actions = titles(await client.codeActions(u, p.diagnostics[0].range, p.diagnostics));
  // The catalog's answers, so that the comparisons below say something.
  expect(actions).toContain(EXPAND);
  expect(actions).toContain(REWRITE);
  await client.shutdown();
  return { diagnostics: p.diagnostics, summary: summary(p.diagnostics), actions };
}

/**
 * A fresh server on `files` whose client opens q.sql and asks for its code actions straight after `initialized`.
 * With `holdConfiguration`, the answer to the server's first workspace/configuration request is written only
 * after the didOpen and the code action request: the server reads them before it can start the scan, every time.
 */
async function openAtStart(files: Record<string, string>, diagnostics: Diagnostic[], holdConfiguration: boolean) {
  const dir = makeWorkspace(files);
  const client = LspClient.start({ cwd: dir });
  try {
    let release!: () => void;
    const sent = new Promise<void>((r) => (release = r));
    if (holdConfiguration) {
      client.conn.onRequest('workspace/configuration', async (p: { items: unknown[] }) => {
        await sent;
        return p.items.map(() => ({}));
      });
    } else release();
    await client.initialize(dir);
    const u = fileUri(`${dir}/q.sql`);
    client.open(u, QUERY, 1);
    const answer = client.codeActions(u, diagnostics[0].range, diagnostics);
    release();
    const actions = titles(await answer);
    await client.waitForDiagnostics(u, () => true, 15_000);
    const first = client.published.get(u)![0];
    return { actions, first };
  } finally {
    await client.shutdown();
    removeWorkspace(dir);
  }
}

function check(ref: { summary: string[]; actions: string[] }, got: { actions: string[]; first: PublishDiagnosticsParams }, failures: string[], i: number) {
  if (JSON.stringify(got.actions) !== JSON.stringify(ref.actions)) failures.push(`#${i} code actions: ${JSON.stringify(got.actions)}`);
  const firstSummary = summary(got.first.diagnostics);
  if (JSON.stringify(firstSummary) !== JSON.stringify(ref.summary)) failures.push(`#${i} first diagnostics: ${JSON.stringify(firstSummary)}`);
  if (got.first.version !== 1) failures.push(`#${i} first diagnostics for version ${got.first.version}`);
}

describe('lsp: answers given while the workspace scan runs', () => {
  it('a code action asked before the scan started is answered with the catalog, and the first diagnostics include it', async () => {
    const ref = await reference(FILES);
    const failures: string[] = [];
    for (let i = 0; i < 3; i++) check(ref, await openAtStart(FILES, ref.diagnostics, true), failures, i);
    expect(failures, `expected ${JSON.stringify(ref.actions)} and ${JSON.stringify(ref.summary)}`).toEqual([]);
  }, 60_000);

  it('the same while a big workspace is being read and linted (no configuration held back)', async () => {
    // Files sorted before the migration, so most of the scan happens before the table is known.
    const files = { ...FILES };
    const filler = Array.from({ length: 40 }, (_, k) => `SELECT id, name FROM things_${k} WHERE id = ${k} ORDER BY id LIMIT 10 OFFSET ${k};`).join('\n');
    for (let k = 0; k < 200; k++) files[`a/f${String(k).padStart(3, '0')}.sql`] = filler + '\n';
    const ref = await reference(files);
    const failures: string[] = [];
    for (let i = 0; i < 3; i++) check(ref, await openAtStart(files, ref.diagnostics, false), failures, i);
    expect(failures, `expected ${JSON.stringify(ref.actions)} and ${JSON.stringify(ref.summary)}`).toEqual([]);
  }, 120_000);
});
