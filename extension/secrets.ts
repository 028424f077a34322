// The Hugging Face token lives in VS Code's SecretStorage only: never in settings, logs or files.
// It travels to the sidecar inside the params of the one job that needs it.
import * as vscode from 'vscode';

const KEY = 'dreambooth.huggingFaceToken';

export async function getHfToken(secrets: vscode.SecretStorage): Promise<string | undefined> {
  return (await secrets.get(KEY)) || undefined;
}

export async function askAndStoreHfToken(secrets: vscode.SecretStorage): Promise<boolean> {
  const token = await vscode.window.showInputBox({
    title: 'DreamBooth: Hugging Face token',
    prompt: 'A read token from https://huggingface.co/settings/tokens, for gated or private models. Stored in VS Code\'s secret storage.',
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (/^\S{8,}$/.test(v.trim()) ? undefined : 'A token is one word of at least 8 characters (usually starting with "hf_").'),
  });
  if (!token) return false;
  await secrets.store(KEY, token.trim());
  return true;
}

export async function clearHfToken(secrets: vscode.SecretStorage): Promise<void> {
  await secrets.delete(KEY);
}
