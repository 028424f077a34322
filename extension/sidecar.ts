// One sidecar process and its JSON-RPC connection. Spawned with VS Code's own Node
// (process.execPath + ELECTRON_RUN_AS_NODE=1); stderr goes to the output channel, and its last lines
// explain an unexpected exit. The restart policy lives in ctx.ts, not here.
import { spawn, type ChildProcess } from 'node:child_process';
import type * as vscode from 'vscode';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import { Initialize, SIDECAR_SHUTDOWN_GRACE_MS, type InitializeParams, type InitializeResult } from '../protocol/sidecar';
import { sidecarEnv } from '../protocol/sidecar-env';

export interface SidecarExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines the process wrote to stderr (its own fatal-error report, if any). */
  stderrTail: string;
}

const STDERR_LINES_KEPT = 20;

export class Sidecar implements vscode.Disposable {
  private stderrTail: string[] = [];
  private disposed = false;
  readonly exited: Promise<SidecarExit>;

  private constructor(
    private readonly child: ChildProcess,
    readonly connection: MessageConnection,
    log: vscode.LogOutputChannel,
  ) {
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n').filter((l) => l.trim())) {
        log.info(`[sidecar] ${line}`);
        this.stderrTail.push(line);
      }
      this.stderrTail = this.stderrTail.slice(-STDERR_LINES_KEPT);
    });
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal, stderrTail: this.stderrTail.join('\n') }));
      child.once('error', (e) => resolve({ code: null, signal: null, stderrTail: `could not start: ${e.message}` }));
    });
  }

  /** Spawns the sidecar and completes the handshake; rejects with the process's own words if it dies first. */
  static async start(script: string, params: InitializeParams, log: vscode.LogOutputChannel): Promise<{ sidecar: Sidecar; info: InitializeResult }> {
    const child = spawn(process.execPath, [script], {
      env: sidecarEnv({ ...process.env, ELECTRON_RUN_AS_NODE: '1' }),
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const sidecar = new Sidecar(child, connection, log);
    connection.listen();
    const died = sidecar.exited.then((exit) => {
      throw new Error(`the sidecar exited during start-up (${describeExit(exit)})`);
    });
    died.catch(() => {}); // only the race below reads it; a later exit is handled by ctx.ts
    try {
      const info = await Promise.race([connection.sendRequest(Initialize, params), died]);
      return { sidecar, info };
    } catch (e) {
      sidecar.dispose();
      throw e;
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Closes stdin (the sidecar cancels its jobs and exits) and kills it if it lingers. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.connection.dispose();
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), SIDECAR_SHUTDOWN_GRACE_MS + 5000);
    timer.unref();
    void this.exited.then(() => clearTimeout(timer));
  }

  get isDisposed(): boolean {
    return this.disposed;
  }
}

export function describeExit(exit: SidecarExit): string {
  const how = exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
  return exit.stderrTail ? `${how}: ${exit.stderrTail.split('\n').slice(-5).join(' ⏎ ')}` : how;
}
