// Entry point: builds the one Ctx, registers everything it owns, and shows activation errors itself
// (VS Code would otherwise swallow them).
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { COMMANDS, commandId } from '../protocol/commands';
import { onRestartSettingChanged } from './config';
import { Ctx } from './ctx';
import { startLanguageClient } from './languageClient';
import { GalleryPanel } from './panels/galleryPanel';
import { DashboardPanel } from './panels/dashboardPanel';
import { trainingRun } from './training';
import { PreparedPanel } from './panels/preparedPanel';

let ctx: Ctx | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<Ctx | undefined> {
  try {
    ctx = new Ctx(context);
    const c = ctx;
    registerCommands(c);
    c.extensionScope.push(
      GalleryPanel.registerSerializer(c),
      DashboardPanel.registerSerializer(c, (file) => trainingRun(vscode.Uri.file(file))),
      PreparedPanel.registerSerializer(c),
      onRestartSettingChanged(async () => {
        const restart = COMMANDS.restartSidecar.title;
        if ((await vscode.window.showInformationMessage('DreamBooth: the new setting applies after the sidecar restarts.', restart)) === restart) {
          await vscode.commands.executeCommand(commandId('restartSidecar'));
        }
      }),
    );
    // The language server is independent of the sidecar: editing works even if the sidecar cannot start.
    startLanguageClient(context, c.log).then(
      (client) => c.extensionScope.push({ dispose: () => void client.stop() }),
      (e: Error) => c.log.error(`language server failed to start: ${e.stack ?? e.message}`),
    );
    // The sidecar runs jobs on the workspace's files: start it once the workspace is trusted.
    // A failure to start shows in the status bar (health), so the promise's rejection is not lost.
    if (vscode.workspace.isTrusted) c.sidecar().catch(() => {});
    else c.extensionScope.push(vscode.workspace.onDidGrantWorkspaceTrust(() => void c.sidecar().catch(() => {})));
    return c;
  } catch (e) {
    const err = e as Error;
    void vscode.window.showErrorMessage(`DreamBooth failed to activate: ${err.message}`);
    console.error('DreamBooth activation failed', err);
    return undefined;
  }
}

export function deactivate(): void {
  ctx?.dispose();
  ctx = undefined;
}
