// The typed Config read from VS Code's settings (parsing and fallbacks in configValues.ts).
import * as vscode from 'vscode';
import { CONFIG_SECTION, parseConfig, RESTART_SETTINGS, type Config } from './configValues';

export function readConfig(scope?: vscode.Uri): Config {
  const section = vscode.workspace.getConfiguration(CONFIG_SECTION, scope);
  return parseConfig((key) => section.get(key));
}

/** Calls `onChange` when a setting that only a sidecar restart applies has changed. */
export function onRestartSettingChanged(onChange: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (RESTART_SETTINGS.some((key) => e.affectsConfiguration(`${CONFIG_SECTION}.${key}`))) onChange();
  });
}
