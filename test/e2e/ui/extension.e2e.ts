/**
 * The packaged extension (.vsix) installed in code-server and driven through the workbench in Chromium, step by
 * step as a user would. Every step saves a screenshot under test-results/e2e/ui/ (and, with PGPERF_SCREENSHOTS
 * set, in that folder: `npm run screenshots` regenerates the README pictures this way).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openWorkbench, type Workbench } from '../harness/code-server';
import { artifactsDir } from '../harness/runtime';
import { answerInput, editorText, goTo, openFile, pickItem, quickFix, quickInputHidden, runCommand, screenshot, visibleWebview } from '../harness/workbench';

const SHOTS = artifactsDir('ui');
/** The test environment's PostgreSQL server (.ci/run sets PGPERF_TEST_DATABASE_URL; trust auth, no password). */
const TEST_URL = new URL(process.env.PGPERF_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test');
const TEST_SERVER = {
  name: 'test-server',
  host: TEST_URL.hostname,
  port: Number(TEST_URL.port || 5432),
  database: TEST_URL.pathname.slice(1) || 'postgres',
  user: decodeURIComponent(TEST_URL.username || 'postgres'),
  sslmode: 'disable',
};

describe('pgperf in VS Code (code-server + Chromium, the packaged .vsix)', () => {
  let wb: Workbench;
  let page: Page;

  beforeAll(async () => {
    wb = await openWorkbench('ui', { workspaceSettings: { 'pgperf.connections': [TEST_SERVER] } });
    page = wb.page;
  });

  afterAll(async () => {
    if (page) await screenshot(page, SHOTS, 'last-state').catch(() => undefined);
    await wb?.close();
  });

  it('shows the findings of a SQL file as squiggles and Problems rows', async () => {
    await openFile(page, 'queries/events.sql');
    await page.locator('.editor-group-container.active .monaco-editor .squiggly-warning').first().waitFor({ timeout: 60_000 });
    await page.keyboard.press('Control+Shift+M');
    const rows = page.locator('.markers-panel .monaco-list-row');
    await expect.poll(async () => rows.count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(6); // 3 files + 4 findings
    const text = (await rows.allInnerTexts()).join('\n');
    for (const rule of ['offset-pagination', 'partition-range-missing', 'or-chain', 'create-index-concurrently']) expect(text).toContain(rule);
    expect(text).toMatch(/OFFSET 100 reads and discards every skipped row/);
    await screenshot(page, SHOTS, 'problems');
  });

  it('applies the keyset-pagination quick fix from the light bulb', async () => {
    await goTo(page, 4, 38);
    const action = await quickFix(page, 'Use keyset pagination');
    await screenshot(page, SHOTS, 'quick-fix', { readme: true });
    await action.click();
    await expect.poll(() => editorText(page)).toContain("created_at >= '2026-11-01' AND created_at < $1");
    const text = await editorText(page);
    expect(text).toContain('ORDER BY created_at DESC LIMIT 50;');
    expect(text).not.toContain('OFFSET');
    await screenshot(page, SHOTS, 'quick-fix-applied');
  });

  it('runs Explain Analyze on the embedded database and shows the plan and a finding', async () => {
    await goTo(page, 7, 1);
    await runCommand(page, 'pgperf: Explain Analyze');
    const view = visibleWebview(page);
    await view.getByText('embedded', { exact: false }).first().waitFor({ timeout: 90_000 });
    const body = view.locator('body');
    await expect.poll(() => body.innerText(), { timeout: 90_000 }).toMatch(/Append/);
    const text = await body.innerText();
    expect(text).toMatch(/event_log_2026_10/);
    expect(text).toMatch(/partitions-not-pruned/);
    expect(text).toMatch(/SELECT count\(\*\) FROM event_log WHERE tenant_id = 42/);
    // Room for the panel in the picture: no side bar, no bottom panel, no notifications.
    for (const command of ['View: Close Primary Side Bar', 'View: Hide Panel', 'Notifications: Clear All Notifications']) await runCommand(page, command);
    await quickInputHidden(page);
    await screenshot(page, SHOTS, 'explain', { readme: true });
  });

  it('runs a small HNSW benchmark from the command palette and shows the report', async () => {
    await goTo(page, 1, 1); // back in the SQL editor
    await page.keyboard.press('Control+S');
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'pgperf: Benchmark HNSW');
    await pickItem(page, 'Synthetic: clustered');
    await pickItem(page, '2,000 × 64');
    await pickItem(page, 'cosine');
    await pickItem(page, 'Custom grid');
    await answerInput(page, 'm (2', '8,16');
    await answerInput(page, 'ef_construction', '64');
    await answerInput(page, 'ef_search', '10,40');
    await answerInput(page, 'k (neighbours', '10');
    await answerInput(page, 'Recall target', '0.9');
    const view = visibleWebview(page);
    await view.locator('table').first().waitFor({ timeout: 150_000 });
    const text = await view.locator('body').innerText();
    expect(text).toMatch(/ef_search/);
    expect(text).toMatch(/recall/i);
    const plot = view.locator('svg').first();
    await plot.waitFor();
    expect(await plot.locator('circle, path, line').count()).toBeGreaterThan(4);
    await view.getByRole('heading', { name: 'Recommendation' }).scrollIntoViewIfNeeded();
    await screenshot(page, SHOTS, 'hnsw-report', { readme: true });
  });

  it('runs Database Health on the embedded database: the checks that make sense there, the others with why, a fix to open', async () => {
    await runCommand(page, 'View: Close All Editors');
    await runCommand(page, 'pgperf: Database Health');
    const view = visibleWebview(page);
    const body = view.locator('body');
    await view.getByRole('heading', { name: /Could not run/ }).waitFor({ timeout: 90_000 });
    const text = await body.innerText();
    expect(text).toMatch(/embedded PGlite/);
    // The fixture's event_log has its partitions up to 2027-01-01: fewer than three months ahead.
    expect(text).toMatch(/Partitioning/);
    expect(text).toMatch(/CREATE TABLE public\.event_log_2027_01 PARTITION OF public\.event_log/);
    expect(text).toMatch(/embedded database: the embedded database serves one session: pgperf itself/);
    expect(text).toMatch(/Trend over this panel's life \(1 run\)/);
    // Refresh runs the checks again: a second sample.
    await view.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => body.innerText(), { timeout: 90_000 }).toMatch(/Trend over this panel's life \(2 runs\)/);
    await runCommand(page, 'Notifications: Clear All Notifications');
    await quickInputHidden(page);
    await screenshot(page, SHOTS, 'health-embedded');
    // Open in Editor: the fix in an untitled SQL editor, not run.
    await view.getByRole('button', { name: 'Open in Editor' }).first().click();
    await expect.poll(() => editorText(page), { timeout: 30_000 }).toContain('CREATE TABLE public.event_log_2027_01 PARTITION OF public.event_log');
    await screenshot(page, SHOTS, 'health-fix-opened');
  });

  it('runs Database Health against the PostgreSQL test server: the checks run there, the page names the server', async () => {
    await runCommand(page, 'View: Close All Editors');
    // The fix opened in an untitled editor by the step before: not saved.
    const dontSave = page.getByRole('button', { name: "Don't Save" });
    await dontSave.waitFor({ timeout: 10_000 });
    await dontSave.click();
    await runCommand(page, 'pgperf: Pick Connection');
    await pickItem(page, 'test-server');
    await runCommand(page, 'pgperf: Database Health');
    // First connect to a profile: the password prompt (trust auth here: none).
    await answerInput(page, 'leave empty for none', '');
    const view = visibleWebview(page);
    const body = view.locator('body');
    await expect.poll(() => body.innerText(), { timeout: 90_000 }).toMatch(/\d+ errors?, \d+ warnings?, \d+ info; \d+ skipped, \d+ failed \(of 14 checks\)/);
    const text = await body.innerText();
    expect(text).toMatch(new RegExp(`${TEST_SERVER.host.replace(/\./g, '\\.')}:${TEST_SERVER.port}/${TEST_SERVER.database}`));
    expect(text).toMatch(/PostgreSQL 15|15\.\d+/);
    expect(text).not.toMatch(/embedded database:/);
    // The vitals are read on every run: the trend has numbers from the first one.
    expect(text).toMatch(/Trend over this panel's life \(1 run\)/);
    expect(await view.locator('svg[id^="trend-"]').count()).toBeGreaterThan(0);
    await runCommand(page, 'Notifications: Clear All Notifications'); // the side bar was closed by the EXPLAIN step
    await quickInputHidden(page);
    await screenshot(page, SHOTS, 'health', { readme: true });
  });
});
