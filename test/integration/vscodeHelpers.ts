// Helpers for the tests of the VS Code experience: documents in the test workspace, settings, and
// what the Proof Hierarchy view shows. Everything observable arrives asynchronously: poll with
// waitFor (helpers.ts), never sleep.
import * as vscode from 'vscode';
import type { Hierarchy, LayerStage } from '../../src/core/hierarchy.ts';
import type { InsightProofApi } from '../../src/vscode/api.ts';
import type { TreeNode } from '../../src/vscode/hierarchyTree.ts';
import { DEFAULT_MODEL, ScriptedModelServer, type ScriptedReply } from '../server/scriptedServer.ts';
import { getApi, waitFor, workspaceFolder } from './helpers.ts';

export const SETTINGS = ['baseUrl', 'model', 'stageModels', 'judgeModel', 'preset', 'autoAdvance', 'temperature', 'maxTokens', 'requestTimeoutSeconds'] as const;

/** Writes user (global) settings, as a person does in the Settings editor. */
export async function setSettings(values: Partial<Record<(typeof SETTINGS)[number], unknown>>): Promise<void> {
  const configuration = vscode.workspace.getConfiguration('insightProof');
  for (const [key, value] of Object.entries(values)) {
    await configuration.update(key, value, vscode.ConfigurationTarget.Global);
  }
}

/** Removes every setting of the extension again, at user and workspace level. */
export async function resetSettings(): Promise<void> {
  const configuration = vscode.workspace.getConfiguration('insightProof');
  for (const key of SETTINGS) {
    await configuration.update(key, undefined, vscode.ConfigurationTarget.Global);
    await configuration.update(key, undefined, vscode.ConfigurationTarget.Workspace);
  }
}

/** Creates a markdown file in the test workspace and opens it in an editor. */
export async function openMarkdown(name: string, text: string): Promise<vscode.TextEditor> {
  const uri = vscode.Uri.joinPath(workspaceFolder().uri, 'proofs', name);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  const document = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(document, { preview: false });
}

/** Puts the cursor at the start of a line (or at a selection) in an editor. */
export function placeCursor(editor: vscode.TextEditor, line: number, endLine?: number): void {
  const start = new vscode.Position(line, 0);
  const end = endLine === undefined ? start : editor.document.lineAt(endLine).range.end;
  editor.selection = new vscode.Selection(start, end);
}

export function hierarchiesOf(api: InsightProofApi, uri: vscode.Uri): Hierarchy[] {
  return api.getHierarchies().filter((hierarchy) => hierarchy.source?.uri === uri.toString());
}

/** Waits until exactly one hierarchy belongs to the document and the predicate holds for it. */
export function waitForHierarchy(api: InsightProofApi, uri: vscode.Uri, predicate: (hierarchy: Hierarchy) => boolean, message: string, timeoutMs = 15_000): Promise<Hierarchy> {
  return waitFor(
    () => {
      const found = hierarchiesOf(api, uri);
      return found.length === 1 && predicate(found[0]!) ? found[0] : undefined;
    },
    { message, timeoutMs, intervalMs: 20 },
  );
}

export interface Row {
  label: string;
  description: string;
  contextValue: string;
  node: TreeNode;
}

function labelOf(item: vscode.TreeItem): string {
  return typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
}

async function rowOf(api: InsightProofApi, node: TreeNode): Promise<Row> {
  const item = await api.tree.getTreeItem(node);
  return { label: labelOf(item), description: typeof item.description === 'string' ? item.description : '', contextValue: item.contextValue ?? '', node };
}

/** The rows the view shows for a hierarchy: the problem row and its three layer rows. */
export async function viewRows(api: InsightProofApi, hierarchyId: string): Promise<{ problem: Row; layers: Record<LayerStage, Row> }> {
  const roots = (await api.tree.getChildren(undefined)) ?? [];
  const root = roots.find((node) => node.hierarchyId === hierarchyId);
  if (!root) throw new Error(`The view shows no row for ${hierarchyId}.`);
  const layers = (await api.tree.getChildren(root)) ?? [];
  const byStage = {} as Record<LayerStage, Row>;
  for (const node of layers) {
    if (node.kind === 'layer') byStage[node.stage] = await rowOf(api, node);
  }
  return { problem: await rowOf(api, root), layers: byStage };
}

/** The labels of the rows under a layer (techniques or sketch steps). */
export async function childLabels(api: InsightProofApi, layer: TreeNode): Promise<string[]> {
  const children = (await api.tree.getChildren(layer)) ?? [];
  return Promise.all(children.map(async (node) => (await rowOf(api, node)).label));
}

/** Deletes every hierarchy, so that each test starts from an empty view. */
export async function deleteAllHierarchies(api: InsightProofApi): Promise<void> {
  await api.whenIdle();
  for (const hierarchy of api.getHierarchies()) {
    await vscode.commands.executeCommand('insightProof.deleteHierarchy', { hierarchyId: hierarchy.id }, { confirmed: true });
  }
  await api.whenIdle();
}

/** Lines of a document's text that are proof block markers. */
export function markerLines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.startsWith('<!-- insight-proof:'));
}

/** A suite's scripted model server and the extension's API, once its `before` hook has run. */
export interface ScriptedSuite {
  server: ScriptedModelServer;
  api: InsightProofApi;
}

/**
 * For a suite's `before`: starts a scripted model server that answers each stage with
 * `replies[stage]` (400 for anything else) and points the extension at it (DEFAULT_MODEL and
 * `settings` on top), as a person sets it up in the Settings editor.
 */
export async function startScriptedSuite(options: {
  replies: Record<string, ScriptedReply>;
  settings: Partial<Record<(typeof SETTINGS)[number], unknown>>;
  models?: string[];
}): Promise<ScriptedSuite> {
  const server = new ScriptedModelServer({ ...(options.models ? { models: options.models } : {}), defaultReply: (request) => options.replies[request.stage ?? ''] ?? { status: 400 } });
  const baseUrl = await server.start();
  const api = await getApi();
  await setSettings({ baseUrl, model: DEFAULT_MODEL, ...options.settings });
  return { server, api };
}

/**
 * For a suite's `after`: leaves no hierarchy, setting or editor behind, runs the suite's own
 * `cleanUp` (files it wrote), then stops the server.
 */
export async function endScriptedSuite({ server, api }: ScriptedSuite, cleanUp?: () => PromiseLike<unknown>): Promise<void> {
  await deleteAllHierarchies(api);
  await resetSettings();
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await cleanUp?.();
  await server.close();
}

/** For a suite's `beforeEach`: an empty view and no recorded requests. */
export async function startScriptedTest({ server, api }: ScriptedSuite): Promise<void> {
  await deleteAllHierarchies(api);
  server.requests.length = 0;
}
