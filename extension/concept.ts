// From a concept file (and optionally one of its `generate` blocks) to the params of generate
// jobs, with the same parser and resolver the language server and the CLI use.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseConcept } from '../language/parse';
import { generateRequest, resolveConcept, type ResolvedConcept } from '../language/resolve';
import type { GenerateParams } from '../protocol/sidecar';

export interface GenerateJob {
  block: string;
  params: GenerateParams;
}

/** The concept file a command acts on: its argument (Uri or path), else the active .dreambooth editor. */
export function conceptUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg) return arg.includes('://') ? vscode.Uri.parse(arg) : vscode.Uri.file(arg);
  const doc = vscode.window.activeTextEditor?.document;
  return doc && (doc.languageId === 'dreambooth' || doc.fileName.endsWith('.dreambooth')) ? doc.uri : undefined;
}

/** Saves the file if it has unsaved edits: the sidecar reads it from disk. */
export async function saveIfDirty(uri: vscode.Uri): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument(uri);
  if (doc.isDirty) await doc.save();
  return doc;
}

/** The saved concept file, resolved; its first error (if any) thrown as a message to fix it. */
export async function resolvedConcept(uri: vscode.Uri): Promise<ResolvedConcept> {
  const doc = await saveIfDirty(uri);
  const file = path.basename(uri.fsPath);
  const { doc: ast, diagnostics } = parseConcept(doc.getText());
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    const first = errors[0]!;
    throw new Error(`${file} has ${errors.length} error(s); fix them first (line ${first.range.start.line + 1}: ${first.message}).`);
  }
  return resolveConcept(ast, path.dirname(uri.fsPath));
}

export async function generateJobs(uri: vscode.Uri, blockName: string | undefined, hfToken: string | undefined): Promise<GenerateJob[]> {
  const file = path.basename(uri.fsPath);
  const resolved = await resolvedConcept(uri);
  const names = Object.keys(resolved.generate);
  if (!names.length) throw new Error(`${file} has no generate block; add one (e.g. \`generate portrait { prompt "a photo of …" }\`).`);
  if (blockName !== undefined && !names.includes(blockName)) throw new Error(`${file} has no generate block named "${blockName}"; it has: ${names.join(', ')}.`);
  let chosen = blockName !== undefined ? [blockName] : names;
  if (blockName === undefined && names.length > 1) {
    const all = '$(layers) All blocks';
    const pick = await vscode.window.showQuickPick([all, ...names], { title: `DreamBooth: which generate block of ${file}?` });
    if (!pick) return [];
    chosen = pick === all ? names : [pick];
  }
  return chosen.map((block) => ({ block, params: { ...generateRequest(resolved, block, uri.fsPath), hfToken } }));
}
