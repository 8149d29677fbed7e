/** Code actions over the protocol: the rule's fix, the ignore actions, fix-all; applied edits clear findings. */
import { describe, expect, it } from 'vitest';
import type { CodeAction, Diagnostic } from 'vscode-languageserver-protocol';
import { applyTextEdits, editsFor, isCodeAction, rangeOf, replaceAll, urisOf, type LspClient } from './client';
import { codes, has, of, start } from './harness';

const PAGE = 'SELECT id, name FROM t ORDER BY id LIMIT 10 OFFSET 20;\n';

/** The actions the server offers for one diagnostic (code actions only, edits resolved when deferred). */
async function actionsFor(client: LspClient, uri: string, d: Diagnostic, only?: string[]): Promise<CodeAction[]> {
  const raw = (await client.codeActions(uri, d.range, [d], only)) ?? [];
  const actions = raw.filter(isCodeAction);
  expect(actions.length, 'code actions must be CodeAction literals, not bare Commands').toBe(raw.length);
  return Promise.all(actions.map(async (a) => (a.edit || a.command ? a : client.request<CodeAction>('codeAction/resolve', a))));
}

/** Applies an action's WorkspaceEdit to `text` (the document `uri`), sends it as one incremental didChange. */
function apply(client: LspClient, uri: string, text: string, version: number, action: CodeAction): string {
  expect(action.edit, `action "${action.title}" has an edit`).toBeDefined();
  expect(urisOf(action.edit)).toEqual([uri]);
  const edits = editsFor(action.edit, uri);
  expect(edits.length).toBeGreaterThan(0);
  const next = applyTextEdits(text, edits);
  client.change(uri, version, [replaceAll(text, next)]);
  return next;
}

/** The action whose title matches `re`, failing with the titles offered when there is none. */
function pick(actions: CodeAction[], re: RegExp): CodeAction {
  const a = actions.find((x) => re.test(x.title));
  expect(a, `an action matching ${re} among ${JSON.stringify(actions.map((x) => x.title))}`).toBeDefined();
  return a!;
}

async function opened(text: string, rule: string) {
  const s = await start();
  const u = s.uri('q.sql');
  s.client.open(u, text, 1);
  const p = await s.client.waitForDiagnostics(u, has(rule));
  return { ...s, u, diagnostic: of(p.diagnostics, rule)[0], all: p.diagnostics };
}

