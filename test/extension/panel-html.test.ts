// The shared webview page: strict CSP, a fresh nonce that only our own tags carry, resources only
// through the webview's URIs, and nothing user-controlled in the markup except the escaped title.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderPanelHtml } from '../../extension/panels/html';

const webview = { cspSource: 'https://x.vscode-cdn.net', uri: (rel: string) => `https://x.vscode-cdn.net/ext/${rel}` };
const page = { title: 'DreamBooth Gallery', script: 'dist/webview/gallery.js', style: 'dist/webview/gallery.css' };

function csp(html: string): string {
  const m = /http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(html);
  assert.ok(m, 'page has a CSP meta tag');
  return m[1]!.replace(/&#39;|&apos;/g, "'");
}

test('the CSP denies by default and allows scripts only by nonce', () => {
  const html = renderPanelHtml(webview, page, 'NONCE123');
  const policy = csp(html);
  assert.equal(
    policy,
    "default-src 'none'; img-src https://x.vscode-cdn.net; font-src https://x.vscode-cdn.net; script-src 'nonce-NONCE123'; style-src https://x.vscode-cdn.net 'nonce-NONCE123'",
  );
  assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval|\*/);
});

test('every script tag carries the nonce and loads from the webview URI', () => {
  const html = renderPanelHtml(webview, page, 'NONCE123');
  const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!);
  assert.equal(scripts.length, 1);
  assert.match(scripts[0]!, /nonce="NONCE123"/);
  assert.match(scripts[0]!, /src="https:\/\/x\.vscode-cdn\.net\/ext\/dist\/webview\/gallery\.js"/);
  assert.match(html, /<link rel="stylesheet" nonce="NONCE123" href="https:\/\/x\.vscode-cdn\.net\/ext\/dist\/webview\/gallery\.css">/);
});

test('each render gets a fresh random nonce', () => {
  const nonces = new Set([1, 2, 3].map(() => /script-src 'nonce-([^']+)'/.exec(csp(renderPanelHtml(webview, page)))![1]));
  assert.equal(nonces.size, 3);
  for (const n of nonces) assert.ok(Buffer.from(n!, 'base64').length >= 16, 'at least 128 bits');
});

test('the title is escaped, so it cannot inject markup', () => {
  const html = renderPanelHtml(webview, { ...page, title: '</title><script>alert(1)</script>' }, 'N');
  assert.equal([...html.matchAll(/<script/g)].length, 1);
  assert.match(html, /&lt;\/title&gt;&lt;script&gt;/);
});

test('the training dashboard page gets the same policy, its own bundle and style, all with the nonce', () => {
  const html = renderPanelHtml(webview, { title: 'Training: zwx', script: 'dist/webview/dashboard.js', style: 'dist/webview/dashboard.css' }, 'N0NCE');
  assert.match(csp(html), /^default-src 'none'; img-src https:\/\/x\.vscode-cdn\.net; .*script-src 'nonce-N0NCE'; style-src https:\/\/x\.vscode-cdn\.net 'nonce-N0NCE'$/);
  const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!);
  assert.deepEqual(scripts, [' nonce="N0NCE" src="https://x.vscode-cdn.net/ext/dist/webview/dashboard.js"']);
  assert.match(html, /<link rel="stylesheet" nonce="N0NCE" href="https:\/\/x\.vscode-cdn\.net\/ext\/dist\/webview\/dashboard\.css">/);
  assert.doesNotMatch(html, /style="/, 'no inline style attribute (the CSP would block it)');
});

test('the Prepared Images page is rendered by the same renderer: its own bundle, the same strict CSP', () => {
  const html = renderPanelHtml(webview, { title: 'Prepared Images', script: 'dist/webview/prepared.js', style: 'dist/webview/prepared.css' }, 'N2');
  assert.match(csp(html), /^default-src 'none'; img-src https:\/\/x\.vscode-cdn\.net; .*script-src 'nonce-N2'/);
  assert.match(html, /<script nonce="N2" src="https:\/\/x\.vscode-cdn\.net\/ext\/dist\/webview\/prepared\.js"><\/script>/);
});
