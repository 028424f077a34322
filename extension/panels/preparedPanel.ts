// Prepared Images: the crops training will see (OUTPUT/prepared/<concept>/), each beside its source
// photo's warnings (too small, animated), the photos skipped (unreadable) and the files ignored (not
// images), from the prepare job's report; and the class images. Opened from the "Prepare images"
// code lens's neighbour and after a prepare job. Viewing needs no trust; preparing does (the command).
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { commandId } from '../../protocol/commands';
import { unreachable, type ExtensionToPrepared, type GalleryImage, type PreparedToExtension } from '../../protocol/webview';
import { IMAGE_EXTENSIONS } from '../../language/images';
import { conceptFolders, inside, parseReport, preparedView } from '../prepared/view';
import type { Ctx } from '../ctx';
import { localRoots, panelHtml } from './webviewSetup';

function imagesIn(folder: string): string[] {
  try {
    return readdirSync(folder).filter((n) => IMAGE_EXTENSIONS.includes(path.extname(n).toLowerCase()) && !n.startsWith('.')).sort().map((n) => path.join(folder, n));
  } catch {
    return [];
  }
}


export class PreparedPanel {
  static readonly viewType = 'dreambooth.preparedImages';
  private static current: PreparedPanel | undefined;
  /** Concept files with a prepare job running. */
  private static preparing = new Set<string>();

  private readonly _disposables: vscode.Disposable[] = [];
  private readonly shown = new Set<string>();
  private disposed = false;

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
    private readonly panel: vscode.WebviewPanel,
    ctx: Ctx,
    readonly conceptFile: string,
  ) {
    const extensionUri = ctx.extension.extensionUri;
    let roots: vscode.Uri[] = [];
    try {
      const f = conceptFolders(conceptFile);
      roots = [f.preparedRoot, ...f.classFolders].map((p) => vscode.Uri.file(p));
    } catch {
      // the file has errors: the page says so, and shows no images
    }
    panel.webview.options = { enableScripts: true, localResourceRoots: localRoots(extensionUri, roots) };
    panel.webview.html = panelHtml(panel.webview, extensionUri, { title: 'Prepared Images', script: 'dist/webview/prepared.js', style: 'dist/webview/prepared.css' });
    this._disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: PreparedToExtension) => void this.onMessage(m)),
    );
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (PreparedPanel.current === this) PreparedPanel.current = undefined;
    this.panel.dispose();
    for (const d of this._disposables.splice(0)) d.dispose();
  }

  private post(message: ExtensionToPrepared): void {
    if (!this.disposed) void this.panel.webview.postMessage(message);
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
      case 'reveal': {
        if (!this.shown.has(message.file)) return;
        const uri = vscode.Uri.file(message.file);
        await vscode.commands.executeCommand(vscode.workspace.getWorkspaceFolder(uri) ? 'revealInExplorer' : 'revealFileInOS', uri);
        return;
      }
      default:
        return unreachable(message);
    }
  }

  private image(file: string): GalleryImage {
    this.shown.add(file);
    return { src: this.panel.webview.asWebviewUri(vscode.Uri.file(file)).toString(), label: path.basename(file), file };
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
