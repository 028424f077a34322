// The end-to-end checks, in order: each a name, an optional reason to skip, and what it does in the
// workbench. Waits are for selectors or conditions, never fixed sleeps.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { RESULTS, ROOT } from './paths';
import { commandPalette, expectImagesLoaded, goToLine, openFile, pickInFileDialog, runCommand, TIMEOUT, waitWorkbench, webviewFrame } from './workbench';

export const CONCEPT = 'zwx.dreambooth';
/** A 3-step copy the dashboard step writes and trains. */
const DASH_CONCEPT = 'dash.dreambooth';
/** A 40-step copy the queue step trains while it asks for more. */
const QUEUE_CONCEPT = 'queue.dreambooth';
/** A made-up token: it must reach secret storage and nowhere else on disk. */
export const FAKE_HF_TOKEN = 'hf_e2eNotARealToken7Q2x9';
const hasLanguageServer = existsSync(join(ROOT, 'language/server/main.ts'));
const hasGrammar = existsSync(join(ROOT, 'syntaxes/dreambooth.tmLanguage.json'));
const hasGenerate = existsSync(join(ROOT, 'sidecar/jobs/generate.ts'));

/** A kohya LoRA trained on the bundled tiny model (a reference fixture). */
const E2E_LORA = join(ROOT, 'fixtures/tiny-sd/cases/lora_step1_kohya.safetensors');
const LORA_NAME = 'lora_step1_kohya';
/** How the PNG records it (A1111 quotes a value with ":" in it). */
const LORA_PARAM = /Lora: "?lora_step1_kohya:0\.8"?/;
/** The gallery form for the LoRA generation, by field id; the round trip must bring these back. */
const LORA_FORM = { prompt: 'portrait of zwx person', seed: '77', steps: '2', guidance: '6.5', 'lora-scale': '0.8', width: '64', height: '64', count: '1' };

/** The label of a vscode-single-select's chosen option (its value is the option's index). */
function selectedLabel(frame: FrameLocator, selector: string): Promise<string> {
  return frame.locator(selector).evaluate((el) => (el.querySelectorAll('vscode-option')[Number((el as HTMLElement & { value: string }).value)]?.textContent ?? '').trim());
}

function galleryPngs(workspace: string): string[] {
  const dir = join(workspace, 'runs', 'gallery');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.png')) : [];
}

export interface Step {
  name: string;
  /** Why it cannot run yet (a missing piece another part of the project provides). */
  skip?: string | false;
  run(page: Page, env: Env): Promise<string | void>;
}
export interface Env {
  workspace: string;
  extensionsDir: string;
  /** code-server's user data folder (its logs/ holds every output channel's log file). */
  userDataDir: string;
}

/** The lines of the extension's output-channel log files under code-server's logs folder. */
function extensionLog(userDataDir: string): string {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of existsSync(d) ? readdirSync(d, { withFileTypes: true }) : []) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name === 'DreamBooth.log') found.push(readFileSync(join(d, e.name), 'utf8'));
    }
  };
  walk(join(userDataDir, 'logs'));
  return found.join('\n');
}

/** Sidecar processes of this test's extension (by their script path, which is unique to this run). */
function sidecarPids(extensionsDir: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', `${extensionsDir}/.*/dist/sidecar.js`], { encoding: 'utf8' }).split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = TIMEOUT): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function clearNotifications(page: Page): Promise<void> {
  await runCommand(page, 'Notifications: Clear All Notifications');
  await page.locator('.notification-toast').first().waitFor({ state: 'hidden', timeout: TIMEOUT });
}

/** A copy of the example as `name` in the workspace that trains a short run of its own (no class images,
 *  its own output folder, so the example's run and its settings stay as they are); `generate`: keep
 *  the generate blocks. */
function writeRunCopy(workspace: string, name: string, o: { steps: number; saveEvery: number; output: string; generate: boolean }): void {
  const text = readFileSync(join(workspace, CONCEPT), 'utf8')
    .replace(/^\s*(class_prompt|num_class_images)\b.*\n/gm, '')
    .replace(/steps\s+600/, `steps ${o.steps}`)
    .replace(/save_every\s+\d+/, `save_every ${o.saveEvery}`)
    .replace(/^output .*$/m, `output "${o.output}"`);
  writeFileSync(join(workspace, name), o.generate ? text : text.slice(0, text.indexOf('\ngenerate ')));
}

