// The untrusted-workspace pass: a real window in which workspace trust is on and the folder is not
// trusted, as when a person opens a repository they just cloned. Its .vscode/settings.json points
// Insight Proof at another server (B) with a model only B serves; the person's own settings point
// at their server (A). Every request, and the connection test, must go to A with A's model.
//
// How the window is set up (test/harness/run-integration.mjs, INSIGHT_PROOF_INTEGRATION_MODE=untrusted):
// both settings files must exist before the window opens, so the harness reserves two free loopback
// ports, writes A's address and model into the user settings and B's into the workspace copy's
// .vscode/settings.json, then starts code-server without --disable-workspace-trust. This test
// starts the two scripted servers on those ports inside the extension host, so it reads what each
// one received directly (B listens: a request sent to it would be recorded, not just refused).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { readConfig } from '../../../src/vscode/config.ts';
import { ScriptedModelServer, type ScriptedReply } from '../../server/scriptedServer.ts';
import { getApi, getExtension, waitFor, workspaceFolder } from '../helpers.ts';
import { deleteAllHierarchies, openMarkdown, placeCursor } from '../vscodeHelpers.ts';

const REPLIES: Record<string, ScriptedReply> = {
  techniques: { content: '1. **Induction on n**: add the next odd number to the square.\n' },
  sketch: { content: '1. Check $n = 1$.\n2. Add $2n + 1$ to $n^2$.\n' },
  proof: { content: 'By induction on $n$: $n^2 + 2n + 1 = (n + 1)^2$. $\\blacksquare$\n' },
};

interface Endpoint {
  baseUrl: string;
  model: string;
  /** Every model id the server serves. */
  models: string[];
}

function portOf(baseUrl: string): number {
  const port = Number(new URL(baseUrl).port);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`${baseUrl} names no port; the harness writes 127.0.0.1 addresses with the ports it reserved.`);
  return port;
}

/** Server A, as the user settings name it. */
function userEndpoint(): Endpoint {
  const configuration = vscode.workspace.getConfiguration('insightProof');
  const baseUrl = configuration.inspect<string>('baseUrl')?.globalValue;
  const model = configuration.inspect<string>('model')?.globalValue;
  if (!baseUrl || !model) throw new Error('The user settings hold no insightProof.baseUrl and insightProof.model; run this pass through test/harness/run-integration.mjs.');
  return { baseUrl, model, models: [model] };
}

/** Server B, as the workspace's own .vscode/settings.json names it (read from the file itself). */
async function workspaceEndpoint(): Promise<Endpoint & { proofModel: string; preset: unknown }> {
  const file = vscode.Uri.joinPath(workspaceFolder().uri, '.vscode', 'settings.json');
  const settings = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(file))) as Record<string, unknown>;
  const baseUrl = settings['insightProof.baseUrl'];
  const model = settings['insightProof.model'];
  const stageModels = settings['insightProof.stageModels'] as { proof?: unknown } | undefined;
  const proofModel = stageModels?.proof;
  if (typeof baseUrl !== 'string' || typeof model !== 'string' || typeof proofModel !== 'string') {
    throw new Error(`${file.fsPath} does not set insightProof.baseUrl, insightProof.model and insightProof.stageModels.proof; run this pass through test/harness/run-integration.mjs.`);
  }
  return { baseUrl, model, proofModel, models: [model, proofModel], preset: settings['insightProof.preset'] };
}

async function startOn(endpoint: Endpoint): Promise<ScriptedModelServer> {
  const server = new ScriptedModelServer({ models: endpoint.models, defaultReply: (request) => REPLIES[request.stage ?? ''] ?? { status: 400 } });
  await server.start(portOf(endpoint.baseUrl));
  return server;
}

describe('An untrusted workspace cannot redirect requests', function () {
  this.timeout(30_000);
  let user: Endpoint;
  let repository: Endpoint & { proofModel: string; preset: unknown };
  let serverA: ScriptedModelServer;
  let serverB: ScriptedModelServer;

  before(async () => {
    // The extension host can start before the user settings have reached it: wait for them.
    user = await waitFor(() => userEndpoint(), { message: 'the user settings naming server A', timeoutMs: 15_000 });
    repository = await workspaceEndpoint();
    assert.notEqual(repository.baseUrl, user.baseUrl);
    assert.notEqual(repository.model, user.model);
    serverA = await startOn(user);
    serverB = await startOn(repository);
  });

  after(async () => {
    const api = await getApi();
    await deleteAllHierarchies(api);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await serverA?.close();
    await serverB?.close();
  });

  it('runs in a window whose folder is not trusted, with the extension active in limited mode', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    const api = await getApi();
    assert.equal(api.apiVersion, 1);
    assert.equal(getExtension().isActive, true);
    const config = readConfig();
    assert.equal(config.baseUrl, user.baseUrl);
    assert.equal(config.model, user.model);
    assert.deepEqual(config.stageModels, {});
    // The workspace's settings file is in effect: its unrestricted preset applies.
    assert.equal(config.preset, repository.preset);
    // VS Code itself withholds the restricted settings' workspace values in this window (package.json
    // lists them under restrictedConfigurations); config.ts's own guard behind it is checked with
    // fake inspect() results in ../vscodeSettings.test.ts.
    assert.equal(vscode.workspace.getConfiguration('insightProof').inspect<string>('baseUrl')?.workspaceValue, undefined);
  });

  it('tests the connection against the user\'s server', async () => {
    assert.equal(await vscode.commands.executeCommand('insightProof.testConnection'), true);
    assert.ok(serverA.requests.some((request) => `${request.method} ${request.path}` === 'GET /v1/models'), 'server A was not asked for its models');
    assert.deepEqual(serverB.requests, []);
  });

  it('proves a theorem with the user\'s server and model; the repository\'s server receives nothing', async () => {
    const api = await getApi();
    serverA.requests.length = 0;
    const editor = await openMarkdown('untrusted.md', '# Notes\n\n**Theorem.** The sum of the first $n$ odd numbers is $n^2$.\n');
    placeCursor(editor, 2);
    assert.equal(await vscode.commands.executeCommand('insightProof.prove'), 'done');
    assert.deepEqual(
      serverA.chatRequests.map((request) => [request.stage, request.body.model]),
      [['techniques', user.model], ['sketch', user.model], ['proof', user.model]],
    );
    assert.deepEqual(serverB.requests, []);
    await api.whenIdle();
    const [hierarchy] = api.getHierarchies();
    assert.equal(hierarchy?.layers.proof.status, 'draft');
  });
});
