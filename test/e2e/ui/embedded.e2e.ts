/**
 * SQL in application code, as a user meets it: the packaged .vsix in code-server, a TypeScript file of the fixture
 * workspace (src/posts.ts, a node-postgres pool.query with a multi-line template literal) opened in the editor.
 * Screenshots go to test-results/e2e/embedded/ (the README picture also to $PGPERF_SCREENSHOTS when set).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { openWorkbench, type Workbench } from '../harness/code-server';
import { artifactsDir } from '../harness/runtime';
import { answerInput, editorText, goTo, openFile, quickFix, quickInputHidden, runCommand, screenshot, visibleWebview } from '../harness/workbench';

const SHOTS = artifactsDir('embedded');
/** Where OFFSET $1 is in src/posts.ts: line 17, columns 16–24 (1-based), inside the template literal. */
const OFFSET_LINE = 17;
const OFFSET_COLUMN = 16;

const editor = (page: Page): Locator => page.locator('.editor-group-container.active .monaco-editor');

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/**
 * Screen boxes of the active editor's warning squiggles and of the text `needle` on the line that holds it: the
 * squiggle is a decoration layer of its own, so only its place on screen says which characters it underlines.
 * (A script string: the project's TypeScript has no DOM types.)
 */
async function squigglesAndText(page: Page, needle: string): Promise<{ squiggles: Box[]; text?: Box }> {
  return page.evaluate(`(() => {
    const needle = ${JSON.stringify(needle)};
    const root = document.querySelector('.editor-group-container.active .monaco-editor');
    const box = (r) => ({ left: r.left, right: r.right, top: r.top, bottom: r.bottom });
    const squiggles = [...root.querySelectorAll('.squiggly-warning')].map((e) => box(e.getBoundingClientRect()));
    for (const line of root.querySelectorAll('.view-lines .view-line')) {
      // The line's text nodes in order (the needle may span several token spans; spaces are rendered as U+00A0).
      const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      const nodes = [];
      for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
      const at = nodes.map((n) => n.data).join('').replace(/\u00a0/g, ' ').indexOf(needle);
      if (at < 0) continue;
      const range = document.createRange();
      let seen = 0;
      for (const n of nodes) {
        if (at >= seen && at <= seen + n.length) range.setStart(n, at - seen);
        if (at + needle.length <= seen + n.length) {
          range.setEnd(n, at + needle.length - seen);
          break;
        }
        seen += n.length;
      }
      return { squiggles, text: box(range.getBoundingClientRect()) };
    }
    return { squiggles };
  })()`);
}

describe('pgperf on SQL in a TypeScript file (code-server + Chromium, the packaged .vsix)', () => {
  let wb: Workbench;
  let page: Page;

  beforeAll(async () => {
    // The scratch workspace has no node_modules: VS Code's own TypeScript checker would underline 'pg' as a missing
    // module, which a project with its dependencies installed does not show.
    wb = await openWorkbench('embedded', { workspaceSettings: { 'typescript.validate.enable': false } });
    page = wb.page;
  });

  afterAll(async () => {
    if (page) await screenshot(page, SHOTS, 'last-state').catch(() => undefined);
    await wb?.close();
  });

  it('underlines OFFSET $1 inside the template literal, and the hover gives the finding', async () => {
    await openFile(page, 'src/posts.ts');
    await editor(page).locator('.squiggly-warning').first().waitFor({ timeout: 60_000 });
    const { squiggles, text } = await squigglesAndText(page, 'OFFSET $1');
    expect(text, 'OFFSET $1 on screen').toBeDefined();
    // One squiggle in the file, and it spans exactly the characters of OFFSET $1 (a pixel or two of rounding).
    expect(squiggles).toHaveLength(1);
    const [s] = squiggles;
    expect(Math.abs(s.left - text!.left)).toBeLessThan(2);
    expect(Math.abs(s.right - text!.right)).toBeLessThan(2);
    expect(s.top).toBeGreaterThanOrEqual(text!.top - 2);
    expect(s.bottom).toBeLessThanOrEqual(text!.bottom + 4);

    await goTo(page, OFFSET_LINE, OFFSET_COLUMN + 2);
    await page.keyboard.press('Control+K');
    await page.keyboard.press('Control+I'); // Show or Focus Hover
    const hover = page.locator('.monaco-hover', { hasText: 'OFFSET $1 reads and discards every skipped row' });
    await hover.waitFor();
    expect(await hover.innerText()).toMatch(/offset-pagination/);
    await screenshot(page, SHOTS, 'hover');
    await page.keyboard.press('Escape');
    await hover.waitFor({ state: 'hidden' });
  });

  it('Compare with Fix on the OFFSET finding: synthetic rows loaded, both plans and the speed-up in the panel', async () => {
    await runCommand(page, 'pgperf: Load Synthetic Data into the Embedded Database');
    await page.locator('.notification-toast', { hasText: 'loaded synthetic, seed 1' }).first().waitFor({ timeout: 240_000 });
    await goTo(page, OFFSET_LINE, OFFSET_COLUMN + 2);
    const action = await quickFix(page, 'Compare with Fix');
    await action.click();
    await answerInput(page, 'Value for $1', '5000');
    const view = visibleWebview(page);
    await view.locator('.speedup').waitFor({ timeout: 120_000 });
    const text = await view.locator('body').innerText();
    expect(text).toMatch(/Compare with Fix · offset-pagination/);
    expect(text).toMatch(/src\/posts\.ts:17/);
    expect(text).toMatch(/synthetic, seed 1: [\d,]+ rows/);
    expect(text).toMatch(/As written[\s\S]*OFFSET \$1[\s\S]*Fixed[\s\S]*WHERE id > \$1/);
    expect(text).toMatch(/both return the same 20 rows/);
    const speedup = /([\d.]+)× faster/.exec(await view.locator('.speedup').innerText());
    expect(speedup, 'the keyset page is faster than OFFSET 5000').not.toBeNull();
    expect(Number(speedup![1])).toBeGreaterThan(1);
    // Room for the panel in the picture: no side bar, no notifications (no bottom panel is open in this suite).
    for (const command of ['View: Close Primary Side Bar', 'Notifications: Clear All Notifications']) await runCommand(page, command);
    await quickInputHidden(page);
    await screenshot(page, SHOTS, 'compare-fix', { readme: true });
    await runCommand(page, 'View: Focus First Editor Group');
  });

  it('applies the keyset-pagination quick fix from the light bulb inside the template literal', async () => {
    await goTo(page, OFFSET_LINE, OFFSET_COLUMN + 2);
    const action = await quickFix(page, 'Use keyset pagination');
    expect(await action.innerText()).toMatch(/add id > \$1/);
    await screenshot(page, SHOTS, 'embedded-quick-fix', { readme: true });
    await action.click();
    await expect.poll(() => editorText(page)).toContain('      WHERE id > $1\n      ORDER BY id\n      LIMIT 20`,');
    const text = await editorText(page);
    expect(text).not.toContain('OFFSET');
    expect(text).toContain('    `SELECT id, title, published_at\n       FROM posts\n');
    expect(text).toContain('    [offset],\n  );');
    // pgperf reads the edited string again: no finding is left in the file.
    await expect.poll(() => editor(page).locator('.squiggly-warning, .squiggly-error').count(), { timeout: 30_000 }).toBe(0);
    await screenshot(page, SHOTS, 'quick-fix-applied');
  });
});
