// What the client can do, read once in onInitialize (as the lsp-sample does) and used everywhere after.
import type { ClientCapabilities } from 'vscode-languageserver/node';

export interface Capabilities {
  snippets: boolean;
  hoverMarkdown: boolean;
  hierarchicalSymbols: boolean;
  codeActionLiterals: boolean;
  /** The client lets the server register file watchers (for photos in instance folders). */
  watchedFilesRegistration: boolean;
  prepareRename: boolean;
}

export function readCapabilities(c: ClientCapabilities): Capabilities {
  const td = c.textDocument;
  return {
    snippets: td?.completion?.completionItem?.snippetSupport === true,
    hoverMarkdown: td?.hover?.contentFormat?.includes('markdown') ?? false,
    hierarchicalSymbols: td?.documentSymbol?.hierarchicalDocumentSymbolSupport === true,
    codeActionLiterals: td?.codeAction?.codeActionLiteralSupport !== undefined,
    watchedFilesRegistration: c.workspace?.didChangeWatchedFiles?.dynamicRegistration === true,
    prepareRename: td?.rename?.prepareSupport === true,
  };
}
