// Small helpers over the VS Code workbench DOM (selectors from shared/design/feasibility.md). Every
// wait is for a selector or a condition, never a fixed sleep.
import type { FrameLocator, Page } from 'playwright-core';

export const TIMEOUT = 30_000;

export async function waitWorkbench(page: Page): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await page.locator('.part.statusbar').waitFor({ timeout: TIMEOUT });
}

/** Opens the command palette and returns once its input is focused. */
export async function commandPalette(page: Page, text: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: TIMEOUT });
  await input.fill(`>${text}`);
}

export async function runCommand(page: Page, title: string, o: { opensQuickPick?: boolean } = {}): Promise<void> {
  await commandPalette(page, title);
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ timeout: TIMEOUT });
  await page.keyboard.press('Enter');
  // A command that shows its own quick pick may replace the palette before it is ever hidden.
  if (!o.opensQuickPick) await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: TIMEOUT });
}

/** Quick Open (Ctrl+P) a file by name; resolves when its editor tab is active. */
export async function openFile(page: Page, name: string): Promise<void> {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: TIMEOUT });
  await input.fill(name);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().waitFor({ timeout: TIMEOUT });
  await page.keyboard.press('Enter');
  await page.locator(`.tab.active[aria-label*="${name}"]`).waitFor({ timeout: TIMEOUT });
  await page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: TIMEOUT });
}

/** Moves the cursor to the start of a 1-based line (Go to Line). */
export async function goToLine(page: Page, line: number): Promise<void> {
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: TIMEOUT });
  await input.fill(`:${line}`);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: TIMEOUT });
}

/** The webview's content frame (VS Code nests it: outer iframe → active-frame). */
export function webviewFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

/** Waits until every image matching `selector` in `frame` has loaded (naturalWidth > 0); their count. */
export async function imagesLoaded(frame: FrameLocator, selector: string, timeoutMs = TIMEOUT): Promise<number> {
  const images = frame.locator(selector);
  await images.first().waitFor({ timeout: timeoutMs });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const widths = await images.evaluateAll((els) => els.map((e) => ((e as HTMLImageElement).complete ? (e as HTMLImageElement).naturalWidth : -1)));
    if (widths.every((w) => w > 0)) return widths.length;
    if (Date.now() > deadline) throw new Error(`${selector}: ${widths.filter((w) => w <= 0).length} of ${widths.length} image(s) did not load (naturalWidth ${widths.join(', ')})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
