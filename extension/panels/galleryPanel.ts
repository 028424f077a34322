// The gallery: a prompt form and the images it produced. One panel at a time (createOrShow) that
// survives a reload (revive via the serializer). Data reaches the page only by postMessage, after
// the page says it is ready.
import { readdir, stat } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GenerateParams } from '../../protocol/sidecar';
import { SAMPLERS } from '../../protocol/vocabulary';
import { unreachable, type ExtensionToWebview, type GalleryForm, type GalleryImage, type WebviewToExtension } from '../../protocol/webview';
import { generationDefaults } from '../../language/resolve';
import { readConfig } from '../config';
import type { Ctx } from '../ctx';
import { getHfToken } from '../secrets';
import { requireTrust } from '../trust';
import { localRoots, panelHtml } from './webviewSetup';

/** The schema's generate defaults, one image at a time (a gallery preview, not a batch). */
const DEFAULT_FORM: GalleryForm = { ...generationDefaults(), count: 1 };
const MAX_IMAGES_LISTED = 60;

/** Where gallery images go: the setting, else runs/gallery in the first workspace folder, else global storage. */
function outputFolder(ctx: Ctx): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const setting = readConfig(folder).galleryOutputFolder;
  if (setting) return path.isAbsolute(setting) || !folder ? vscode.Uri.file(setting) : vscode.Uri.joinPath(folder, setting);
  return folder ? vscode.Uri.joinPath(folder, 'runs', 'gallery') : vscode.Uri.joinPath(ctx.extension.globalStorageUri, 'gallery');
}

export class GalleryPanel {
  static readonly viewType = 'dreambooth.gallery';
  private static current: GalleryPanel | undefined;

  private readonly _disposables: vscode.Disposable[] = [];
  private readonly outDir: vscode.Uri;
  private cancelCurrent: (() => void) | undefined;
  private disposed = false;

  static createOrShow(ctx: Ctx): void {
    const column = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.One;
    if (GalleryPanel.current) return GalleryPanel.current.panel.reveal(column);
    const panel = vscode.window.createWebviewPanel(GalleryPanel.viewType, 'DreamBooth Gallery', column);
    GalleryPanel.current = new GalleryPanel(panel, ctx);
  }

  static revive(panel: vscode.WebviewPanel, ctx: Ctx): void {
    GalleryPanel.current?.dispose();
    GalleryPanel.current = new GalleryPanel(panel, ctx);
  }

  static registerSerializer(ctx: Ctx): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(GalleryPanel.viewType, {
      deserializeWebviewPanel: async (panel) => GalleryPanel.revive(panel, ctx),
    });
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly ctx: Ctx,
  ) {
    const extensionUri = ctx.extension.extensionUri;
    this.outDir = outputFolder(ctx);
    panel.webview.options = { enableScripts: true, localResourceRoots: localRoots(extensionUri, [this.outDir]) };
    panel.webview.html = panelHtml(panel.webview, extensionUri, {
      title: 'DreamBooth Gallery',
      script: 'dist/webview/gallery.js',
      style: 'dist/webview/gallery.css',
    });
    this._disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: WebviewToExtension) => void this.onMessage(m)),
    );
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (GalleryPanel.current === this) GalleryPanel.current = undefined;
    this.panel.dispose();
    for (const d of this._disposables.splice(0)) d.dispose();
  }

  /** Posts to the page; a job may outlive the panel, so posts after dispose are dropped. */
  private post(message: ExtensionToWebview): void {
    if (!this.disposed) void this.panel.webview.postMessage(message);
  }

  private async onMessage(message: WebviewToExtension): Promise<void> {
    switch (message.type) {
      case 'ready':
        return this.post({ type: 'init', form: DEFAULT_FORM, samplers: SAMPLERS, model: readConfig().defaultModel, images: await this.existingImages() });
      case 'generate':
        return this.generate(message.form);
      case 'cancel':
        return this.cancelCurrent?.();
      default:
        return unreachable(message);
    }
  }

  private image(file: string): GalleryImage {
    return { src: this.panel.webview.asWebviewUri(vscode.Uri.file(file)).toString(), label: path.basename(file) };
  }

  /** PNGs already in the output folder, newest first. */
  private async existingImages(): Promise<GalleryImage[]> {
    const dir = this.outDir.fsPath;
    const names = await readdir(dir).catch(() => [] as string[]);
    const pngs = await Promise.all(
      names.filter((n) => n.toLowerCase().endsWith('.png')).map(async (n) => ({ file: path.join(dir, n), mtime: (await stat(path.join(dir, n))).mtimeMs })),
    );
    return pngs.sort((a, b) => b.mtime - a.mtime).slice(0, MAX_IMAGES_LISTED).map((p) => this.image(p.file));
  }

  private async generate(form: GalleryForm): Promise<void> {
    if (!(await requireTrust('Generating images'))) return this.post({ type: 'finished', status: 'failed', error: 'the workspace is not trusted' });
    const config = readConfig();
    const params: GenerateParams = {
      ...form,
      model: config.defaultModel,
      outDir: this.outDir.fsPath,
      hfToken: await getHfToken(this.ctx.extension.secrets),
    };
    this.post({ type: 'started' });
    const shown = new Set<string>();
    const showNew = (files: string[] | undefined) => {
      const fresh = (files ?? []).filter((f) => !shown.has(f));
      fresh.forEach((f) => shown.add(f));
      if (fresh.length) this.post({ type: 'images', images: fresh.map((f) => this.image(f)) });
    };
    try {
      const outcome = await this.ctx.runJob(`Generating ${form.count} image(s)`, { kind: 'generate', params }, {
        started: (_jobId, cancel) => (this.cancelCurrent = cancel),
        progress: (p) => {
          this.post({ type: 'progress', phase: p.phase, step: p.step, total: p.total, etaSeconds: p.etaSeconds, message: p.message });
          showNew(p.images);
        },
      });
      if (outcome.status === 'done') showNew(outcome.images);
      this.post({ type: 'finished', status: outcome.status, error: outcome.status === 'failed' ? outcome.error : undefined });
    } catch (e) {
      this.post({ type: 'finished', status: 'failed', error: (e as Error).message });
    } finally {
      this.cancelCurrent = undefined;
    }
  }
}
