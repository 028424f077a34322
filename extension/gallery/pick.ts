// Choosing a model or LoRA from disk for the gallery, and remembering the choice (workspaceState,
// the last few) so the pickers offer it again.
import * as vscode from 'vscode';

const REMEMBERED = 10;

/** A diffusers folder or a single-file .safetensors checkpoint (one dialog cannot ask for both on every OS). */
export async function pickModel(): Promise<string | undefined> {
  const folder = '$(folder) Diffusers folder…';
  const file = '$(file) Single-file checkpoint (.safetensors)…';
  const kind = await vscode.window.showQuickPick([folder, file], { title: 'DreamBooth: which kind of model?' });
  if (!kind) return undefined;
  const picked = await vscode.window.showOpenDialog(
    kind === folder
      ? { canSelectFolders: true, canSelectFiles: false, title: 'A diffusers model folder (with model_index.json)', openLabel: 'Use Model' }
      : { canSelectFiles: true, filters: { Checkpoint: ['safetensors'] }, title: 'A Stable Diffusion 1.x checkpoint', openLabel: 'Use Model' },
  );
  return picked?.[0]?.fsPath;
}

export async function pickLora(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({ canSelectFiles: true, filters: { LoRA: ['safetensors'] }, title: 'A kohya-format LoRA', openLabel: 'Use LoRA' });
  return picked?.[0]?.fsPath;
}

/** Puts `value` first in the remembered list of its kind; returns it. */
export async function rememberChoice(state: vscode.Memento, kind: 'models' | 'loras', value: string): Promise<string> {
  const key = `dreambooth.gallery.${kind}`;
  const list = (state.get<string[]>(key) ?? []).filter((v) => v !== value);
  await state.update(key, [value, ...list].slice(0, REMEMBERED));
  return value;
}