/** 1-based number of the first line of the concept file that contains `text`. */
function lineOf(text: string): number {
  const lines = readFileSync(join(ROOT, 'examples/zwx', CONCEPT), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`examples/zwx/${CONCEPT} has no line containing "${text}"`);
  return i + 1;
}

export const steps: Step[] = [
  {
    name: 'workbench loads the workspace',
    run: async (page) => {
      await waitWorkbench(page);
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: CONCEPT }).first().waitFor({ timeout: TIMEOUT });
    },
  },
  {
    name: 'the concept file opens in the DreamBooth language',
    run: async (page) => {
      await openFile(page, CONCEPT);
      const mode = page.locator('[id="status.editor.mode"]');
      await mode.filter({ hasText: /DreamBooth/i }).waitFor({ timeout: TIMEOUT });
      return `language mode: ${(await mode.innerText()).trim()}`;
    },
  },
  {
    name: 'in Restricted Mode editing works and generation is refused with a clear message',
    run: async (page) => {
      await page.locator('.codelens-decoration a', { hasText: 'Generate portrait' }).click();
      const toast = page.locator('.notification-toast', { hasText: 'needs a trusted workspace' });
      await toast.waitFor({ timeout: TIMEOUT });
      const text = (await toast.locator('.notification-list-item-message').innerText()).trim();
      await page.screenshot({ path: join(RESULTS, 'untrusted-refusal.png') });
      await clearNotifications(page);
      return text;
    },
  },
  {
    name: 'trusting the workspace starts the sidecar',
    run: async (page) => {
      // The status bar's "Restricted Mode" item opens the trust editor. (The palette command
      // "Workspaces: Manage Workspace Trust" is missing from code-server's palette in some starts.)
      await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().click();
      await page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust/ }).first().click();
      // Trusted once the Restricted Mode item leaves the status bar. The trust editor opens as an
      // ordinary editor in some code-server starts and as a modal one in others: Escape closes the
      // modal form, Close Editor the other.
      await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ state: 'hidden', timeout: TIMEOUT });
      await page.keyboard.press('Escape');
      if (await page.locator('.workspace-trust-editor').first().isVisible()) await runCommand(page, 'View: Close Editor');
      await openFile(page, CONCEPT);
    },
  },
  {
    name: 'the sidecar starts and the status bar shows its provider',
    run: async (page) => {
      const item = page.locator('.statusbar-item', { hasText: /DreamBooth: (cpu|webgpu|cuda)/ });
      await item.first().waitFor({ timeout: 60_000 });
      return `status bar: ${(await item.first().innerText()).trim()}`;
    },
  },
  {
    name: 'keys and strings get different colours',
    skip: !hasGrammar && 'syntaxes/dreambooth.tmLanguage.json has not landed yet',
    run: async (page) => {
      const line = page.locator('.view-line', { hasText: 'instance_prompt' }).first();
      await line.waitFor({ timeout: TIMEOUT });
      // No named inner functions here: tsx would wrap them in a helper the page does not have.
      const colours = await line.evaluate((el) => {
        const found: { key?: string; string?: string } = {};
        for (const span of Array.from(el.querySelectorAll('span span'))) {
          const text = (span.textContent ?? '').replace(/\u00a0/g, ' ').trim();
          if (text === 'instance_prompt') found.key = getComputedStyle(span).color;
          if (text.startsWith('"photo')) found.string = getComputedStyle(span).color;
        }
        return found;
      });
      if (!colours.key || !colours.string) throw new Error(`could not find the key and string tokens: ${JSON.stringify(colours)}`);
      if (colours.key === colours.string) throw new Error(`key and string have the same colour ${colours.key}`);
      return `key ${colours.key}, string ${colours.string}`;
    },
  },
  {
    name: 'the Hugging Face token is taken in a password box',
    run: async (page) => {
      await commandPalette(page, 'DreamBooth: Set Hugging Face Token');
      await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Set Hugging Face Token' }).first().waitFor({ timeout: TIMEOUT });
      await page.keyboard.press('Enter');
      // The palette row also says "Hugging Face Token": wait for the input box's own title.
      await page.locator('.quick-input-widget .quick-input-title', { hasText: 'DreamBooth: Hugging Face token' }).waitFor({ timeout: TIMEOUT });
      const input = page.locator('.quick-input-widget input:visible').first();
      const type = await input.getAttribute('type');
      if (type !== 'password') throw new Error(`the token box is of type "${type}", not a password box`);
      await input.fill(FAKE_HF_TOKEN);
      await page.keyboard.press('Enter');
      await page.locator('.notification-toast', { hasText: 'token saved in secret storage' }).waitFor({ timeout: TIMEOUT });
      await clearNotifications(page);
    },
  },
  {
    name: 'the Generate code lens runs the block and writes its images',
    skip: !hasLanguageServer && 'language/server/main.ts has not landed yet',
    run: async (page, env) => {
      await page.locator('.codelens-decoration a', { hasText: 'Generate portrait' }).click();
      await page.locator('.notification-toast', { hasText: /Generating "portrait"/ }).first().waitFor({ timeout: TIMEOUT });
      const outcome = page.locator('.notification-toast', { hasText: /generating "portrait" (finished|failed|was cancelled)/ });
      await outcome.waitFor({ timeout: 180_000 });
      const text = (await outcome.locator('.notification-list-item-message').innerText()).trim();
      if (!text.includes('finished')) throw new Error(text);
      const dir = join(env.workspace, 'runs', 'generate', 'portrait');
      const pngs = readdirSync(dir).filter((f) => f.endsWith('.png'));
      if (pngs.length !== 2) throw new Error(`expected the block's 2 images in ${dir}, found ${pngs.join(', ') || 'none'}`);
      await page.screenshot({ path: join(RESULTS, 'generate-lens-finished.png') });
      // "Open Gallery" shows this job's images, though they live in the run's folder, not the gallery's.
      await outcome.locator('.monaco-button', { hasText: 'Open Gallery' }).click();
      const frame = webviewFrame(page);
      for (const png of pngs) await frame.locator(`#grid img[alt="${png}"]`).waitFor({ timeout: TIMEOUT });
      const shown = await expectImagesLoaded(frame, pngs.map((p) => `#grid img[alt="${p}"]`).join(', '));
      await clearNotifications(page);
      // Back to the concept file alone: the next steps type into it.
      await runCommand(page, 'View: Close Editor');
      await openFile(page, CONCEPT);
      return `${text}; ${pngs.join(', ')}; the gallery shows them (${shown} loaded)`;
    },
  },
  {
    name: 'the Train code lens starts training with progress in a notification, and Cancel stops it',
    skip: !hasLanguageServer && 'language/server/main.ts has not landed yet',
    run: async (page) => {
      await page.locator('.codelens-decoration a', { hasText: /^\W*Train$/ }).click();
      const toast = page.locator('.notification-toast', { hasText: 'DreamBooth: Training' }).first();
      await toast.waitFor({ timeout: TIMEOUT });
      // A progress line from the job itself ("phase step/total …"), not just the title.
      const message = toast.locator('.notification-list-item-message');
      await message.filter({ hasText: /\d+\/\d+/ }).waitFor({ timeout: 120_000 });
      const progressLine = (await message.innerText()).trim();
      await page.screenshot({ path: join(RESULTS, 'train-progress.png') });
      await toast.locator('.monaco-button', { hasText: 'Cancel' }).click();
      const outcome = page.locator('.notification-toast', { hasText: /training (was cancelled|failed|finished)/ });
      await outcome.waitFor({ timeout: 120_000 });
      const text = (await outcome.locator('.notification-list-item-message').innerText()).trim();
      if (!text.includes('cancelled')) throw new Error(`expected a cancelled job, got: ${text}`);
      await clearNotifications(page);
      return `${progressLine} → ${text}`;
    },
  },
  {
    name: 'an unknown key gets an error diagnostic',
    skip: !hasLanguageServer && 'language/server/main.ts has not landed yet',
    run: async (page) => {
      await goToLine(page, lineOf('size            64x64'));
      await page.keyboard.press('End');
      await page.keyboard.press('Enter');
      await page.keyboard.type('bogus_key 1');
      await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: TIMEOUT });
      await page.keyboard.press('Control+Shift+M');
      const row = page.locator('.markers-panel .monaco-list-row', { hasText: 'bogus_key' }).first();
      await row.waitFor({ timeout: TIMEOUT });
      const text = (await row.innerText()).replace(/\s+/g, ' ').trim();
      await page.keyboard.press('Control+Shift+M'); // close the panel again
      await openFile(page, CONCEPT);
      return `problem: ${text}`;
    },
  },
  {
    name: 'completion offers keys inside a block and inserts one',
    skip: !hasLanguageServer && 'language/server/main.ts has not landed yet',
    run: async (page) => {
      await goToLine(page, lineOf('seed              42'));
      await page.keyboard.press('End');
      await page.keyboard.press('Enter');
      await page.keyboard.press('Control+Space');
      const rows = page.locator('.editor-widget.suggest-widget.visible .monaco-list-row');
      await rows.first().waitFor({ timeout: TIMEOUT });
      const labels = (await rows.allInnerTexts()).map((t) => t.split('\n')[0]!.trim());
      const focused = (await page.locator('.editor-widget.suggest-widget.visible .monaco-list-row.focused .label-name').innerText()).trim();
      const withLabel = page.locator('.monaco-editor .view-line', { hasText: focused });
      const before = await withLabel.count();
      await page.keyboard.press('Enter');
      await page.locator('.editor-widget.suggest-widget.visible').waitFor({ state: 'hidden', timeout: TIMEOUT });
      await page.waitForFunction(
        ([label, n]) => Array.from(document.querySelectorAll('.monaco-editor .view-line')).filter((l) => (l.textContent ?? '').includes(label)).length > n,
        [focused, before] as const,
        { timeout: TIMEOUT },
      );
      await page.keyboard.press('Escape'); // leave snippet mode
      const inserted = (await page.locator('.monaco-editor .view-line', { hasText: focused }).last().innerText()).replace(/\u00a0/g, ' ');
      return `offered ${labels.slice(0, 6).join(', ')}…; inserted "${inserted.trim()}"`;
    },
  },
  {
    name: 'the command palette lists the DreamBooth commands',
    run: async (page) => {
      await commandPalette(page, 'DreamBooth');
      const rows = page.locator('.quick-input-widget .monaco-list-row');
      await rows.filter({ hasText: 'DreamBooth: Open Gallery' }).first().waitFor({ timeout: TIMEOUT });
      const titles = (await rows.allInnerTexts()).map((t) => t.split('\n')[0]!.trim());
      for (const want of ['DreamBooth: Train', 'DreamBooth: Generate Images', 'DreamBooth: Restart Sidecar']) {
        if (!titles.some((t) => t.startsWith(want))) throw new Error(`"${want}" is not in the palette: ${titles.join(' | ')}`);
      }
      await page.screenshot({ path: join(RESULTS, 'palette.png') });
      await page.keyboard.press('Escape');
      return titles.join(' | ');
    },
  },
  {
    name: 'the gallery webview renders and receives its data',
    run: async (page) => {
      await runCommand(page, 'DreamBooth: Open Gallery');
      const frame = webviewFrame(page);
      await frame.locator('#status', { hasText: 'Ready.' }).waitFor({ timeout: TIMEOUT });
      await frame.locator('#sampler').waitFor({ timeout: TIMEOUT });
      return (await frame.locator('#model').innerText()).trim();
    },
  },
  {
    name: 'generating from the gallery runs a sidecar job to the end',
    run: async (page) => {
      const frame = webviewFrame(page);
      await frame.locator('#prompt textarea').fill('portrait of zwx person');
      await frame.locator('#steps input').fill('2');
      await frame.locator('#width input').fill('64');
      await frame.locator('#height input').fill('64');
      await frame.locator('#generate').click();
      const status = frame.locator('#status', { hasText: /^(Done\.|Failed: |Cancelled\.)/ });
      await status.waitFor({ timeout: 120_000 });
      const text = (await status.innerText()).trim();
      // The job's progress notification closes when the job ends.
      await page.locator('.notification-toast', { hasText: 'DreamBooth: Generating' }).waitFor({ state: 'hidden', timeout: TIMEOUT });
      if (hasGenerate) {
        if (text !== 'Done.') throw new Error(`generation did not succeed: ${text}`);
        await frame.locator('#grid img').first().waitFor({ timeout: TIMEOUT });
        return `${await expectImagesLoaded(frame, '#grid img')} image(s) shown and loaded`;
      }
      if (!/^Failed: .+/.test(text)) throw new Error(`expected a clear failure while sidecar/jobs/generate.ts is missing, got: ${text}`);
      return `failed as expected without the pipeline: ${text}`;
    },
  },
  {
    name: 'the gallery generates with a LoRA file chosen from disk',
    skip: !hasGenerate && 'sidecar/jobs/generate.ts has not landed yet',
    run: async (page, env) => {
      const frame = webviewFrame(page);
      await frame.locator('#browse-lora').click();
      await pickInFileDialog(page, E2E_LORA);
      const deadline = Date.now() + TIMEOUT;
      while ((await selectedLabel(frame, '#lora')) !== LORA_NAME) {
        if (Date.now() > deadline) throw new Error(`the LoRA picker shows "${await selectedLabel(frame, '#lora')}", not the chosen ${LORA_NAME}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      for (const [id, value] of Object.entries(LORA_FORM)) await frame.locator(`#${id} ${id === 'prompt' ? 'textarea' : 'input'}`).fill(value);
      const before = new Set(galleryPngs(env.workspace));
      await frame.locator('#generate').click();
      const status = frame.locator('#status', { hasText: /^(Done\.|Failed: |Cancelled\.)/ });
      await status.waitFor({ timeout: 120_000 });
      const text = (await status.innerText()).trim();
      if (text !== 'Done.') throw new Error(`generation with the LoRA did not succeed: ${text}`);
      const fresh = galleryPngs(env.workspace).filter((f) => !before.has(f));
      if (fresh.length !== 1) throw new Error(`expected 1 new image, found ${fresh.join(', ') || 'none'}`);
      // The PNG says it was drawn with the LoRA at the chosen weight (read as bytes, not with our parser).
      const png = readFileSync(join(env.workspace, 'runs', 'gallery', fresh[0]!)).toString('latin1');
      if (!LORA_PARAM.test(png)) throw new Error(`${fresh[0]} does not record the LoRA: ${/Steps:[^\0]*/.exec(png)?.[0]}`);
      await frame.locator(`#grid img[alt="${fresh[0]}"]`).waitFor({ timeout: TIMEOUT });
      const n = await expectImagesLoaded(frame, '#grid img');
      return `${fresh[0]} with Lora ${LORA_NAME}:0.8; ${n} image(s) loaded`;
    },
  },
  {
    name: 'a PNG\'s parameters open in the viewer (←/→/Esc) and "use these settings" puts them in the form',
    skip: !hasGenerate && 'sidecar/jobs/generate.ts has not landed yet',
    run: async (page) => {
      const frame = webviewFrame(page);
      // Change the form first, so the round trip has something to restore.
      for (const [id, value] of Object.entries({ prompt: 'something else', seed: '5', steps: '3', guidance: '2', 'lora-scale': '1', width: '128', height: '128' })) {
        await frame.locator(`#${id} ${id === 'prompt' ? 'textarea' : 'input'}`).fill(value);
      }
      await frame.locator('#lora').evaluate((el) => {
        (el as HTMLElement & { value: string }).value = '0'; // "None"
      });
      const viewer = frame.locator('#viewer');
      await frame.locator('#grid img').first().click();
      await viewer.waitFor({ state: 'visible', timeout: TIMEOUT });
      await frame.locator('#params-text', { hasText: LORA_PARAM }).waitFor({ timeout: TIMEOUT });
      await expectImagesLoaded(frame, '#viewer-image');
      const caption = frame.locator('#viewer-caption');
      await viewer.press('ArrowRight');
      await caption.filter({ hasText: '(2 of' }).waitFor({ timeout: TIMEOUT });
      await expectImagesLoaded(frame, '#viewer-image');
      await viewer.press('ArrowLeft');
      await caption.filter({ hasText: '(1 of' }).waitFor({ timeout: TIMEOUT });
      await frame.locator('#params-text', { hasText: LORA_PARAM }).waitFor({ timeout: TIMEOUT });
      const params = (await frame.locator('#params-text').innerText()).trim();
      await page.screenshot({ path: join(RESULTS, 'gallery-parameters.png') });
      await frame.locator('#use-settings').click();
      await viewer.waitFor({ state: 'hidden', timeout: TIMEOUT });
      const got: Record<string, string> = {};
      for (const id of Object.keys(LORA_FORM)) got[id] = await frame.locator(`#${id}`).evaluate((el) => (el as HTMLElement & { value: string }).value);
      const lora = await selectedLabel(frame, '#lora');
      const want = LORA_FORM;
      if (JSON.stringify(got) !== JSON.stringify(want) || lora !== LORA_NAME) {
        throw new Error(`the form is ${JSON.stringify(got)} with LoRA "${lora}", expected ${JSON.stringify(want)} with "${LORA_NAME}"`);
      }
      // Esc closes the viewer.
      await frame.locator('#grid img').first().click();
      await viewer.waitFor({ state: 'visible', timeout: TIMEOUT });
      await viewer.press('Escape');
      await viewer.waitFor({ state: 'hidden', timeout: TIMEOUT });
      return `${params.split('\n').pop()} → form ${JSON.stringify(got)}, LoRA ${lora}`;
    },
  },
  {
    name: 'the Prepared Images panel shows the crops training sees, each file\'s problem, and the class images',
    skip: !hasLanguageServer && 'language/server/main.ts has not landed yet',
    run: async (page, env) => {
      // Drop the earlier steps' edits (the unknown key), leave one webview open, and ask for 2 class images.
      await runCommand(page, 'View: Close All Editors');
      await page.locator('.monaco-dialog-box .monaco-button', { hasText: "Don't Save" }).click();
      await page.locator('.tab').first().waitFor({ state: 'hidden', timeout: TIMEOUT });
      await openFile(page, CONCEPT);
      await goToLine(page, lineOf('num_class_images'));
      await page.keyboard.press('End');
      await page.keyboard.press('Shift+Home');
      await page.keyboard.type('num_class_images 2');
      writeFileSync(join(env.workspace, 'photos', 'notes.txt'), 'not a photo');
      writeFileSync(join(env.workspace, 'photos', 'broken.jpg'), 'not a JPEG either');
      await page.locator('.codelens-decoration a', { hasText: 'Show prepared images' }).click();
      const frame = webviewFrame(page);
      await frame.locator('#missing', { hasText: 'not been prepared yet' }).waitFor({ timeout: TIMEOUT });
      await frame.locator('#prepare').click();
      const outcome = page.locator('.notification-toast', { hasText: /preparing images (finished|failed|was cancelled)/ });
      await outcome.waitFor({ timeout: 180_000 });
      const text = (await outcome.locator('.notification-list-item-message').innerText()).trim();
      if (!text.includes('finished')) throw new Error(text);
      await frame.locator('figure.skipped', { hasText: 'broken.jpg' }).waitFor({ timeout: TIMEOUT });
      await frame.locator('figure.skipped', { hasText: 'notes.txt' }).filter({ hasText: 'not an image' }).waitFor({ timeout: TIMEOUT });
      const crops = await expectImagesLoaded(frame, '.photos img');
      const classes = await expectImagesLoaded(frame, '.classes img');
      if (crops !== 6 || classes !== 2) throw new Error(`expected the 6 photos' crops and 2 class images, the panel shows ${crops} and ${classes}`);
      await page.screenshot({ path: join(RESULTS, 'prepared-images.png') });
      await clearNotifications(page);
      return `${crops} crops and ${classes} class images loaded; broken.jpg skipped, notes.txt ignored`;
    },
  },
  {
    name: 'the training dashboard shows the loss curve and the sample images of a short run',
    skip: !hasLanguageServer && 'language/server/main.ts has not landed yet',
    run: async (page, env) => {
      // A 3-step run of its own, a sample at step 2 and at the end.
      writeRunCopy(env.workspace, DASH_CONCEPT, { steps: 3, saveEvery: 2, output: './runs-dash', generate: false });
      // Closing all editors takes the gallery's webview away: one webview frame from here. Earlier
      // steps typed into the example (a bogus key, a completion): those edits are not saved.
      await runCommand(page, 'View: Close All Editors');
      const dontSave = page.locator('.monaco-dialog-box .monaco-button', { hasText: /Don.t Save/ });
      await dontSave.waitFor({ timeout: 5_000 }).then(() => dontSave.click(), () => undefined);
      await page.locator('.monaco-dialog-box').waitFor({ state: 'hidden', timeout: TIMEOUT });
      await openFile(page, DASH_CONCEPT);
      await page.locator('.codelens-decoration a', { hasText: /^\W*Train$/ }).click();
      await page.locator('.notification-toast', { hasText: 'DreamBooth: Training' }).first().waitFor({ timeout: TIMEOUT });
      // The dashboard opens from the Train notification's companion toast (the status bar and the
      // command open the same panel).
      await page.locator('.notification-toast', { hasText: 'is training; its loss curves' }).locator('.monaco-button', { hasText: 'Open Dashboard' }).click();
      const frame = webviewFrame(page);
      await frame.locator('#title', { hasText: 'Training zwx' }).waitFor({ timeout: TIMEOUT });
      // The curve grows from the run's log while the job runs; a polyline is drawn from 2 points on.
      const curve = frame.locator('#loss-chart g[data-series="instance (raw)"]');
      await curve.locator('polyline').waitFor({ timeout: 180_000 });
      const outcome = page.locator('.notification-toast', { hasText: /training (was cancelled|failed|finished)/ });
      await outcome.waitFor({ timeout: 180_000 });
      const ended = (await outcome.locator('.notification-list-item-message').innerText()).trim();
      if (!ended.includes('finished')) throw new Error(ended);
      await frame.locator('#status', { hasText: 'Finished: 3 steps.' }).waitFor({ timeout: TIMEOUT });
      const images = await expectImagesLoaded(frame, '#samples img', 60_000);
      const steps = await frame.locator('#samples figcaption').allInnerTexts();
      if (steps.join(',') !== 'step 2,step 3') throw new Error(`sample images by step: ${steps.join(', ')}`);
      const points = Number(await curve.getAttribute('data-points'));
      if (points !== 3) throw new Error(`the finished run's loss curve has ${points} point(s), expected 3`);
      await page.screenshot({ path: join(RESULTS, 'training-dashboard.png') });
      await clearNotifications(page);
      await runCommand(page, 'View: Close All Editors');
      return `${points} loss points; ${images} sample image(s) loaded (${steps.join(', ')}); ${ended}`;
    },
  },
  {
    name: 'one job queue: a second Train of a running run is refused, and generation waits behind the training',
    skip: !hasLanguageServer && 'language/server/main.ts has not landed yet',
    run: async (page, env) => {
      // A run long enough to act while it trains.
      writeRunCopy(env.workspace, QUEUE_CONCEPT, { steps: 40, saveEvery: 0, output: './runs-queue', generate: true });
      await openFile(page, QUEUE_CONCEPT);
      const train = page.locator('.codelens-decoration a', { hasText: /^\W*Train$/ });
      await train.click();
      await page.locator('.notification-toast', { hasText: 'DreamBooth: Training' }).first().waitFor({ timeout: TIMEOUT });
      await train.click();
      const refused = page.locator('.notification-toast', { hasText: /is already running on this run/ });
      await refused.waitFor({ timeout: TIMEOUT });
      // VS Code shows at most 3 new toasts in 800 ms (spam protection): the progress, the dashboard
      // toast and the refusal came within that; a person's next click is never that fast.
      await page.waitForTimeout(1_000);
      await page.locator('.codelens-decoration a', { hasText: 'Generate portrait' }).click();
      const waiting = page.locator('.notification-toast', { hasText: /waiting for Training .* to finish/ });
      await waiting.waitFor({ timeout: TIMEOUT });
      const trained = page.locator('.notification-toast', { hasText: /training (was cancelled|failed|finished)/ });
      await trained.waitFor({ timeout: 300_000 });
      const generated = page.locator('.notification-toast', { hasText: /generating "portrait" (finished|failed|was cancelled)/ });
      await generated.waitFor({ timeout: 180_000 });
      const outcomes = [await trained.locator('.notification-list-item-message').innerText(), await generated.locator('.notification-list-item-message').innerText()].map((t) => t.trim());
      if (!outcomes.every((t) => t.includes('finished'))) throw new Error(outcomes.join(' | '));
      const log = readFileSync(join(env.workspace, 'runs-queue', 'logs', 'train.jsonl'), 'utf8').trim().split('\n');
      if (log.length !== 40) throw new Error(`one training ran its 40 steps once: ${log.length} log lines`);
      await clearNotifications(page);
      await runCommand(page, 'View: Close All Editors');
      return `second Train refused; generation waited, then ran: ${outcomes.join('; ')}`;
    },
  },
  {
    name: 'Restart Sidecar replaces the process without leaking the old one',
    run: async (page, env) => {
      const [before] = await until('one sidecar process', () => {
        const pids = sidecarPids(env.extensionsDir);
        return pids.length === 1 ? pids : undefined;
      });
      await runCommand(page, 'DreamBooth: Restart Sidecar');
      await page.locator('.notification-toast', { hasText: 'sidecar restarted' }).waitFor({ timeout: 60_000 });
      await page.locator('.statusbar-item', { hasText: /DreamBooth: (cpu|webgpu|cuda)/ }).first().waitFor({ timeout: TIMEOUT });
      const after = await until('the old sidecar to exit', () => {
        const pids = sidecarPids(env.extensionsDir);
        return pids.length === 1 && pids[0] !== before ? pids[0] : undefined;
      });
      return `sidecar pid ${before} → ${after}`;
    },
  },
  {
    name: 'a crashed sidecar is reported and restarts on the next request',
    run: async (page, env) => {
      const [pid] = await until('one sidecar process', () => {
        const pids = sidecarPids(env.extensionsDir);
        return pids.length === 1 ? pids : undefined;
      });
      process.kill(pid!, 'SIGKILL'); // this test's own sidecar, found by its unique path
      // The status bar shows the sidecar stopped until something asks for it again; an open panel (the
      // gallery) may ask at once, and a start takes a fraction of a second, so that state can be too
      // brief to see. The crash must be in the log either way.
      await until('the killed sidecar to be gone', () => (sidecarPids(env.extensionsDir).includes(pid!) ? undefined : true));
      await until('the crash in the DreamBooth log', () => (extensionLog(env.userDataDir).includes(`the sidecar stopped unexpectedly (signal SIGKILL`) ? true : undefined));
      await runCommand(page, 'DreamBooth: Show Execution Providers', { opensQuickPick: true });
      const cpu = page.locator('.quick-input-widget .monaco-list-row', { hasText: 'cpu' }).first();
      await cpu.waitFor({ timeout: 60_000 });
      const row = (await cpu.innerText()).replace(/\s+/g, ' ').trim();
      await page.screenshot({ path: join(RESULTS, 'providers.png') });
      await page.keyboard.press('Escape');
      await page.locator('.statusbar-item', { hasText: /DreamBooth: (cpu|webgpu|cuda)/ }).first().waitFor({ timeout: TIMEOUT });
      const now = sidecarPids(env.extensionsDir);
      if (now.length !== 1 || now[0] === pid) throw new Error(`expected one new sidecar, found pids [${now.join(', ')}] (killed ${pid})`);
      return `killed ${pid}, restarted as ${now[0]}; ${row}`;
    },
  },
];
