/**
 * The packaged extension inside a real VS Code extension host, driven through the `vscode` API the way other
 * extensions and the workbench use it. The workspace is a fresh copy of test/e2e/fixtures/workspace.
 * `typescript` is the project's compiler (left out of the bundle by build-host.mjs), to check a host file stays valid.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import ts from 'typescript';
import * as vscode from 'vscode';

const EXTENSION_ID = 'pgperf.pgperf';

const root = (): vscode.Uri => {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests need the fixture workspace open as a folder');
  return folder.uri;
};
const fileUri = (rel: string): vscode.Uri => vscode.Uri.joinPath(root(), rel);

const ruleOf = (d: vscode.Diagnostic): string => String(typeof d.code === 'object' ? d.code.value : d.code);

/** pgperf's findings of a file as `line:rule` (1-based lines), in line order: easy to compare and to read in a failure. */
function findings(uri: vscode.Uri): string[] {
  return vscode.languages
    .getDiagnostics(uri)
    .filter((d) => d.source === 'pgperf')
    .sort((a, b) => a.range.start.line - b.range.start.line || ruleOf(a).localeCompare(ruleOf(b)))
    .map((d) => `${d.range.start.line + 1}:${ruleOf(d)}`);
}

/** Polls until `probe` returns something other than undefined/false; the error names what was awaited and what was seen last. */
async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitForFindings(rel: string, expected: string[], timeoutMs?: number): Promise<void> {
  const uri = fileUri(rel);
  const same = () => JSON.stringify(findings(uri)) === JSON.stringify(expected);
  try {
    await waitFor(`${rel} to have findings ${JSON.stringify(expected)}`, same, timeoutMs);
  } catch (e) {
    throw new Error(`${(e as Error).message}; it has ${JSON.stringify(findings(uri))}`, { cause: e });
  }
}

/** Replaces a document's whole text in the editor buffer (not saved), as a user edit would. */
async function setText(doc: vscode.TextDocument, text: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, new vscode.Range(0, 0, doc.lineCount, 0), text);
  assert.ok(await vscode.workspace.applyEdit(edit), `the edit of ${doc.uri.path} was not applied`);
}

const QUERIES = 'queries/events.sql';
const SCHEMA = 'schema/001_tables.sql';
const MIGRATION = 'migrations/002_accounts_name.sql';
const QUERY_FINDINGS = ['4:offset-pagination', '7:partition-range-missing', '9:or-chain'];

