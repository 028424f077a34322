// End-to-end: the extension in a real VS Code (code-server) driven by headless Chromium. Builds,
// packages the .vsix and checks its contents, installs it into a fresh extensions folder (or, with
// E2E_STAGE=folder, copies the built folder: faster while developing), opens a copy of
// examples/zwx, and checks what a user sees. Screenshots go to test-results/e2e/. code-server and Chromium are always
// stopped, pass or fail.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { installVsix, startCodeServer, type CodeServer } from './codeServer';
import { CHROMIUM, CODE_SERVER, NODE24, RESULTS, ROOT } from './paths';
import { stageExtension } from './stage';
import { FAKE_HF_TOKEN, steps } from './steps';
import { TIMEOUT } from './workbench';
import { checkVsix } from './vsix';
import { hostTarget, packageTarget } from '../../scripts/package';

/** Files under `dir` (recursively) whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    try {
      if (readFileSync(file).includes(needle)) hits.push(file);
    } catch {
      // unreadable (socket, vanished): not a leak
    }
  }
  return hits;
}

async function main(): Promise<number> {
  for (const [what, path] of [['Node 24', NODE24], ['code-server', CODE_SERVER], ['Chromium', CHROMIUM]] as const) {
    if (!existsSync(path)) throw new Error(`${what} is missing at ${path}: run bash test/e2e/install-code-server.sh (and apt-get install chromium)`);
  }
  rmSync(RESULTS, { recursive: true, force: true });
  mkdirSync(RESULTS, { recursive: true });
  if (process.env.E2E_SKIP_BUILD !== '1') execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });

  const tmp = mkdtempSync(join(tmpdir(), 'dreambooth-e2e-'));
  // The example names ../../fixtures/tiny-sd: keep that relation in the copy.
  const workspace = join(tmp, 'ws', 'examples', 'zwx');
  // The example as a user gets it: without the runs/ folder that README's first command writes.
  cpSync(join(ROOT, 'examples/zwx'), workspace, { recursive: true, filter: (src) => !/[\\/]examples[\\/]zwx[\\/]runs([\\/]|$)/.test(src) });
  symlinkSync(join(ROOT, 'fixtures'), join(tmp, 'ws', 'fixtures'), 'dir');
  const extensionsDir = join(tmp, 'extensions');
  if (process.env.E2E_STAGE === 'folder') {
    stageExtension(extensionsDir);
  } else {
    const vsix = packageTarget(hostTarget(), RESULTS); // this machine's platform package, as a user installs it
    console.log(`✓ packaged ${vsix}: ${checkVsix(vsix, hostTarget())} files, contents and size checked`);
    installVsix(vsix, extensionsDir, tmp);
    rmSync(vsix);
  }

  let server: CodeServer | undefined;
  let browser: BrowserContext | undefined;
  let failures = 0;
  try {
    server = await startCodeServer({
      tmp,
      extensionsDir,
      log: join(RESULTS, 'code-server.log'),
      settings: {
        'files.autoSave': 'off',
        'workbench.startupEditor': 'none',
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        'workbench.tips.enabled': false,
        'workbench.colorTheme': 'Default Dark Modern',
        'chat.disableAIFeatures': true,
        'extensions.ignoreRecommendations': true,
        'telemetry.telemetryLevel': 'off',
        // Workspace Trust on, no start-up prompt: the copied folder opens in Restricted Mode and
        // the test trusts it after checking that jobs are refused.
        'security.workspace.trust.enabled': true,
        'security.workspace.trust.startupPrompt': 'never',
        'dreambooth.defaultModel': join(ROOT, 'fixtures/tiny-sd'),
      },
    });
    browser = await chromium.launchPersistentContext(join(tmp, 'chromium'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1440, height: 900 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(TIMEOUT);
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
    for (const [i, step] of steps.entries()) {
      const shot = join(RESULTS, `${String(i + 1).padStart(2, '0')}-${step.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}.png`);
      if (step.skip) {
        console.log(`- SKIP ${step.name} (${step.skip})`);
        continue;
      }
      try {
        const detail = await step.run(page, { workspace, extensionsDir, userDataDir: server.userDataDir });
        console.log(`✓ ${step.name}${detail ? `: ${detail}` : ''}`);
      } catch (e) {
        failures++;
        // Playwright's call log names the locator that timed out: keep its first lines.
        console.log(`✗ ${step.name}: ${(e as Error).message.split('\n').slice(0, 4).join('\n    ')}`);
      }
      await page.screenshot({ path: shot }).catch(() => {});
    }
    // The token went to secret storage and, per job, to the sidecar: no file on the server side,
    // log or setting may hold it.
    const leaks = [...filesContaining(server.userDataDir, FAKE_HF_TOKEN), ...filesContaining(join(tmp, 'ws'), FAKE_HF_TOKEN)];
    if (leaks.length) {
      failures++;
      console.log(`✗ the Hugging Face token leaked into: ${leaks.join(', ')}`);
    } else console.log('✓ the Hugging Face token is in no log, setting or workspace file');
  } finally {
    await browser?.close().catch(() => {});
    await server?.stop();
    if (server && existsSync(join(server.userDataDir, 'logs'))) cpSync(join(server.userDataDir, 'logs'), join(RESULTS, 'logs'), { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
  console.log(failures ? `\n${failures} end-to-end check(s) failed; screenshots and logs in ${RESULTS}` : `\nall end-to-end checks passed; screenshots in ${RESULTS}`);
  return failures ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`e2e: ${(e as Error).stack}`);
    process.exit(1);
  },
);
