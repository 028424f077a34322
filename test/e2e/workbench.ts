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
  const found = await page
    .locator('.quick-input-widget .monaco-list-row', { hasText: name })
    .first()
    .waitFor({ timeout: 5_000 })
    .then(() => true, () => false);
  if (found) await page.keyboard.press('Enter');
  else {
    // A file the test has just written may not be in Quick Open's file index yet: the Explorer has it.
    await page.keyboard.press('Escape');
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first().click({ timeout: TIMEOUT });
  }
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

/** Waits (up to `appearMs`) for an image `selector` matches in `frame`, then until every one has
 *  loaded, and fails naming any that did not decode (naturalWidth 0); returns how many there are. */
export async function expectImagesLoaded(frame: FrameLocator, selector: string, appearMs = TIMEOUT): Promise<number> {
  const images = frame.locator(selector);
  await images.first().waitFor({ timeout: appearMs });
  const n = await images.count();
  if (!n) throw new Error(`no image matches ${selector}`);
  for (let i = 0; i < n; i++) {
    // No named inner functions: tsx would wrap them in a helper the page does not have.
    const { width, alt } = await images.nth(i).evaluate(
      (el) =>
        new Promise<{ width: number; alt: string }>((resolve) => {
          const img = el as HTMLImageElement;
          if (img.complete) return resolve({ width: img.naturalWidth, alt: img.alt || img.src });
          img.addEventListener('load', () => resolve({ width: img.naturalWidth, alt: img.alt }), { once: true });
          img.addEventListener('error', () => resolve({ width: 0, alt: img.alt || img.src }), { once: true });
        }),
    );
    if (!(width > 0)) throw new Error(`image ${alt} (${selector} #${i + 1}) did not load`);
  }
  return n;
}

/** Picks a file in code-server's own file dialog (a quick input listing a folder): opens its folder,
 *  waits for the file's row, then accepts its path. */
export async function pickInFileDialog(page: Page, file: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: TIMEOUT });
  // The dialog fills in its starting folder once it has listed it: wait for that before typing.
  await page.locator('.quick-input-widget .monaco-list-row').first().waitFor({ timeout: TIMEOUT });
  const slash = file.lastIndexOf('/');
  await input.fill(file.slice(0, slash + 1));
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: file.slice(slash + 1) }).first().waitFor({ timeout: TIMEOUT });
  await input.fill(file);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: TIMEOUT });
}
