// The one HTML renderer for every webview panel: a strict CSP with a fresh crypto nonce, resources
// only through asWebviewUri, and no data in the markup (data arrives by postMessage after `ready`).
// No `vscode` import: the page is a pure function of the webview's CSP source and resource URIs.
import { randomBytes } from 'node:crypto';

export interface PanelPage {
  title: string;
  /** Bundled script, relative to the extension root (e.g. dist/webview/gallery.js). */
  script: string;
  /** Bundled stylesheet, relative to the extension root. */
  style?: string;
}

/** What the renderer needs from a webview: its CSP source and a URI for an extension file. */
export interface WebviewResources {
  cspSource: string;
  uri(relativePath: string): string;
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
  ].join('; ');
}

export function renderPanelHtml(webview: WebviewResources, page: PanelPage, nonce = randomBytes(16).toString('base64')): string {
  const csp = contentSecurityPolicy(webview.cspSource, nonce);
  const style = page.style ? `<link rel="stylesheet" nonce="${nonce}" href="${escapeAttr(webview.uri(page.style))}">` : '';
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
<script nonce="${nonce}" src="${escapeAttr(webview.uri(page.script))}"></script>
</body>
</html>`;
}
