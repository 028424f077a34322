// The DreamBooth language server (bundled to dist/language-server.js). The transport comes from the
// command line as vscode-languageserver reads it: `--stdio`, `--node-ipc` or `--socket=PORT`.
// Every feature is a pure function of language/; this file only wires them to LSP.
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import {
  CodeActionKind,
  createConnection,
  DiagnosticSeverity,
  DidChangeWatchedFilesNotification,
  ErrorCodes,
  ResponseError,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type CodeAction,
  type Diagnostic as LspDiagnostic,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic } from '../ast';
import { complete } from '../complete';
import { formatConcept } from '../format';
import { hover } from '../hover';
import { IMAGE_EXTENSIONS, scanImageFolder, type FolderScan } from '../images';
import { codeLenses, documentSymbols, foldingRanges } from '../outline';
import { parseConcept } from '../parse';
import { IDENTIFIER, identifierAt, renameIdentifier } from '../rename';
import { checkConceptText } from '../validate';
import { readCapabilities, type Capabilities } from './capabilities';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
let caps: Capabilities;

// Report our own fatal errors before dying, so the client's log says why the server went away.
process.on('uncaughtException', (e) => {
  connection.console.error(`dreambooth language server crashed: ${e.stack ?? e.message}`);
  process.exit(1);
});

const SEVERITY: Record<Diagnostic['severity'], DiagnosticSeverity> = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information };

/** The folder of a file: URI, for relative paths and folder checks; undefined for unsaved documents. */
function fileDirOf(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return dirname(fileURLToPath(uri));
  } catch {
    return undefined;
  }
}

function toLsp(d: Diagnostic): LspDiagnostic {
  return { range: d.range, severity: SEVERITY[d.severity], message: d.message, code: d.code, source: 'dreambooth', data: d.fix };
}

// Folder scans read the first bytes of every photo: cache them between keystrokes, and forget them
// when the client reports changed files (the watchers registered below) or a document is saved.
const folderScans = new Map<string, FolderScan>();
function cachedScan(dir: string): FolderScan {
  let scan = folderScans.get(dir);
  if (!scan) folderScans.set(dir, (scan = scanImageFolder(dir)));
  return scan;
}

const pending = new Map<string, NodeJS.Timeout>();
/** Validate after a short pause in typing (the folder checks touch the disk). */
function scheduleValidation(doc: TextDocument, delayMs: number): void {
  clearTimeout(pending.get(doc.uri));
  pending.set(
    doc.uri,
    setTimeout(() => {
      pending.delete(doc.uri);
      const current = documents.get(doc.uri);
      if (!current) return;
      try {
        const { diagnostics } = checkConceptText(current.getText(), { fileDir: fileDirOf(current.uri), scanFolder: cachedScan });
        void connection.sendDiagnostics({ uri: current.uri, version: current.version, diagnostics: diagnostics.map(toLsp) });
      } catch (e) {
        // The checker is built not to throw; if it does, keep serving and say where.
        connection.console.error(`dreambooth: checking ${current.uri} failed: ${(e as Error).stack ?? String(e)}`);
      }
    }, delayMs),
  );
}

connection.onInitialize((params): InitializeResult => {
  caps = readCapabilities(params.capabilities);
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
      completionProvider: { triggerCharacters: ['"', '/', ' '] },
      hoverProvider: true,
      documentSymbolProvider: true,
      foldingRangeProvider: true,
      documentFormattingProvider: true,
      codeLensProvider: { resolveProvider: false },
      codeActionProvider: caps.codeActionLiterals ? { codeActionKinds: [CodeActionKind.QuickFix] } : undefined,
      renameProvider: caps.prepareRename ? { prepareProvider: true } : true,
    },
    serverInfo: { name: 'dreambooth-language-server', version: '0.1.0' },
  };
});

// Photos added to or removed from instance folders change diagnostics: ask the client to watch them.
connection.onInitialized(() => {
  if (!caps.watchedFilesRegistration) return;
  const exts = IMAGE_EXTENSIONS.map((e) => e.slice(1)).join(',');
  void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: `**/*.{${exts}}` }, { globPattern: '**/*.dreambooth' }] });
});