describe('pgperf in the extension host', () => {
  let queries: vscode.TextDocument;
  let original: string;

  before(async () => {
    queries = await vscode.workspace.openTextDocument(fileUri(QUERIES));
    original = queries.getText();
    await vscode.window.showTextDocument(queries);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('pgperf').update('rules', undefined, vscode.ConfigurationTarget.Workspace);
  });

  it('activates on a .sql file', async () => {
    assert.equal(queries.languageId, 'sql');
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is not installed`);
    await waitFor(`${EXTENSION_ID} to activate`, () => extension.isActive);
  });

  it('registers every contributed command', async () => {
    const contributed = (vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.commands as { command: string }[]).map((c) => c.command);
    assert.ok(contributed.length >= 10, `only ${contributed.length} commands in package.json`);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(
      contributed.filter((c) => !registered.has(c)),
      [],
      'contributed commands that are not registered',
    );
  });

  it('publishes the findings of every workspace file, open or not, with the catalog built across files', async () => {
    await waitForFindings(QUERIES, QUERY_FINDINGS);
    // Never opened: the server scanned the workspace. The table it indexes was created in schema/.
    await waitForFindings(MIGRATION, ['2:create-index-concurrently']);
    await waitForFindings(SCHEMA, []);
    const partition = vscode.languages.getDiagnostics(fileUri(QUERIES)).find((d) => ruleOf(d) === 'partition-range-missing');
    assert.match(partition!.message, /range-partitioned by created_at \(declared in schema\/001_tables\.sql\)/);
    assert.equal(partition!.severity, vscode.DiagnosticSeverity.Warning);
  });

  it('re-lints other files when an edit changes the catalog', async () => {
    const schema = await vscode.workspace.openTextDocument(fileUri(SCHEMA));
    const declared = schema.getText();
    assert.ok(declared.includes(') PARTITION BY RANGE (created_at);'));
    // event_log no longer partitioned (in the unsaved buffer): the query's partition finding goes away.
    await setText(schema, declared.replace(') PARTITION BY RANGE (created_at);', ');'));
    await waitForFindings(QUERIES, ['4:offset-pagination', '9:or-chain']);
    await setText(schema, declared);
    await waitForFindings(QUERIES, QUERY_FINDINGS);
  });

  it('offers the keyset-pagination fix; applying it rewrites the query and clears the finding', async () => {
    const offset = vscode.languages.getDiagnostics(queries.uri).find((d) => ruleOf(d) === 'offset-pagination');
    assert.ok(offset);
    assert.equal(queries.getText(offset.range), 'OFFSET 100');
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      queries.uri,
      offset.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    const keyset = actions.find((a) => a.title.startsWith('Use keyset pagination'));
    assert.ok(keyset?.edit, `no keyset fix among ${JSON.stringify(actions.map((a) => a.title))}`);
    assert.equal(keyset.isPreferred, true);
    assert.ok(await vscode.workspace.applyEdit(keyset.edit));
    assert.equal(
      queries.getText(),
      original.replace(
        "WHERE tenant_id = 42 AND created_at >= '2026-11-01'\nORDER BY created_at DESC LIMIT 50 OFFSET 100;",
        "WHERE tenant_id = 42 AND created_at >= '2026-11-01' AND created_at < $1\nORDER BY created_at DESC LIMIT 50;",
      ),
    );
    await waitForFindings(QUERIES, ['7:partition-range-missing', '9:or-chain']);
    await setText(queries, original);
    await waitForFindings(QUERIES, QUERY_FINDINGS);
  });

  it('takes a rule set to off in the settings without a restart, and back on', async () => {
    const settings = vscode.workspace.getConfiguration('pgperf');
    await settings.update('rules', { 'or-chain': 'off' }, vscode.ConfigurationTarget.Workspace);
    await waitForFindings(QUERIES, ['4:offset-pagination', '7:partition-range-missing']);
    await settings.update('rules', { 'or-chain': 'error' }, vscode.ConfigurationTarget.Workspace);
    await waitFor('or-chain as an error', () =>
      vscode.languages.getDiagnostics(queries.uri).some((d) => ruleOf(d) === 'or-chain' && d.severity === vscode.DiagnosticSeverity.Error),
    );
    await settings.update('rules', undefined, vscode.ConfigurationTarget.Workspace);
    await waitFor('or-chain back to a warning', () =>
      vscode.languages.getDiagnostics(queries.uri).some((d) => ruleOf(d) === 'or-chain' && d.severity === vscode.DiagnosticSeverity.Warning),
    );
  });

  it('reports unparsable SQL as a syntax error and goes on linting the rest', async () => {
    await setText(queries, `SELEC id FROM event_log;\n${original}`);
    await waitForFindings(QUERIES, ['1:syntax-error', '5:offset-pagination', '8:partition-range-missing', '10:or-chain']);
    await setText(queries, original);
    await waitForFindings(QUERIES, QUERY_FINDINGS);
  });
});

/**
 * The first argument of the file's `pool.query(...)` call as TypeScript reads it, with the file's syntax errors:
 * an edit that broke the template literal (a stray backtick, a lost `${`) shows in one or the other.
 */
function queryLiteral(text: string): { errors: string[]; literal?: { template: boolean; text: string } } {
  const { diagnostics = [] } = ts.transpileModule(text, { fileName: 'posts.ts', reportDiagnostics: true });
  const errors = diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  const source = ts.createSourceFile('posts.ts', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  let literal: { template: boolean; text: string } | undefined;
  const visit = (node: ts.Node): void => {
    if (!literal && ts.isCallExpression(node) && node.expression.getText(source) === 'pool.query' && node.arguments.length > 0) {
      const arg = node.arguments[0];
      // A template literal without ${} holes (SyntaxKind names it by an alias, so ask the guard).
      literal = { template: ts.isNoSubstitutionTemplateLiteral(arg), text: ts.isStringLiteralLike(arg) ? arg.text : arg.getText(source) };
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { errors, literal };
}

const POSTS = 'src/posts.ts';

describe('pgperf on SQL in a TypeScript file (node-postgres pool.query with a template literal)', () => {
  let posts: vscode.TextDocument;
  let original: string;

  before(async () => {
    posts = await vscode.workspace.openTextDocument(fileUri(POSTS));
    original = posts.getText();
    await vscode.window.showTextDocument(posts);
  });

  it('publishes offset-pagination with its range exactly on OFFSET $1 inside the template literal', async () => {
    assert.equal(posts.languageId, 'typescript');
    await waitForFindings(POSTS, ['17:offset-pagination']);
    const offset = vscode.languages.getDiagnostics(posts.uri).find((d) => ruleOf(d) === 'offset-pagination')!;
    // Line 17 of the host file is `      LIMIT 20 OFFSET $1\`,`: columns 16–24 (1-based), then the closing backtick.
    assert.deepEqual([offset.range.start.line, offset.range.start.character, offset.range.end.line, offset.range.end.character], [16, 15, 16, 24]);
    assert.equal(posts.getText(offset.range), 'OFFSET $1');
    assert.equal(posts.lineAt(16).text.slice(offset.range.end.character), '`,');
    assert.match(offset.message, /^OFFSET \$1 reads and discards every skipped row/);
    assert.equal(offset.severity, vscode.DiagnosticSeverity.Warning);
  });

  it('applies the keyset fix from the code actions: the predicate lands in the template literal, which stays valid TypeScript', async () => {
    const before = queryLiteral(original);
    assert.deepEqual(before.errors, []);
    assert.equal(before.literal?.template, true);
    assert.match(before.literal!.text, /LIMIT 20 OFFSET \$1$/);

    const offset = vscode.languages.getDiagnostics(posts.uri).find((d) => ruleOf(d) === 'offset-pagination');
    assert.ok(offset, `no offset-pagination on ${POSTS}: ${JSON.stringify(findings(posts.uri))}`);
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      posts.uri,
      offset.range,
      vscode.CodeActionKind.QuickFix.value,
    );
    const keyset = actions.find((a) => a.title.startsWith('Use keyset pagination'));
    assert.ok(keyset?.edit, `no keyset fix among ${JSON.stringify(actions.map((a) => a.title))}`);
    assert.equal(keyset.isPreferred, true);
    assert.ok(await vscode.workspace.applyEdit(keyset.edit));

    // OFFSET $1 goes, and the same parameter (the pool.query values are untouched) becomes the last id seen.
    const fixed = posts.getText();
    assert.equal(fixed, original.replace('      ORDER BY id\n      LIMIT 20 OFFSET $1`,', '      WHERE id > $1\n      ORDER BY id\n      LIMIT 20`,'));
    const after = queryLiteral(fixed);
    assert.deepEqual(after.errors, []);
    assert.deepEqual(after.literal, {
      template: true,
      text: 'SELECT id, title, published_at\n       FROM posts\n      WHERE id > $1\n      ORDER BY id\n      LIMIT 20',
    });
    // pgperf reads the edited string again: no syntax error, no OFFSET.
    await waitForFindings(POSTS, []);

    await setText(posts, original);
    await waitForFindings(POSTS, ['17:offset-pagination']);
  });
});
