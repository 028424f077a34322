// Workspace Trust: training, generation and preparation run programs on the user's files, so they
// refuse in an untrusted workspace with a message that says how to proceed. Editing always works.
import * as vscode from 'vscode';

export async function requireTrust(action: string): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const manage = 'Manage Workspace Trust';
  const choice = await vscode.window.showErrorMessage(
    `DreamBooth: ${action} needs a trusted workspace, because it runs programs on the files this folder names. Editing concept files works without trust.`,
    manage,
  );
  if (choice === manage) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}
