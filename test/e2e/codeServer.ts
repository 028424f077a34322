// A code-server process with everything fresh: user data, extensions, HOME and XDG folders in one
// temp dir. Started in its own process group so that stop() also ends the extension host, the
// language server and the sidecar it spawned.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CODE_SERVER, NODE24 } from './paths';

export interface CodeServer {
  url: string;
  userDataDir: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Polls /healthz until code-server answers (a real signal, not a fixed sleep), or the process dies. */
async function waitHealthy(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with code ${child.exitCode} before it was ready (see code-server.log)`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not answer ${url}/healthz within ${timeoutMs / 1000} s`);
}

export async function startCodeServer(opts: { tmp: string; extensionsDir: string; settings: Record<string, unknown>; log: string }): Promise<CodeServer> {
  const home = join(opts.tmp, 'home');
  const userDataDir = join(opts.tmp, 'user-data');
  for (const d of [home, join(userDataDir, 'User'), join(home, '.config'), join(home, '.cache'), join(home, '.local', 'share')]) mkdirSync(d, { recursive: true });
  writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify(opts.settings, null, 2));
  const config = join(opts.tmp, 'code-server.yaml');
  writeFileSync(config, 'auth: none\ncert: false\n');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = createWriteStream(opts.log);
  const child = spawn(
    NODE24,
    [CODE_SERVER, '--config', config, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
      '--disable-getting-started-override', '--user-data-dir', userDataDir, '--extensions-dir', opts.extensionsDir],
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, '.config'), XDG_CACHE_HOME: join(home, '.cache'), XDG_DATA_HOME: join(home, '.local', 'share') },
    },
  );
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const group = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
    };
    group('SIGTERM');
    const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000).unref())]);
    if (!killed) group('SIGKILL');
    group('SIGKILL'); // children that outlived their parent (extension host, sidecar)
  };
  try {
    await waitHealthy(url, child, 60_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, userDataDir, stop };
}

/** `code-server --install-extension file.vsix` into a fresh extensions folder (what a user's install does). */
export function installVsix(vsix: string, extensionsDir: string, tmp: string): void {
  const home = join(tmp, 'home');
  mkdirSync(home, { recursive: true });
  execFileSync(NODE24, [CODE_SERVER, '--user-data-dir', join(tmp, 'user-data'), '--extensions-dir', extensionsDir, '--install-extension', vsix], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, HOME: home },
  });
}
