// Connects a VS Code webview to the pure renderer in html.ts: resource URIs via asWebviewUri and the
// folders a panel may load from.
import * as vscode from 'vscode';
import { renderPanelHtml, type PanelPage } from './html';

/** The folders a panel may load from: its bundle folder, the web components, plus extra roots (e.g. output folders). */
export function localRoots(extensionUri: vscode.Uri, extra: vscode.Uri[] = []): vscode.Uri[] {
  return [
    vscode.Uri.joinPath(extensionUri, 'dist', 'webview'),
    vscode.Uri.joinPath(extensionUri, 'node_modules', '@vscode-elements', 'elements', 'dist'),
    ...extra,
  ];
}

export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, page: PanelPage): string {
  return renderPanelHtml(
    { cspSource: webview.cspSource, uri: (rel) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...rel.split('/'))).toString() },
    page,
  );
}
