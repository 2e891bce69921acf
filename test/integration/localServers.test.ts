// "Find Local Model Server" in a real VS Code, against a scripted OpenAI-compatible server on one
// of the ports local servers usually take. Those ports may be in use on the machine running the
// tests; the test then says so and skips rather than reaching anything it did not start.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { FoundServer } from '../../src/core/localServers.ts';
import { LOCAL_SERVER_CANDIDATES } from '../../src/core/localServers.ts';
import { ScriptedModelServer } from '../server/scriptedServer.ts';
import { getApi } from './helpers.ts';
import { resetSettings } from './vscodeHelpers.ts';

const MODEL = 'local-test-model';

/** A scripted server on the first usual port that is free, least common first; undefined when none is. */
async function serverOnUsualPort(): Promise<{ server: ScriptedModelServer; port: number } | undefined> {
  const ports = [...LOCAL_SERVER_CANDIDATES].reverse().map((candidate) => candidate.port);
  for (const port of ports) {
    const server = new ScriptedModelServer({ models: [MODEL] });
    try {
      await server.start(port);
      return { server, port };
    } catch {
      await server.close();
    }
  }
  return undefined;
}

describe('Finding a local model server', () => {
  let running: { server: ScriptedModelServer; port: number } | undefined;

  before(async () => {
    await getApi();
    await resetSettings();
    running = await serverOnUsualPort();
  });
  after(async () => {
    await running?.server.close();
    await resetSettings();
  });

  it('finds the server on a usual port with its model, over loopback only', async function () {
    if (!running) {
      console.log(`    (skipped: ports ${LOCAL_SERVER_CANDIDATES.map((candidate) => candidate.port).join(', ')} are all taken on this machine)`);
      this.skip();
    }
    const found = await vscode.commands.executeCommand<FoundServer[]>('insightProof.findLocalServer');
    const ours = found.find((server) => server.port === running?.port);
    assert.ok(ours, `the server on port ${running.port} is among ${JSON.stringify(found)}`);
    assert.equal(ours.baseUrl, `http://127.0.0.1:${running.port}/v1`);
    assert.deepEqual(ours.models.map((model) => model.id), [MODEL]);
    assert.ok(found.every((server) => /^http:\/\/(127\.0\.0\.1|localhost):\d+\/v1$/.test(server.baseUrl)));
    assert.ok(
      running.server.requests.every((request) => request.method === 'GET' && request.path === '/v1/models'),
      'looking only lists the models: no chat request, nothing else',
    );
    // Finding is not configuring: the settings change only when the person picks the offer.
    assert.equal(vscode.workspace.getConfiguration('insightProof').get('baseUrl'), '');
  });
});
