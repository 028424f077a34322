// The extension's commands, by name: what the manifest contributes, what extension/commands.ts
// implements and what the language server's code lenses invoke. No `vscode` import here, so the
// language server can use it and a unit test can check it against package.json.

export const COMMAND_PREFIX = 'dreambooth.';
export const COMMAND_CATEGORY = 'DreamBooth';

interface CommandSpec {
  title: string;
  /** Runs local programs on the user's files: refused in untrusted workspaces. */
  needsTrust: boolean;
}

export const COMMANDS = {
  train: { title: 'Train', needsTrust: true },
  generate: { title: 'Generate Images', needsTrust: true },
  prepareImages: { title: 'Prepare Training Images', needsTrust: true },
  export: { title: 'Export…', needsTrust: true },
  openGallery: { title: 'Open Gallery', needsTrust: false },
  cancelJob: { title: 'Cancel Running Job', needsTrust: false },
  restartSidecar: { title: 'Restart Sidecar', needsTrust: true },
  showLog: { title: 'Show Log', needsTrust: false },
  showProviders: { title: 'Show Execution Providers', needsTrust: false },
  setHuggingFaceToken: { title: 'Set Hugging Face Token', needsTrust: false },
  clearHuggingFaceToken: { title: 'Clear Hugging Face Token', needsTrust: false },
  // training dashboard and runs (issue 12)
  trainFromScratch: { title: 'Train from Scratch', needsTrust: true },
  openDashboard: { title: 'Open Training Dashboard', needsTrust: false },
  // gallery and prepared images
  showImageParameters: { title: 'Show PNG Parameters', needsTrust: false },
  showPreparedImages: { title: 'Show Prepared Images', needsTrust: false },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

export function commandId(name: CommandName): string {
  return `${COMMAND_PREFIX}${name}`;
}