describe('lsp: code actions', () => {
  it('offer the fix (quickfix, preferred) and the ignore and fix-all actions for a finding', async () => {
    // two findings of the rule, so "Fix all" is meaningful
    const { client, u, diagnostic } = await opened(PAGE + PAGE.replace('20', '40'), 'offset-pagination');
    // Fixes are computed on request (code actions), so diagnostics stay cheap to publish on every edit.
    expect(diagnostic.data).toBeUndefined();
    const actions = await actionsFor(client, u, diagnostic);
    const titles = actions.map((a) => a.title);
    const fix = actions.find((a) => a.kind === 'quickfix' && /keyset/i.test(a.title));
    expect(fix, `a keyset quickfix among ${JSON.stringify(titles)}`).toBeDefined();
    expect(fix!.title).toBe('Use keyset pagination: drop OFFSET, add id > $1 ($1 = last row of the previous page)');
    expect(fix!.isPreferred).toBe(true);
    expect(fix!.diagnostics?.map((d) => d.code)).toEqual(['offset-pagination']);
    pick(actions, /^Ignore offset-pagination for this statement/);
    pick(actions, /^Ignore offset-pagination in this file/);
    expect(pick(actions, /^Fix all offset-pagination in this file/).kind).toBe('source.fixAll.pgperf');
    // only the preferred fix is preferred
    expect(actions.filter((a) => a.isPreferred)).toHaveLength(1);
  });

  it('offer Compare with Fix for a query finding with a fix: a command carrying both statements', async () => {
    const { client, u, diagnostic } = await opened(PAGE, 'offset-pagination');
    const compare = pick(await actionsFor(client, u, diagnostic), /^pgperf: Compare with Fix/);
    expect(compare.edit).toBeUndefined();
    expect(compare.isPreferred).toBeFalsy();
    expect(compare.command?.command).toBe('pgperf.compareFix');
    const [arg] = compare.command!.arguments as [{ comparison: Record<string, unknown>; where: string }];
    expect(arg.where).toBe('q.sql:1');
    expect(arg.comparison).toMatchObject({
      rule: 'offset-pagination',
      before: 'SELECT id, name FROM t ORDER BY id LIMIT 10 OFFSET 20',
      after: 'SELECT id, name FROM t WHERE id > $1 ORDER BY id LIMIT 10',
      setup: [],
      beforeParams: 0,
      afterParams: 1,
      lastRow: { sql: 'SELECT (id)::text AS pgperf_key_1 FROM t ORDER BY id LIMIT LEAST(1, 10) OFFSET (20) - 1', params: [1] },
    });
  });

  it('offer no Compare with Fix for a finding on DDL (nothing to time)', async () => {
    const { client, u, diagnostic } = await opened('REINDEX TABLE t;\n', 'reindex-concurrently');
    const titles = (await actionsFor(client, u, diagnostic)).map((a) => a.title);
    expect(titles.some((t) => /REINDEX TABLE CONCURRENTLY|concurrently/i.test(t))).toBe(true);
    expect(titles.filter((t) => /Compare with Fix/.test(t))).toEqual([]);
  });

  it('applying the fix clears the finding, and the fixed SQL is valid', async () => {
    const { client, u, diagnostic } = await opened(PAGE, 'offset-pagination');
    const fix = (await actionsFor(client, u, diagnostic)).find((a) => a.kind === 'quickfix' && a.isPreferred)!;
    const fixed = apply(client, u, PAGE, 2, fix);
    expect(fixed).toBe('SELECT id, name FROM t WHERE id > $1 ORDER BY id LIMIT 10;\n');
    const p = await client.waitForDiagnostics(u, (_, p) => p.version === 2);
    expect(codes(p.diagnostics)).toEqual([]);
  });

  it('fixes of other rules apply too (or-chain, reindex-concurrently)', async () => {
    const text = 'SELECT id FROM t WHERE a = 1 OR a = 2 OR a = 3;\nREINDEX TABLE t;\n';
    const { client, u, all } = await opened(text, 'or-chain');
    expect(codes(all)).toEqual(['or-chain', 'reindex-concurrently']);
    let cur = text;
    let v = 1;
    for (const rule of ['or-chain', 'reindex-concurrently']) {
      const d = of(client.latest(u)!.diagnostics, rule)[0];
      const fix = (await actionsFor(client, u, d)).find((a) => a.kind === 'quickfix' && a.isPreferred)!;
      expect(fix, `${rule} has a preferred quickfix`).toBeDefined();
      cur = apply(client, u, cur, ++v, fix);
      const version = v;
      const p = await client.waitForDiagnostics(u, (_, p) => p.version === version);
      expect(codes(p.diagnostics)).not.toContain(rule);
    }
    expect(cur).toBe('SELECT id FROM t WHERE a = ANY(ARRAY[1, 2, 3]);\nREINDEX TABLE CONCURRENTLY t;\n');
  });

  it('"Ignore <rule> for this statement" inserts the suppression comment above it and clears the finding', async () => {
    const text = 'SELECT 1;\n' + PAGE;
    const { client, u, diagnostic } = await opened(text, 'offset-pagination');
    const ignore = pick(await actionsFor(client, u, diagnostic), /^Ignore offset-pagination for this statement/);
    expect(ignore.kind).toBe('quickfix');
    const next = apply(client, u, text, 2, ignore);
    const lines = next.split('\n');
    expect(lines[0]).toBe('SELECT 1;');
    expect(lines[1]).toMatch(/^-- pgperf-ignore offset-pagination: \S/);
    expect(lines[2]).toBe(PAGE.trimEnd());
    const p = await client.waitForDiagnostics(u, (_, p) => p.version === 2);
    expect(codes(p.diagnostics)).toEqual([]);
  });

  it('"Ignore <rule> in this file" inserts pgperf-ignore-file at the top and clears every finding of the rule', async () => {
    const text = PAGE + PAGE.replace('20', '40');
    const { client, u, all } = await opened(text, 'offset-pagination');
    expect(of(all, 'offset-pagination')).toHaveLength(2);
    const ignore = pick(await actionsFor(client, u, of(all, 'offset-pagination')[1]), /^Ignore offset-pagination in this file/);
    const next = apply(client, u, text, 2, ignore);
    expect(next.split('\n')[0]).toMatch(/^-- pgperf-ignore-file offset-pagination\b/);
    const p = await client.waitForDiagnostics(u, (_, p) => p.version === 2);
    expect(codes(p.diagnostics)).toEqual([]);
  });

  it('"Fix all <rule> in this file" fixes every finding of that rule only', async () => {
    const text = PAGE + PAGE.replace('20', '40') + 'REINDEX TABLE t;\n';
    const { client, u, all } = await opened(text, 'offset-pagination');
    const fixAll = pick(await actionsFor(client, u, of(all, 'offset-pagination')[0]), /^Fix all offset-pagination in this file/);
    const next = apply(client, u, text, 2, fixAll);
    const p = await client.waitForDiagnostics(u, (_, p) => p.version === 2);
    expect(codes(p.diagnostics)).toEqual(['reindex-concurrently']);
    expect(next).not.toMatch(/OFFSET/);
  });

  it('a source.fixAll request returns one action fixing every fixable finding of the file', async () => {
    const text =
      'SELECT id FROM t WHERE a = 1 OR a = 2;\n' + 'REINDEX INDEX t_idx;\n' + 'SELECT id, name FROM t ORDER BY id LIMIT 10 OFFSET $1;\n' + 'VACUUM FULL t;\n';
    const { client, u, all } = await opened(text, 'vacuum-full');
    expect(codes(all)).toEqual(['offset-pagination', 'or-chain', 'reindex-concurrently', 'vacuum-full']);
    for (const only of [['source.fixAll'], ['source.fixAll.pgperf']]) {
      const raw = (await client.codeActions(u, rangeOf(text, 0, text.length), all, only)) ?? [];
      const actions = raw.filter(isCodeAction);
      expect(actions, `one action for only=${only}`).toHaveLength(1);
      expect(actions[0].kind).toBe('source.fixAll.pgperf');
    }
    const [fixAll] = (await actionsFor(client, u, all[0], ['source.fixAll'])).filter((a) => a.kind === 'source.fixAll.pgperf');
    apply(client, u, text, 2, fixAll);
    const p = await client.waitForDiagnostics(u, (_, p) => p.version === 2);
    expect(codes(p.diagnostics)).toEqual(['vacuum-full']);
  });

  it('asking for quickfixes only returns no source actions; a range without findings returns none', async () => {
    const text = 'SELECT 1;\n' + PAGE;
    const { client, u, diagnostic } = await opened(text, 'offset-pagination');
    const quick = await actionsFor(client, u, diagnostic, ['quickfix']);
    expect(quick.length).toBeGreaterThan(0);
    expect(quick.every((a) => a.kind === 'quickfix')).toBe(true);
    const none = (await client.codeActions(u, rangeOf(text, 0, 3), [])) ?? [];
    expect(none.filter((a) => isCodeAction(a) && a.kind === 'quickfix')).toEqual([]);
  });
});
