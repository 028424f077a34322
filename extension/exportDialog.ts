// "DreamBooth: Export…": which format (a quick pick) and where (a save dialog, starting at the run's
// default export path). The dialog is the user's consent to replace: the system's save dialog asks
// before a file is overwritten, and a folder that exists is confirmed here.
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { runLayout, runName } from '../language/resolve';
import type { ExportParams } from '../protocol/sidecar';
import type { ExportFormat } from '../protocol/vocabulary';
import { resolvedConcept } from './concept';

interface FormatItem extends vscode.QuickPickItem {
  format: ExportFormat;
  half: boolean;
}

const FORMATS: { format: ExportFormat; label: string; detail: string }[] = [
  { format: 'lora', label: 'LoRA (kohya .safetensors)', detail: "AUTOMATIC1111's and ComfyUI's LoRA folders, or generate --lora on any SD 1.x model" },
  { format: 'checkpoint', label: 'Checkpoint (single .safetensors, LoRA merged)', detail: "AUTOMATIC1111's and ComfyUI's checkpoint folders (original SD layout)" },
  { format: 'diffusers', label: 'Diffusers folder', detail: 'StableDiffusionPipeline.from_pretrained, or a model for another concept file' },
];

const ITEMS: FormatItem[] = FORMATS.flatMap((f) => [
  { label: f.label, description: 'float32', detail: f.detail, format: f.format, half: false },
  { label: f.label, description: 'float16, half the size', format: f.format, half: true },
]);

/** Asks for the format and the path; undefined when the user backs out. */
export async function askExport(uri: vscode.Uri): Promise<Omit<ExportParams, 'hfToken'> | undefined> {
  const concept = await resolvedConcept(uri);
  const pick = await vscode.window.showQuickPick(ITEMS, { title: `DreamBooth: export ${vscode.workspace.asRelativePath(uri)} as…` });
  if (!pick) return undefined;
  const defaultUri = vscode.Uri.file(runLayout(concept.output).exportTarget(runName(concept, uri.fsPath), pick.format, pick.half));
  const folder = pick.format === 'diffusers';
  const target = await vscode.window.showSaveDialog({
    defaultUri,
    title: folder ? 'DreamBooth: the diffusers folder to create' : `DreamBooth: save the ${pick.format}`,
    saveLabel: 'Export',
    filters: folder ? undefined : { Safetensors: ['safetensors'] },
  });
  if (!target) return undefined;
  if (folder && existsSync(target.fsPath)) {
    const replace = await vscode.window.showWarningMessage(`${target.fsPath} exists. Replace it with the export?`, { modal: true }, 'Replace');
    if (replace !== 'Replace') return undefined;
  }
  return { conceptFile: uri.fsPath, format: pick.format, half: pick.half, out: target.fsPath, force: true };
}
