/** What a user does in the workbench, as Playwright steps: commands, quick open, quick picks, editors, webviews. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';

const quickInput = (page: Page): Locator => page.locator('.quick-input-widget');

/** Runs a command from the command palette (F1) by its title, as shown there ("pgperf: Explain Analyze"). */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = quickInput(page).locator('input');
  await input.waitFor();
  await input.fill(`>${title}`);
  await quickInput(page).locator('.monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
  // The palette is gone, or the command opened a quick input of its own (no `>` prefix).
  await page.waitForFunction(`(() => {
    const widget = document.querySelector('.quick-input-widget');
    if (!widget || getComputedStyle(widget).display === 'none' || widget.classList.contains('quick-input-widget-closing')) return true;
    return !(widget.querySelector('input')?.value ?? '').startsWith('>');
  })()`);
}

/** Waits until no quick input is on screen (before a screenshot). */
export async function quickInputHidden(page: Page): Promise<void> {
  await quickInput(page).waitFor({ state: 'hidden' });
}

/** Opens a workspace file with Quick Open (Ctrl+P) and waits for its editor. */
export async function openFile(page: Page, relPath: string): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = quickInput(page).locator('input');
  await input.waitFor();
  await input.fill(relPath);
  await quickInput(page).locator('.monaco-list-row').first().waitFor();
  await page.keyboard.press('Enter');
  await page.locator(`.tab.active[aria-label^="${relPath.split('/').pop()}"]`).waitFor();
}

/** Moves the cursor with Go to Line (Ctrl+G), `line:column` 1-based. */
export async function goTo(page: Page, line: number, column = 1): Promise<void> {
  await page.keyboard.press('Control+G');
  const input = quickInput(page).locator('input');
  await input.waitFor();
  await input.fill(`:${line}:${column}`);
  await page.keyboard.press('Enter');
  await quickInputHidden(page);
}

/** Picks the quick-pick row whose label contains `label`. */
/**
 * Opens the light bulb's menu at the cursor and returns its row titled `title`. Ctrl+. pressed before the server has
 * answered the code-action request (a loaded machine) shows "No code actions available" and never updates: the
 * menu is closed and asked for again, three times at most.
 */
export async function quickFix(page: Page, title: string): Promise<Locator> {
  const action = page.locator('.action-widget .monaco-list-row', { hasText: title });
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+.');
    try {
      await action.waitFor({ timeout: 15_000 });
      return action;
    } catch (e) {
      if (attempt === 3) throw e;
      await page.keyboard.press('Escape');
    }
  }
}

export async function pickItem(page: Page, label: string): Promise<void> {
  const row = quickInput(page).locator('.monaco-list-row', { hasText: label }).first();
  await row.waitFor();
  await row.click();
}

/** Answers an input box whose prompt contains `prompt`. */
export async function answerInput(page: Page, prompt: string, value: string): Promise<void> {
  await quickInput(page).locator('.quick-input-message, .quick-input-description', { hasText: prompt }).first().waitFor();
  const input = quickInput(page).locator('input');
  await input.fill(value);
  await page.keyboard.press('Enter');
}

/** The active editor's visible text, lines joined with \n (the editor renders spaces as no-break spaces). */
export async function editorText(page: Page): Promise<string> {
  const lines = page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line');
  const tops = await lines.evaluateAll((els) =>
    els.map((e) => ({ top: parseFloat((e as unknown as { style: { top: string } }).style.top), text: e.textContent ?? '' })),
  );
  return tops
    .sort((a, b) => a.top - b.top)
    .map((l) => l.text.replace(/\u00a0/g, ' '))
    .join('\n');
}

/**
 * The content of the visible webview (VS Code overlays webview iframes on the workbench and hides the inactive ones;
 * each nests its page in an inner frame).
 */
export function visibleWebview(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready:visible').frameLocator('#active-frame');
}

/**
 * Saves a screenshot as a test artifact; a README picture (`readme`) is also saved under $PGPERF_SCREENSHOTS when
 * that is set (`npm run screenshots` sets it to docs/images).
 */
export async function screenshot(page: Page, dir: string, name: string, opts: { readme?: boolean } = {}): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path });
  const readme = process.env.PGPERF_SCREENSHOTS;
  if (readme && opts.readme) {
    mkdirSync(readme, { recursive: true });
    await page.screenshot({ path: join(readme, `${name}.png`) });
  }
  return path;
}
