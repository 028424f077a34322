// How a job ended, told to the user with the next useful actions.
import * as vscode from 'vscode';
import type { JobFinishedParams } from '../protocol/sidecar';
import type { Ctx } from './ctx';

export interface OutcomeAction {
  label: string;
  run(): unknown;
}

export async function reportOutcome(ctx: Ctx, what: string, outcome: JobFinishedParams, actions: OutcomeAction[] = []): Promise<void> {
  const labels = actions.map((a) => a.label);
  const pick = (choice: string | undefined) => actions.find((a) => a.label === choice)?.run();
  switch (outcome.status) {
    case 'done':
      return void pick(await vscode.window.showInformationMessage(`DreamBooth: ${what} finished.`, ...labels));
    case 'cancelled':
      return void pick(await vscode.window.showInformationMessage(`DreamBooth: ${what} was cancelled.`, ...labels));
    case 'failed': {
      const choice = await vscode.window.showErrorMessage(`DreamBooth: ${what} failed: ${outcome.error}`, ...labels, 'Show Log');
      if (choice === 'Show Log') ctx.log.show();
      else pick(choice);
      return;
    }
    default: {
      const never: never = outcome;
      throw new Error(`unknown job outcome ${JSON.stringify(never)}`);
    }
  }
}
