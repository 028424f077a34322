// The gallery: a prompt form with model and LoRA pickers, the images it produced, the PNG parameters
// of any image (shown, copied, or sent back into the form) and the history of the concept file it
// belongs to. One panel at a time (createOrShow) that survives a reload (revive via the serializer).
// Data reaches the page only by postMessage, after the page says it is ready. The running job lives
// beside the panel, not in it: a panel that comes back (hidden and shown, reloaded, reopened) shows it.
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GenerateParams } from '../../protocol/sidecar';
import { SAMPLERS } from '../../protocol/vocabulary';
import { unreachable, type Choice, type ExtensionToWebview, type GalleryForm, type GalleryImage, type GalleryProgress, type HistoryEntry, type WebviewToExtension } from '../../protocol/webview';
import { generationDefaults } from '../../language/resolve';
import { conceptContext, loraChoices, modelChoices, type ConceptContext } from '../gallery/choices';
import { GalleryHistory } from '../gallery/history';
import { pickLora, pickModel, rememberChoice } from '../gallery/pick';
import { parametersToForm, pngParametersText } from '../gallery/pngSettings';
import { readConfig } from '../config';
import type { Ctx } from '../ctx';
import { getHfToken } from '../secrets';
import { requireTrust } from '../trust';
import { PanelHost } from './panelHost';

const MAX_IMAGES_LISTED = 60;
/** A dropped file larger than this is not a generated PNG worth parsing. */
const MAX_DROPPED_BYTES = 64 * 1024 * 1024;

/** Where gallery images go: the setting, else runs/gallery in the first workspace folder, else global storage. */
function outputFolder(ctx: Ctx): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const setting = readConfig(folder).galleryOutputFolder;
  if (setting) return path.isAbsolute(setting) || !folder ? vscode.Uri.file(setting) : vscode.Uri.joinPath(folder, setting);
  return folder ? vscode.Uri.joinPath(folder, 'runs', 'gallery') : vscode.Uri.joinPath(ctx.extension.globalStorageUri, 'gallery');
}

/** The gallery's job while it runs (at most one). */
interface GalleryRun {
  progress?: GalleryProgress;
  files: string[];
  cancel?: () => void;
}

/** What the page keeps in its webview state (getState/setState), read back when VS Code revives the panel. */
export interface GalleryState {
  form?: Partial<GalleryForm>;
  conceptFile?: string;
}

export class GalleryPanel extends PanelHost<ExtensionToWebview, WebviewToExtension> {
  static readonly viewType = 'dreambooth.gallery';
  private static current: GalleryPanel | undefined;
  private static run: GalleryRun | undefined;

  private readonly outDir: vscode.Uri;
  /** Images of the job the gallery was opened for, shown before the folder's own. */
  private jobImages: string[] = [];
  private concept: ConceptContext = {};
  private models: Choice[] = [];
  private loras: Choice[] = [];
  private ready = false;
  private markInitialized!: () => void;
  /** Resolves once the page has its form and pickers (parameters are mapped onto the pickers' entries). */
  private readonly initialized = new Promise<void>((resolve) => (this.markInitialized = resolve));
  private pending: ExtensionToWebview[] = [];

  /** Opens (or reveals) the gallery; `jobImages`, what a job just made (a generate block's images, class
   *  images), are shown first even though they live outside the gallery's own folder. */
  static createOrShow(ctx: Ctx, conceptFile?: string, jobImages: string[] = []): GalleryPanel {
    const column = vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.One;
    let current = GalleryPanel.current;
    if (current) {
      current.panel.reveal(column);
      if (conceptFile && conceptFile !== current.concept.conceptFile) void current.setConcept(conceptFile);
    } else {
      const panel = vscode.window.createWebviewPanel(GalleryPanel.viewType, 'DreamBooth Gallery', column);
      current = GalleryPanel.current = new GalleryPanel(panel, ctx, conceptFile);
    }
    if (jobImages.length) current.showJobImages(jobImages);
    return current;
  }

