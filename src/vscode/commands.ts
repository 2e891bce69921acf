import * as vscode from 'vscode';
import type { DisposableStore } from './lifecycle.ts';

/** Where the API key lives: VS Code's SecretStorage, never settings or logs. */
export const API_KEY_SECRET = 'insightProof.apiKey';

export interface CommandServices {
  readonly secrets: vscode.SecretStorage;
  readonly log: vscode.LogOutputChannel;
}

/** Every command of the extension is registered here, in one place. */
export function registerCommands(disposables: DisposableStore, services: CommandServices): void {
  const register = (id: string, handler: (...args: unknown[]) => unknown) =>
    disposables.add(vscode.commands.registerCommand(id, handler));

  register('insightProof.showLog', () => services.log.show(true));

  register('insightProof.setApiKey', async () => {
    const key = await vscode.window.showInputBox({
      title: 'Insight Proof: API key',
      prompt: 'Kept in VS Code secret storage. Leave empty and press Enter to remove the stored key.',
      password: true,
      ignoreFocusOut: true,
    });
    if (key === undefined) return;
    if (key.trim() === '') {
      await services.secrets.delete(API_KEY_SECRET);
      void vscode.window.showInformationMessage('Insight Proof: the stored API key was removed.');
    } else {
      await services.secrets.store(API_KEY_SECRET, key.trim());
      services.log.info('API key stored in secret storage.');
      void vscode.window.showInformationMessage('Insight Proof: API key saved in secret storage.');
    }
  });
}
