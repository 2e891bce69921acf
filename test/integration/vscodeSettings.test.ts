// Settings, model set-up and workspace trust. The suite's workspace is trusted (the test host
// starts with workspace trust disabled, and an untrusted window cannot be made from inside a test),
// so the extension's own untrusted rule is checked on the configuration module with a fake
// `inspect()` result, next to a check that package.json restricts the same settings for VS Code
// itself. A real untrusted window is the harness's second pass: untrusted/restrictedSettings.test.ts.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { effectiveSetting, readConfig, readConfigFrom, RESTRICTED_SETTINGS, type SettingInspection, type SettingsSource } from '../../src/vscode/config.ts';
import { DEFAULT_MODEL, ScriptedModelServer } from '../server/scriptedServer.ts';
import { getApi, getExtension } from './helpers.ts';
import { resetSettings, setSettings } from './vscodeHelpers.ts';

/** A configuration whose user, workspace and folder levels hold the given values. */
function fakeSource(levels: Record<string, SettingInspection>): SettingsSource {
  return {
    inspect: (key) => levels[key],
    get: (key) => {
      const inspection = levels[key];
      if (!inspection) return undefined;
      return inspection.workspaceFolderValue ?? inspection.workspaceValue ?? inspection.globalValue ?? inspection.defaultValue;
    },
  };
}

const CLONED_REPOSITORY: Record<string, SettingInspection> = {
  baseUrl: { defaultValue: '', globalValue: 'http://localhost:8000/v1', workspaceValue: 'https://collector.example/v1' },
  model: { defaultValue: '', globalValue: 'my-model', workspaceFolderValue: 'their-model' },
  stageModels: { defaultValue: {}, workspaceValue: { proof: 'their-prover' } },
  judgeModel: { defaultValue: '', workspaceValue: 'their-judge' },
  preset: { defaultValue: 'deepinsight', workspaceValue: 'instruct' },
  requestTimeoutSeconds: { defaultValue: 600, workspaceValue: 30 },
};

describe('Settings and workspace trust', () => {
  afterEach(resetSettings);

  it('ignores workspace-level endpoint settings in an untrusted workspace', () => {
    const untrusted = readConfigFrom(fakeSource(CLONED_REPOSITORY), false);
    assert.equal(untrusted.baseUrl, 'http://localhost:8000/v1');
    assert.equal(untrusted.model, 'my-model');
    assert.deepEqual(untrusted.stageModels, {});
    assert.equal(untrusted.judgeModel, '');
    // Settings that cannot redirect requests still follow the workspace.
    assert.equal(untrusted.preset, 'instruct');
    assert.equal(untrusted.requestTimeoutSeconds, 30);

    const trusted = readConfigFrom(fakeSource(CLONED_REPOSITORY), true);
    assert.equal(trusted.baseUrl, 'https://collector.example/v1');
    assert.equal(trusted.model, 'their-model');
    assert.deepEqual(trusted.stageModels, { proof: 'their-prover' });
    assert.equal(trusted.judgeModel, 'their-judge');
  });

  it('falls back to the default, not to a workspace value, when the user set nothing', () => {
    const source = fakeSource({ baseUrl: { defaultValue: '', workspaceValue: 'https://collector.example/v1' } });
    assert.equal(effectiveSetting(source, 'baseUrl', false), '');
    assert.equal(readConfigFrom(source, false).baseUrl, '');
  });

  it('restricts the same settings in package.json, so VS Code itself flags them', () => {
    const manifest = getExtension().packageJSON as {
      capabilities: { untrustedWorkspaces: { supported: string; restrictedConfigurations: string[] } };
      contributes: { configuration: { properties: Record<string, { markdownDescription?: string }> } };
    };
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.deepEqual(
      [...manifest.capabilities.untrustedWorkspaces.restrictedConfigurations].sort(),
      RESTRICTED_SETTINGS.map((key) => `insightProof.${key}`).sort(),
    );
    for (const [key, property] of Object.entries(manifest.contributes.configuration.properties)) {
      assert.ok(property.markdownDescription, `${key} has no markdownDescription`);
    }
  });

  it('reads typed settings with their defaults, and rejects values of the wrong type', async () => {
    assert.equal(vscode.workspace.isTrusted, true);
    const defaults = readConfig();
    assert.equal(defaults.autoAdvance, true);
    assert.equal(defaults.preset, 'deepinsight');
    assert.equal(defaults.requestTimeoutSeconds, 600);
    assert.equal(defaults.temperature, undefined);

    await setSettings({ temperature: 0.6, maxTokens: 4096, stageModels: { proof: 'prover' }, autoAdvance: false });
    const set = readConfig();
    assert.equal(set.temperature, 0.6);
    assert.equal(set.maxTokens, 4096);
    assert.deepEqual(set.stageModels, { proof: 'prover' });
    assert.equal(set.autoAdvance, false);

    const wrong = readConfigFrom(fakeSource({ temperature: { globalValue: 'hot' }, requestTimeoutSeconds: { globalValue: -5 }, preset: { globalValue: 'chatty' } }), true);
    assert.equal(wrong.temperature, undefined);
    assert.equal(wrong.requestTimeoutSeconds, 600);
    assert.equal(wrong.preset, 'deepinsight');
  });

  it('tests the connection against a bare host, to which the extension adds /v1', async () => {
    const server = new ScriptedModelServer({ models: [DEFAULT_MODEL, 'other-model'] });
    try {
      // A bare host: the extension adds /v1 itself.
      const baseUrl = (await server.start()).replace(/\/v1$/, '');
      await getApi();
      await setSettings({ baseUrl, model: DEFAULT_MODEL });
      assert.equal(await vscode.commands.executeCommand('insightProof.testConnection'), true);
      assert.deepEqual(server.requests.map((request) => `${request.method} ${request.path}`), ['GET /v1/models']);
    } finally {
      await server.close();
    }
  });

  it('reports an unreachable server as a failed test, without waiting for the message to be dismissed', async () => {
    const server = new ScriptedModelServer();
    const baseUrl = await server.start();
    await server.close();
    await setSettings({ baseUrl, model: DEFAULT_MODEL });
    await getApi();
    assert.equal(await vscode.commands.executeCommand('insightProof.testConnection'), false);
  });
});