  static registerSerializer(ctx: Ctx): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(GalleryPanel.viewType, {
      deserializeWebviewPanel: async (panel, state: GalleryState | undefined) => {
        GalleryPanel.current?.dispose();
        const file = typeof state?.conceptFile === 'string' ? state.conceptFile : undefined;
        GalleryPanel.current = new GalleryPanel(panel, ctx, file);
      },
    });
  }

  private constructor(
    panel: vscode.WebviewPanel,
    private readonly ctx: Ctx,
    conceptFile: string | undefined,
  ) {
    const outDir = outputFolder(ctx);
    super(panel, ctx.extension.extensionUri, { title: 'DreamBooth Gallery', script: 'dist/webview/gallery.js', style: 'dist/webview/gallery.css' }, [outDir]);
    this.outDir = outDir;
    this.concept = { conceptFile };
  }

  protected forget(): void {
    if (GalleryPanel.current === this) GalleryPanel.current = undefined;
  }

  protected receive(message: WebviewToExtension): void {
    this.onMessage(message).catch((e: Error) => this.post({ type: 'notice', text: e.message, error: true }));
  }

  /** Shows the A1111 parameters of a PNG on disk (the "Show PNG Parameters" command, a drop from the Explorer). */
  async showParametersOf(uri: vscode.Uri): Promise<void> {
    const bytes = await vscode.workspace.fs.readFile(uri);
    await this.initialized;
    this.showParameters(path.basename(uri.path), bytes);
  }

  /** Posts to the page once it is ready (queued before); posts after dispose are dropped. */
  protected override post(message: ExtensionToWebview): void {
    if (this.disposed) return;
    if (!this.ready) this.pending.push(message);
    else super.post(message);
  }

  private async onMessage(message: WebviewToExtension): Promise<void> {
    switch (message.type) {
      case 'ready':
        await this.sendInit();
        this.ready = true;
        this.markInitialized();
        for (const m of this.pending.splice(0)) this.post(m);
        return;
      case 'generate':
        return this.generate(message.form);
      case 'cancel':
        return GalleryPanel.run?.cancel?.();
      case 'browseModel': {
        const model = await pickModel();
        if (model) await this.refreshChoices({ model: await rememberChoice(this.ctx.extension.workspaceState, 'models', model) });
        return;
      }
      case 'browseLora': {
        const lora = await pickLora();
        if (lora) await this.refreshChoices({ lora: await rememberChoice(this.ctx.extension.workspaceState, 'loras', lora) });
        return;
      }
      case 'parameters':
        this.checkShown(message.file);
        return this.showParameters(path.basename(message.file), await readFile(message.file));
      case 'openPng':
        return this.showParametersOf(vscode.Uri.parse(message.uri, true));
      case 'droppedPng': {
        const bytes = message.bytes instanceof Uint8Array ? message.bytes : new Uint8Array(Object.values(message.bytes ?? {}) as number[]);
        if (bytes.length > MAX_DROPPED_BYTES) throw new Error(`${message.name} is ${(bytes.length / 1048576).toFixed(0)} MiB: too big for a generated PNG`);
        return this.showParameters(String(message.name), bytes);
      }
      case 'copy':
        await vscode.env.clipboard.writeText(message.text);
        return this.post({ type: 'notice', text: 'Parameters copied to the clipboard.', error: false });
      case 'reveal':
        return this.reveal(message.file);
      case 'clearHistory':
        await this.history().clear();
        return this.post({ type: 'history', history: [] });
      default:
        return unreachable(message);
    }
  }

  private showJobImages(files: string[]): void {
    this.jobImages = files;
    // A new root reloads the page; its `ready` brings an init that lists the job's images first.
    this.allowFoldersOf(files);
    this.post({ type: 'images', images: files.map((f) => this.image(f)) });
  }

  private async setConcept(conceptFile: string): Promise<void> {
    this.concept = { conceptFile };
    if (this.ready) await this.sendInit();
  }

  private history(): GalleryHistory {
    return new GalleryHistory(this.ctx.extension.workspaceState, this.concept.conceptFile ?? '', existsSync);
  }

  private async sendInit(): Promise<void> {
    const config = readConfig();
    this.concept = await conceptContext(this.concept.conceptFile);
    await this.loadChoices();
    const run = GalleryPanel.run;
    const form: GalleryForm = {
      ...generationDefaults(),
      count: 1, // a gallery preview, not a batch
      model: this.concept.trainedModel ?? this.concept.model ?? config.defaultModel,
      lora: this.concept.exportedLora ?? '',
      loraScale: 1,
    };
    const message: ExtensionToWebview = {
      type: 'init',
      form,
      samplers: SAMPLERS,
      models: this.models,
      loras: this.loras,
      images: [...this.jobImages.map((f) => this.image(f)), ...(await this.existingImages())],
      history: this.historyEntries(),
      concept: this.concept.conceptFile,
      running: run && { progress: run.progress, images: run.files.map((f) => this.image(f)) },
    };
    void this.panel.webview.postMessage(message);
    this.panel.title = this.concept.conceptFile ? `Gallery: ${path.basename(this.concept.conceptFile, '.dreambooth')}` : 'DreamBooth Gallery';
  }

  private async loadChoices(): Promise<void> {
    const state = this.ctx.extension.workspaceState;
    this.models = await modelChoices(this.concept, readConfig().defaultModel, state.get<string[]>('dreambooth.gallery.models') ?? []);
    this.loras = await loraChoices(this.concept, state.get<string[]>('dreambooth.gallery.loras') ?? []);
  }

  private async refreshChoices(select: { model?: string; lora?: string }): Promise<void> {
    await this.loadChoices();
    this.post({ type: 'choices', models: this.models, loras: this.loras, select });
  }

  private showParameters(source: string, bytes: Uint8Array): void {
    let text: string | undefined;
    try {
      text = pngParametersText(bytes);
    } catch (e) {
      throw new Error(`${source} is not a readable PNG (${(e as Error).message})`);
    }
    if (text === undefined) throw new Error(`${source} has no generation parameters (no A1111 "parameters" text in the PNG)`);
    this.post({ type: 'parameters', parameters: { source, text, ...parametersToForm(text, { models: this.models, loras: this.loras }) } });
  }

  private historyEntries(): HistoryEntry[] {
    return this.history().list().map((e) => ({ time: e.time, form: e.form, status: e.status, images: e.files.map((f) => this.image(f)) }));
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

  /** Posts to whichever gallery panel is open now (the one that started the job may be gone). */
  private static broadcast(make: (panel: GalleryPanel) => ExtensionToWebview): void {
    const panel = GalleryPanel.current;
    if (panel) panel.post(make(panel));
  }

  private async generate(form: GalleryForm): Promise<void> {
    if (!(await requireTrust('Generating images'))) return this.post({ type: 'finished', status: 'failed', error: 'the workspace is not trusted' });
    if (GalleryPanel.run) return this.post({ type: 'notice', text: 'The gallery is already generating; cancel it or wait.', error: true });
    const { model, lora, loraScale, ...settings } = form;
    const params: GenerateParams = {
      ...settings,
      model: model || readConfig().defaultModel,
      ...(lora ? { lora, loraScale } : {}),
      outDir: this.outDir.fsPath,
      hfToken: await getHfToken(this.ctx.extension.secrets),
    };
    const run: GalleryRun = { files: [] };
    GalleryPanel.run = run;
    const history = this.history();
    const time = new Date().toISOString();
    GalleryPanel.broadcast(() => ({ type: 'started' }));
    const showNew = (files: string[] | undefined) => {
      const fresh = (files ?? []).filter((f) => !run.files.includes(f));
      run.files.push(...fresh);
      if (fresh.length) GalleryPanel.broadcast((p) => ({ type: 'images', images: fresh.map((f) => p.image(f)) }));
    };
    let finished: Extract<ExtensionToWebview, { type: 'finished' }>;
    try {
      const outcome = await this.ctx.runJob(`Generating ${form.count} image(s)`, { kind: 'generate', params }, {
        started: (_jobId, cancel) => (run.cancel = cancel),
        progress: (p) => {
          run.progress = { phase: p.phase, step: p.step, total: p.total, etaSeconds: p.etaSeconds, message: p.message };
          GalleryPanel.broadcast(() => ({ type: 'progress', ...run.progress! }));
          showNew(p.images);
        },
      });
      if (outcome.status === 'done') showNew(outcome.images);
      finished = { type: 'finished', status: outcome.status, error: outcome.status === 'failed' ? outcome.error : undefined };
    } catch (e) {
      finished = { type: 'finished', status: 'failed', error: (e as Error).message };
    } finally {
      GalleryPanel.run = undefined;
    }
    await history.add({ time, form, status: finished.status, files: run.files });
    GalleryPanel.broadcast(() => finished);
    GalleryPanel.broadcast((p) => ({ type: 'history', history: p.historyEntries() }));
  }
}
