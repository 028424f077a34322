// The one HTML renderer for every webview panel: a strict CSP with a fresh crypto nonce, resources
// only through asWebviewUri, and no data in the markup (data arrives by postMessage after `ready`).
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export interface PanelPage {
  title: string;
  /** Bundled script, relative to the extension root (e.g. dist/webview/gallery.js). */
  script: string;
  /** Bundled stylesheet, relative to the extension root. */
  style?: string;
}

/** The folders a panel may load from: its bundle folder plus any extra roots (e.g. output folders). */
export function localRoots(extensionUri: vscode.Uri, extra: vscode.Uri[] = []): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'node_modules', '@vscode-elements', 'elements', 'dist'), ...extra];
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function renderPanelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, page: PanelPage): string {
  const nonce = randomBytes(16).toString('base64');
  const uri = (rel: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...rel.split('/'))).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
  ].join('; ');
  const style = page.style ? `<link rel="stylesheet" nonce="${nonce}" href="${escapeAttr(uri(page.style))}">` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeAttr(page.title)}</title>
${style}
</head>
<body>
<main id="app"></main>
<script nonce="${nonce}" src="${escapeAttr(uri(page.script))}"></script>
</body>
</html>`;
}
