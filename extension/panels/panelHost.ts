// What every webview panel does the same way: its page (the strict-CSP renderer of html.ts, resource
// URIs through asWebviewUri), the folders it may load from (its bundle, the web components, plus the
// panel's own), typed messages both ways, disposal exactly once, and the files it has shown the page —
// the only ones the page may ask about (parameters, reveal).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { GalleryImage } from '../../protocol/webview';
import { inside } from '../prepared/view';
import { renderPanelHtml, type PanelPage } from './html';

export abstract class PanelHost<ToPage, FromPage> {
  protected readonly disposables: vscode.Disposable[] = [];
  protected disposed = false;
  private readonly shown = new Set<string>();

  protected constructor(
    protected readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    page: PanelPage,
    /** Folders beyond the page's own bundle that images may come from. */
    private readonly roots: vscode.Uri[],
  ) {
    this.setRoots();
    const webview = panel.webview;
    webview.html = renderPanelHtml({ cspSource: webview.cspSource, uri: (rel) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...rel.split('/'))).toString() }, page);
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: FromPage) => this.receive(m)),
    );
  }

  /** A message from the page. */
  protected abstract receive(message: FromPage): void;
  /** The panel is going (closed by the user, or replaced): drop it from wherever it is registered. */
  protected abstract forget(): void;

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.forget();
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  /** Posts to the page; posts after dispose are dropped. */
  protected post(message: ToPage): void {
    if (!this.disposed) void this.panel.webview.postMessage(message);
  }

  /** A file as the page shows it; from now on the page may ask about it. */
  protected image(file: string): GalleryImage {
    this.shown.add(file);
    return { src: this.panel.webview.asWebviewUri(vscode.Uri.file(file)).toString(), label: path.basename(file), file };
  }

  /** Refuses a file the page was never given (a page can only name what it showed). */
  protected checkShown(file: string): void {
    if (!this.shown.has(file)) throw new Error('that image is not one this panel shows');
  }

  /** Reveals a shown file in the Explorer (or the OS's file manager when it is outside the workspace). */
  protected async reveal(file: string): Promise<void> {
    this.checkShown(file);
    const uri = vscode.Uri.file(file);
    await vscode.commands.executeCommand(vscode.workspace.getWorkspaceFolder(uri) ? 'revealInExplorer' : 'revealFileInOS', uri);
  }

  /** Lets the page load images from the folders of `files` too. Returns whether a root was added: the
   *  webview then reloads the page, which says `ready` again. */
  protected allowFoldersOf(files: readonly string[]): boolean {
    const folders = [...new Set(files.filter((f) => !this.roots.some((r) => inside(r.fsPath, f))).map((f) => path.dirname(f)))];
    if (!folders.length) return false;
    this.roots.push(...folders.map((f) => vscode.Uri.file(f)));
    this.setRoots();
    return true;
  }

  private setRoots(): void {
    const bundle = [vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(this.extensionUri, 'node_modules', '@vscode-elements', 'elements', 'dist')];
    this.panel.webview.options = { enableScripts: true, localResourceRoots: [...bundle, ...this.roots] };
  }
}
