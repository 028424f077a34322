// Prepared Images: the crops training will see (OUTPUT/prepared/<concept>/), each beside its source
// photo's warnings (too small, animated), the photos skipped (unreadable) and the files ignored (not
// images), from the prepare job's report; and the class images. Opened from the "Prepare images"
// code lens's neighbour and after a prepare job. Viewing needs no trust; preparing does (the command).
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { commandId } from '../../protocol/commands';
import { unreachable, type ExtensionToPrepared, type PreparedToExtension } from '../../protocol/webview';
import { IMAGE_EXTENSIONS } from '../../language/images';
import { conceptFolders, inside, parseReport, preparedView } from '../prepared/view';
import type { Ctx } from '../ctx';
import { PanelHost } from './panelHost';

function imagesIn(folder: string): string[] {
  try {
    return readdirSync(folder).filter((n) => IMAGE_EXTENSIONS.includes(path.extname(n).toLowerCase()) && !n.startsWith('.')).sort().map((n) => path.join(folder, n));
  } catch {
    return [];
  }
}

export class PreparedPanel extends PanelHost<ExtensionToPrepared, PreparedToExtension> {
  static readonly viewType = 'dreambooth.preparedImages';
  private static current: PreparedPanel | undefined;
  /** Concept files with a prepare job running. */
  private static preparing = new Set<string>();

  static createOrShow(ctx: Ctx, conceptFile: string): void {
    const column = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.One;
    if (PreparedPanel.current?.conceptFile === conceptFile) return PreparedPanel.current.panel.reveal(column);
    PreparedPanel.current?.dispose();
    const panel = vscode.window.createWebviewPanel(PreparedPanel.viewType, `Prepared: ${path.basename(conceptFile, '.dreambooth')}`, column);
    PreparedPanel.current = new PreparedPanel(panel, ctx, conceptFile);
  }

  static registerSerializer(ctx: Ctx): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(PreparedPanel.viewType, {
      deserializeWebviewPanel: async (panel, state: { conceptFile?: unknown } | undefined) => {
        if (typeof state?.conceptFile !== 'string') return panel.dispose();
        PreparedPanel.current?.dispose();
        PreparedPanel.current = new PreparedPanel(panel, ctx, state.conceptFile);
      },
    });
  }

  /** The prepare command reports its job here, so an open panel shows it running and then the result. */
  static async whilePreparing<T>(conceptFile: string, work: () => Promise<T>): Promise<T> {
    PreparedPanel.preparing.add(conceptFile);
    PreparedPanel.current?.postBusy();
    try {
      return await work();
    } finally {
      PreparedPanel.preparing.delete(conceptFile);
      if (PreparedPanel.current?.conceptFile === conceptFile) await PreparedPanel.current.refresh();
    }
  }

  private constructor(
    panel: vscode.WebviewPanel,
    ctx: Ctx,
    readonly conceptFile: string,
  ) {
    let roots: vscode.Uri[] = [];
    try {
      const f = conceptFolders(conceptFile);
      roots = [f.preparedRoot, ...f.classFolders].map((p) => vscode.Uri.file(p));
    } catch {
      // the file has errors: the page says so, and shows no images
    }
    super(panel, ctx.extension.extensionUri, { title: 'Prepared Images', script: 'dist/webview/prepared.js', style: 'dist/webview/prepared.css' }, roots);
  }

  protected forget(): void {
    if (PreparedPanel.current === this) PreparedPanel.current = undefined;
  }

  protected receive(message: PreparedToExtension): void {
    void this.onMessage(message);
  }

  private postBusy(): void {
    this.post({ type: 'busy', busy: PreparedPanel.preparing.has(this.conceptFile) });
  }

  private async onMessage(message: PreparedToExtension): Promise<void> {
    switch (message.type) {
      case 'ready':
        return this.refresh();
      case 'prepare':
        await vscode.commands.executeCommand(commandId('prepareImages'), vscode.Uri.file(this.conceptFile));
        return;
      case 'reveal':
        return this.reveal(message.file);
      default:
        return unreachable(message);
    }
  }

  async refresh(): Promise<void> {
    const busy = PreparedPanel.preparing.has(this.conceptFile);
    let folders: ReturnType<typeof conceptFolders>;
    try {
      folders = conceptFolders(this.conceptFile);
    } catch (e) {
      return this.post({ type: 'show', concept: this.conceptFile, busy, view: { state: 'missing', reason: (e as Error).message } });
    }
    const json = await readFile(folders.report, 'utf8').catch(() => undefined);
    const view = preparedView(parseReport(json), {
      preparedRoot: folders.preparedRoot,
      image: (f) => this.image(f),
      // Only the class folders the concept file names (the panel may load from those).
      classImages: (folder) => (folders.classFolders.some((c) => c === folder || inside(c, folder)) ? imagesIn(folder) : []),
    });
    this.post({ type: 'show', concept: this.conceptFile, busy, view });
  }
}
