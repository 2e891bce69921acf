// Shared helpers of the integration suite. Tests run against a live workbench, where most effects
// (activation, view updates, file events) land asynchronously: poll for them, never sleep blindly.
import * as vscode from 'vscode';
import type { InsightProofApi } from '../../src/vscode/api.ts';

export const EXTENSION_ID = 'insight-proof.insight-proof';

export interface WaitOptions {
  /** How long to keep trying before failing the test. */
  timeoutMs?: number;
  /** Pause between attempts. */
  intervalMs?: number;
  /** What was awaited, for the failure message. */
  message?: string;
}

/**
 * Calls `predicate` until it returns a truthy value (which is returned) or the time is up. An
 * exception thrown by the predicate counts as "not yet"; the last one is reported on timeout.
 */
export async function waitFor<T>(
  predicate: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  { timeoutMs = 10_000, intervalMs = 50, message = 'the condition' }: WaitOptions = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${message}${cause}.`);
    }
    await new Promise((resolveDelay) => setTimeout(resolveDelay, intervalMs));
  }
}

/** The extension under test; fails clearly when the test host did not load it. */
export function getExtension(): vscode.Extension<InsightProofApi> {
  const extension = vscode.extensions.getExtension<InsightProofApi>(EXTENSION_ID);
  if (!extension) {
    throw new Error(`The extension ${EXTENSION_ID} is not loaded; start the tests with extensionDevelopmentPath pointing at the repository.`);
  }
  return extension;
}

/** Activates Insight Proof (if needed) and returns the API object `activate()` returned. */
export async function getApi(): Promise<InsightProofApi> {
  const extension = getExtension();
  const api = extension.isActive ? extension.exports : await extension.activate();
  if (!api) throw new Error(`${EXTENSION_ID} activated without returning its API.`);
  return api;
}

/** The folder the test host opened: a fresh, writable copy of test/fixtures/workspace. */
export function workspaceFolder(): vscode.WorkspaceFolder {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('No workspace folder is open; the test host must open a copy of test/fixtures/workspace.');
  return folder;
}