documents.onDidOpen((e) => scheduleValidation(e.document, 0));
documents.onDidChangeContent((e) => scheduleValidation(e.document, 200));
documents.onDidClose((e) => {
  clearTimeout(pending.get(e.document.uri));
  pending.delete(e.document.uri);
  void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
});
connection.onDidChangeWatchedFiles(() => {
  folderScans.clear();
  for (const d of documents.all()) scheduleValidation(d, 0);
});
documents.onDidSave((e) => {
  folderScans.clear();
  scheduleValidation(e.document, 0);
});

connection.onCompletion((p) => {
  const doc = documents.get(p.textDocument.uri);
  return doc ? complete(doc.getText(), p.position, { fileDir: fileDirOf(doc.uri), snippets: caps.snippets }) : [];
});

connection.onHover((p) => {
  const doc = documents.get(p.textDocument.uri);
  if (!doc) return null;
  const h = hover(parseConcept(doc.getText()).doc, p.position, fileDirOf(doc.uri));
  return h ? { contents: caps.hoverMarkdown ? { kind: 'markdown', value: h.markdown } : h.markdown.replace(/[*`]/g, ''), range: h.range } : null;
});

connection.onDocumentSymbol((p) => {
  const doc = documents.get(p.textDocument.uri);
  if (!doc) return [];
  const symbols = documentSymbols(parseConcept(doc.getText()).doc);
  if (caps.hierarchicalSymbols) return symbols;
  // Flat SymbolInformation for old clients.
  return symbols.flatMap((s) => [s, ...(s.children ?? [])].map((c) => ({ name: c.name, kind: c.kind, location: { uri: doc.uri, range: c.range }, containerName: c === s ? undefined : s.name })));
});

connection.onFoldingRanges((p) => {
  const doc = documents.get(p.textDocument.uri);
  return doc ? foldingRanges(parseConcept(doc.getText()).doc) : [];
});

connection.onDocumentFormatting((p) => {
  const doc = documents.get(p.textDocument.uri);
  if (!doc) return [];
  const text = doc.getText();
  const indent = p.options.insertSpaces ? ' '.repeat(Math.max(1, Math.min(8, p.options.tabSize))) : '\t';
  const formatted = formatConcept(text, { indent });
  if (formatted === text) return [];
  return [{ range: { start: { line: 0, character: 0 }, end: doc.positionAt(text.length) }, newText: formatted }];
});

connection.onCodeLens((p) => {
  const doc = documents.get(p.textDocument.uri);
  return doc ? codeLenses(parseConcept(doc.getText()).doc, doc.uri) : [];
});

connection.onPrepareRename((p) => {
  const doc = documents.get(p.textDocument.uri);
  const hit = doc && identifierAt(parseConcept(doc.getText()).doc, p.position);
  return hit ? { range: hit.range, placeholder: hit.block.name ?? '' } : null;
});

connection.onRenameRequest((p) => {
  const doc = documents.get(p.textDocument.uri);
  if (!doc) return null;
  const ast = parseConcept(doc.getText()).doc;
  const hit = identifierAt(ast, p.position);
  if (!hit?.block.name) throw new ResponseError(ErrorCodes.InvalidRequest, 'only a concept identifier can be renamed here');
  if (!IDENTIFIER.test(p.newName)) throw new ResponseError(ErrorCodes.InvalidParams, `"${p.newName}" is not an identifier: letters, digits, _ and -, starting with a letter`);
  return { changes: { [doc.uri]: renameIdentifier(ast, hit.block.name, p.newName) } };
});

connection.onCodeAction((p): CodeAction[] => {
  const actions: CodeAction[] = [];
  for (const d of p.context.diagnostics) {
    const fix = d.data as Diagnostic['fix'] | undefined;
    if (d.source !== 'dreambooth' || !fix || !Array.isArray(fix.edits)) continue;
    actions.push({ title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: true, edit: { changes: { [p.textDocument.uri]: fix.edits } } });
  }
  return actions;
});

documents.listen(connection);
connection.listen();
