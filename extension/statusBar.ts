// The status bar item: one switch over SidecarHealth decides text, tooltip, colour and click action.
import * as vscode from 'vscode';
import { commandId } from '../protocol/commands';
import type { SidecarHealth } from './health';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('dreambooth.sidecar', vscode.StatusBarAlignment.Left, 10);

  constructor() {
    this.item.name = 'DreamBooth Sidecar';
  }

  render(health: SidecarHealth): void {
    const item = this.item;
    item.backgroundColor = undefined;
    switch (health.state) {
      case 'starting':
        item.text = '$(loading~spin) DreamBooth';
        item.tooltip = 'DreamBooth: starting the sidecar…';
        item.command = commandId('showLog');
        break;
      case 'ready':
        item.text = `$(sparkle) DreamBooth: ${health.provider}`;
        item.tooltip = `DreamBooth sidecar ${health.version} is ready, running on ${health.provider}. Click for the execution providers.`;
        item.command = commandId('showProviders');
        break;
      case 'busy': {
        const waiting = health.waiting ? `, ${health.waiting} waiting` : '';
        item.text = `$(sync~spin) DreamBooth: ${health.detail}${health.waiting ? ` (+${health.waiting})` : ''}`;
        item.tooltip = `${health.jobs} job(s) running on ${health.provider}${waiting}. ${health.training ? 'Click for the training dashboard.' : 'Click to cancel.'}`;
        item.command = commandId(health.training ? 'openDashboard' : 'cancelJob');
        break;
      }
      case 'error':
        item.text = '$(error) DreamBooth';
        item.tooltip = `DreamBooth sidecar: ${health.message}\nClick to restart it.`;
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        item.command = commandId('restartSidecar');
        break;
      case 'stopped':
        item.text = '$(circle-slash) DreamBooth';
        item.tooltip = `DreamBooth sidecar stopped: ${health.reason}`;
        item.command = commandId('restartSidecar');
        break;
      default: {
        const never: never = health;
        throw new Error(`unknown sidecar health ${JSON.stringify(never)}`);
      }
    }
    item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
