// Issue 6's cells that only a real VS Code can show: typing while a proof is being inserted, two
// generations started on one hierarchy, a window reloaded mid-stream, a corrupted saved state, and
// an API key that must never leave secret storage except as the Bearer header to the server.
//
// A reload cannot be done from inside the suite (it ends the test host), so it is simulated the way
// a reload works: the state written while a layer streamed in is read by a fresh store, persistence
// and tree, built from the extension's own modules, as activate() builds them in the new window.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Hierarchy } from '../../src/core/hierarchy.ts';
import type { InsightProofApi } from '../../src/vscode/api.ts';
import { loadCore } from '../../src/vscode/core.ts';
import { HierarchyStore } from '../../src/vscode/hierarchyStore.ts';
import { HierarchyTreeProvider } from '../../src/vscode/hierarchyTree.ts';
import { HierarchyPersistence, INTERRUPTED_MESSAGE, STATE_FILE, STATE_FORMAT, type PersistenceLog } from '../../src/vscode/persistence.ts';
import { DEFAULT_MODEL, ScriptedModelServer, type ScriptedReply } from '../server/scriptedServer.ts';
import { getApi, waitFor, workspaceFolder } from './helpers.ts';
import { deleteAllHierarchies, endScriptedSuite, hierarchiesOf, markerLines, openMarkdown, placeCursor, resetSettings, setSettings, startScriptedSuite, startScriptedTest, waitForHierarchy } from './vscodeHelpers.ts';

const TECHNIQUES = '1. **Telescoping sum**: write each odd number as a difference of consecutive squares.\n2. **Induction on n**: adding 2n + 1 to n^2 gives (n + 1)^2.\n';
const SKETCH = '1. Check the case $n = 1$.\n2. Add $2n + 1$ and recognise $(n + 1)^2$.\n';
const PROOF = 'We argue by induction on $n$. For $n = 1$ the sum is $1 = 1^2$; adding $2n + 1$ to $n^2$ gives $(n + 1)^2$. $\\blacksquare$\n';
const JUDGE_ANSWER = '{"validity": 1, "completeness": 1, "correctness": 1, "clarity": 1, "explanation": "Complete."}';
const THEOREM = '**Theorem.** For every integer $n \\ge 1$, the sum of the first $n$ odd numbers is $n^2$.';
const workbook = (statement: string) => `# Workbook\n\n${statement}\n\nSome notes after it.\n`;

const STAGE_REPLIES: Record<string, ScriptedReply> = {
  techniques: { content: TECHNIQUES },
  sketch: { content: SKETCH },
  proof: { content: PROOF },
  review: { content: JUDGE_ANSWER },
};

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** A log that keeps its lines, for the persistence instances these tests build. */
function recordingLog(): PersistenceLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (line) => lines.push(`info ${line}`), warn: (line) => lines.push(`warn ${line}`), error: (line) => lines.push(`error ${line}`) };
}

/** A storage folder of its own, as a new window's extension storage, that the live extension never writes. */
async function scratchStorage(api: InsightProofApi, name: string): Promise<vscode.Uri> {
  const folder = vscode.Uri.joinPath(api.stateFile, '..', 'resilience-tests', name);
  await vscode.workspace.fs.delete(folder, { recursive: true, useTrash: false }).then(undefined, () => undefined);
  await vscode.workspace.fs.createDirectory(folder);
  return folder;
}

/** What a window opened on `storage` starts with: the same modules activate() puts together. */
async function reopenWindow(storage: vscode.Uri): Promise<{ store: HierarchyStore; tree: HierarchyTreeProvider; persistence: HierarchyPersistence; log: ReturnType<typeof recordingLog>; warnings: string[]; dispose(): void }> {
  const store = new HierarchyStore();
  const tree = new HierarchyTreeProvider(store);
  const log = recordingLog();
  const warnings: string[] = [];
  const persistence = new HierarchyPersistence(store, storage, log, loadCore, (message) => warnings.push(message));
  await persistence.load();
  return {
    store,
    tree,
    persistence,
    log,
    warnings,
    dispose() {
      persistence.dispose();
      tree.dispose();
      store.dispose();
    },
  };
}

async function provedAndAccepted(api: InsightProofApi, name: string): Promise<{ editor: vscode.TextEditor; hierarchy: Hierarchy }> {
  const editor = await openMarkdown(name, workbook(THEOREM));
  placeCursor(editor, 2);
  assert.equal(await vscode.commands.executeCommand('insightProof.prove'), 'done');
  const [proved] = hierarchiesOf(api, editor.document.uri);
  assert.ok(proved);
  await vscode.commands.executeCommand('insightProof.acceptAll', { hierarchyId: proved.id });
  const hierarchy = await waitForHierarchy(api, editor.document.uri, (candidate) => candidate.layers.proof.status === 'accepted', 'every layer to be accepted');
  return { editor, hierarchy };
}

describe('Resilience in VS Code: typing during an insert, double starts, reloads, damaged state', function () {
  this.timeout(40_000);
  let server: ScriptedModelServer;
  let api: InsightProofApi;

  before(async () => {
    ({ server, api } = await startScriptedSuite({ replies: STAGE_REPLIES, settings: { preset: 'deepinsight', autoAdvance: true } }));
  });

  after(() =>
    endScriptedSuite({ server, api }, () => vscode.workspace.fs.delete(vscode.Uri.joinPath(api.stateFile, '..', 'resilience-tests'), { recursive: true, useTrash: false }).then(undefined, () => undefined)),
  );

  beforeEach(() => startScriptedTest({ server, api }));

  it('inserts under the theorem when the person types between planning and applying, keeping what they typed', async () => {
    const { editor, hierarchy } = await provedAndAccepted(api, 'race-insert.md');
    const typed = { above: 'A paragraph typed above while the proof was being inserted.', below: 'A remark typed right under the theorem at the same moment.' };
    const attempts: number[] = [];
    await vscode.commands.executeCommand('insightProof.insertIntoDocument', { hierarchyId: hierarchy.id }, {
      async beforeApply(document: vscode.TextDocument, attempt: number) {
        attempts.push(attempt);
        if (attempt > 0) return;
        // The edit was planned on the old text; now the theorem moves down and a line appears under it.
        const theoremLine = document.getText().split('\n').indexOf(THEOREM);
        assert.ok(await editor.edit((builder) => {
          builder.insert(new vscode.Position(theoremLine + 1, 0), `${typed.below}\n`);
          builder.insert(new vscode.Position(1, 0), `${typed.above}\n\n`);
        }));
      },
    });
    assert.deepEqual(attempts, [0, 1], 'the insert was not planned again on the changed text');
    const lines = editor.document.getText().split('\n');
    const theoremLine = lines.indexOf(THEOREM);
    assert.equal(theoremLine, 4);
    assert.equal(lines[theoremLine + 2], `<!-- insight-proof:begin id=${hierarchy.id} -->`, 'the proof did not land under the theorem');
    assert.deepEqual(markerLines(editor.document.getText()).length, 2);
    const end = lines.indexOf('<!-- insight-proof:end -->');
    assert.ok(lines.includes(typed.above));
    assert.ok(lines.indexOf(typed.below) > end, 'the typed remark was overwritten or moved into the block');
    assert.equal(lines.filter((line) => line === typed.below).length, 1);
    assert.match(editor.document.getText(), /Some notes after it\.\n$/);
  });

  it('also copes with a keystroke still on its way from the window when the edit is applied', async () => {
    const { editor, hierarchy } = await provedAndAccepted(api, 'race-inflight.md');
    let pending: Thenable<boolean> | undefined;
    await vscode.commands.executeCommand('insightProof.insertIntoDocument', { hierarchyId: hierarchy.id }, {
      beforeApply(_document: vscode.TextDocument, attempt: number) {
        // Not awaited: the extension host learns of this edit only after the insert was tried.
        if (attempt === 0) pending = editor.edit((builder) => builder.insert(new vscode.Position(0, 0), 'Typed at the top.\n'));
      },
    });
    assert.equal(await pending, true);
    const text = editor.document.getText();
    const lines = text.split('\n');
    assert.equal(lines[0], 'Typed at the top.');
    assert.equal(lines[lines.indexOf(THEOREM) + 2], `<!-- insight-proof:begin id=${hierarchy.id} -->`);
    assert.equal(markerLines(text).length, 2);
  });

  it('gives up without touching the document when it keeps changing, keeping every keystroke', async () => {
    const { editor, hierarchy } = await provedAndAccepted(api, 'race-busy.md');
    const typedLines: string[] = [];
    await vscode.commands.executeCommand('insightProof.insertIntoDocument', { hierarchyId: hierarchy.id }, {
      async beforeApply(_document: vscode.TextDocument, attempt: number) {
        const line = `Keystroke ${attempt + 1}.`;
        typedLines.push(line);
        await editor.edit((builder) => builder.insert(new vscode.Position(0, 0), `${line}\n`));
      },
    });
    const text = editor.document.getText();
    assert.deepEqual(markerLines(text), [], 'a block was inserted into a document that kept changing');
    assert.ok(typedLines.length >= 2);
    for (const line of typedLines) assert.ok(text.includes(line), `"${line}" was lost`);
    assert.ok(text.endsWith(workbook(THEOREM)));
  });

  it('runs one generation when two are started on the same hierarchy at once, and refuses a review meanwhile', async () => {
    // A double click on the CodeLens: two Prove commands before either has created the hierarchy.
    server.script('techniques', { content: TECHNIQUES, chunkChars: 8, chunkDelayMs: 40 });
    const editor = await openMarkdown('double-start.md', workbook(THEOREM));
    const line = editor.document.getText().split('\n').indexOf(THEOREM);
    const lens = { uri: editor.document.uri.toString(), line };
    const outcomes = await Promise.all([vscode.commands.executeCommand('insightProof.prove', lens), vscode.commands.executeCommand('insightProof.prove', lens)]);
    assert.deepEqual([...outcomes].sort(), ['done', 'not-started']);
    assert.equal(hierarchiesOf(api, editor.document.uri).length, 1, 'two hierarchies were created for one theorem');
    assert.deepEqual(server.chatRequests.map((request) => request.stage), ['techniques', 'sketch', 'proof']);

    // Two layer commands in the same tick on a finished hierarchy: one runs.
    const [hierarchy] = hierarchiesOf(api, editor.document.uri);
    assert.ok(hierarchy);
    server.requests.length = 0;
    server.script('proof', { content: PROOF, chunkChars: 8, chunkDelayMs: 30 });
    const ref = { hierarchyId: hierarchy.id, stage: 'proof' };
    const regenerating = [
      vscode.commands.executeCommand('insightProof.regenerateLayer', ref, { guidance: '' }),
      vscode.commands.executeCommand('insightProof.regenerateLayer', ref, { guidance: 'a second note' }),
    ];
    await waitForHierarchy(api, editor.document.uri, (candidate) => candidate.layers.proof.status === 'generating', 'the proof to be generating');
    assert.equal(await vscode.commands.executeCommand('insightProof.review', { hierarchyId: hierarchy.id }), 'not-started');
    const regenerated = await Promise.all(regenerating);
    assert.equal(regenerated.filter((outcome) => outcome === 'done').length, 1, `outcomes: ${JSON.stringify(regenerated)}`);
    assert.deepEqual(server.chatRequests.map((request) => request.stage), ['proof']);
    const [after] = hierarchiesOf(api, editor.document.uri);
    assert.equal(after?.layers.proof.alternatives?.length, 1, 'the proof was regenerated twice');
  });

  it('restores a layer that was streaming when the window reloaded as failed, with its text and one sentence', async () => {
    server.script('techniques', { content: TECHNIQUES.repeat(4), chunkChars: 4, chunkDelayMs: 60 });
    const editor = await openMarkdown('reload.md', workbook(THEOREM));
    placeCursor(editor, 2);
    const proving = vscode.commands.executeCommand('insightProof.prove');
    const streaming = await waitForHierarchy(api, editor.document.uri, (hierarchy) => hierarchy.layers.techniques.raw.length > 20, 'some techniques text to arrive');
    // What a closing window leaves behind: the state written mid-stream (deactivate() flushes it).
    await api.flushState();
    const saved = await vscode.workspace.fs.readFile(api.stateFile);
    await vscode.commands.executeCommand('insightProof.cancel', { hierarchyId: streaming.id });
    assert.equal(await proving, 'cancelled');

    const storage = await scratchStorage(api, 'reload');
    await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(storage, STATE_FILE), saved);
    const reopened = await reopenWindow(storage);
    try {
      const restored = reopened.store.get(streaming.id);
      assert.ok(restored, 'the hierarchy that was generating is gone after the reload');
      const savedRaw = (JSON.parse(decoder.decode(saved)) as { hierarchies: Hierarchy[] }).hierarchies.find((hierarchy) => hierarchy.id === streaming.id)?.layers.techniques.raw ?? '';
      assert.ok(savedRaw.length > 20);
      assert.equal(restored.layers.techniques.status, 'failed');
      assert.equal(restored.layers.techniques.raw, savedRaw, 'the text that had arrived was not kept');
      assert.equal(restored.layers.techniques.error, INTERRUPTED_MESSAGE);
      assert.equal(restored.layers.sketch.status, 'empty');
      assert.deepEqual(reopened.warnings, []);

      // The view of the new window says so on the layer's row.
      const [root] = reopened.tree.getChildren();
      assert.ok(root);
      const techniquesNode = reopened.tree.getChildren(root)[0]!;
      const row = reopened.tree.getTreeItem(techniquesNode);
      assert.match(String(row.description), /^failed/);
      assert.match((row.tooltip as vscode.MarkdownString).value, /The window closed while this layer was being generated; regenerate it to finish it/);
    } finally {
      reopened.dispose();
    }
  });

  it('recovers from a corrupted state file: a backup with the damaged bytes, an empty list, and one clear message', async () => {
    const storage = await scratchStorage(api, 'corrupt');
    const garbage = '{"format": "insight-proof.state/v1", "hierarchies": [ {"id": "ip-cut-off-mid-wri';
    await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(storage, STATE_FILE), encoder.encode(garbage));
    const reopened = await reopenWindow(storage);
    try {
      assert.equal(reopened.store.size, 0);
      assert.equal(reopened.warnings.length, 1, `messages: ${JSON.stringify(reopened.warnings)}`);
      assert.match(reopened.warnings[0]!, /^Insight Proof could not read its saved proof hierarchies and started with an empty list; the unreadable file was kept as hierarchies\.corrupt-[\w-]+\.json\.$/);
      const backups = (await vscode.workspace.fs.readDirectory(storage)).map(([name]) => name).filter((name) => name.startsWith('hierarchies.corrupt-'));
      assert.equal(backups.length, 1);
      assert.equal(decoder.decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(storage, backups[0]!))), garbage);
      assert.equal(reopened.log.lines.filter((line) => line.startsWith('error ')).length, 1);
      // The state file is rewritten from what could be read, so the damage is not met again.
      await waitFor(async () => {
        await reopened.persistence.flush();
        const state = JSON.parse(decoder.decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(storage, STATE_FILE)))) as { format: string; hierarchies: unknown[] };
        return state.format === STATE_FORMAT && state.hierarchies.length === 0;
      }, { message: 'the state file to be rewritten', timeoutMs: 5000 });
    } finally {
      reopened.dispose();
    }

    // One damaged hierarchy among good ones: the good ones are kept, the file backed up.
    const { hierarchy } = await provedAndAccepted(api, 'corrupt-some.md');
    const partly = vscode.Uri.joinPath(await scratchStorage(api, 'corrupt-some'), STATE_FILE);
    const damaged = { ...hierarchy, id: 'ip-damaged0001', layers: { techniques: 'not a layer' } };
    await vscode.workspace.fs.writeFile(partly, encoder.encode(JSON.stringify({ format: STATE_FORMAT, savedAt: new Date().toISOString(), hierarchies: [hierarchy, damaged] })));
    const second = await reopenWindow(vscode.Uri.joinPath(partly, '..'));
    try {
      assert.deepEqual(second.store.all().map((kept) => kept.id), [hierarchy.id]);
      assert.equal(second.warnings.length, 1);
      assert.match(second.warnings[0]!, /^Insight Proof could not read some saved proof hierarchies and kept the others; the original file was kept as hierarchies\.corrupt-/);
    } finally {
      second.dispose();
    }
  });
});

describe('Security in VS Code: a canary API key', function () {
  this.timeout(40_000);
  const CANARY = 'sk-canary-7f3a9c1e5b2d4068a1f0e9d8c7b6a5f4';

  it('reaches the server only as the Bearer header: never the log, the state file, exports or error messages', async () => {
    const api = await getApi();
    const server = new ScriptedModelServer({ apiKey: CANARY, defaultReply: (request) => STAGE_REPLIES[request.stage ?? ''] ?? { status: 400 } });
    // A careless server that echoes the key it rejected in its error message.
    const echoing = new ScriptedModelServer({ defaultReply: () => ({ status: 401, errorBody: { error: { message: `Incorrect API key provided: ${CANARY}.`, type: 'invalid_request_error', code: 'invalid_api_key' } } }) });
    const exports = vscode.Uri.joinPath(workspaceFolder().uri, 'canary-exports');
    // Everything the extension logs, debug lines included, goes to the log file during this test.
    await vscode.commands.executeCommand('_extensionTests.setLogLevel', 'trace');
    try {
      await deleteAllHierarchies(api);
      await setSettings({ baseUrl: await server.start(), model: DEFAULT_MODEL, autoAdvance: true });
      await vscode.commands.executeCommand('insightProof.setApiKey', { key: CANARY });

      const editor = await openMarkdown('canary.md', workbook(THEOREM));
      placeCursor(editor, 2);
      assert.equal(await vscode.commands.executeCommand('insightProof.prove'), 'done');
      const [hierarchy] = hierarchiesOf(api, editor.document.uri);
      assert.ok(hierarchy);
      assert.equal(await vscode.commands.executeCommand('insightProof.review', { hierarchyId: hierarchy.id }), 'done');
      assert.deepEqual(server.chatRequests.map((request) => request.stage), ['techniques', 'sketch', 'proof', 'review']);
      for (const request of server.chatRequests) assert.equal(request.headers.authorization, `Bearer ${CANARY}`);

      // The echoing server: the failure the person sees must not repeat the key.
      await setSettings({ baseUrl: await echoing.start() });
      const failing = await openMarkdown('canary-failure.md', workbook('**Lemma.** Every $n \\ge 1$ has $n! \\ge 1$.'));
      placeCursor(failing, 2);
      assert.equal(await vscode.commands.executeCommand('insightProof.prove'), 'failed');
      const [failed] = hierarchiesOf(api, failing.document.uri);
      assert.ok(failed);
      assert.ok(echoing.chatRequests.length > 0);
      assert.equal(echoing.chatRequests[0]?.headers.authorization, `Bearer ${CANARY}`);
      const errorText = failed.layers.techniques.error ?? '';
      assert.match(errorText, /API key/);
      assert.ok(!errorText.includes(CANARY), `the error message repeats the key: ${errorText}`);

      // Exports in every format, the saved state and the log files.
      await vscode.workspace.fs.createDirectory(exports);
      const places: { name: string; text: string }[] = [];
      for (const format of ['md', 'json', 'jsonl', 'sft', 'tex']) {
        const file = vscode.Uri.joinPath(exports, `all.${format}`);
        await vscode.commands.executeCommand('insightProof.exportAll', { format, uri: file, confirmed: true });
        places.push({ name: `the ${format} export`, text: decoder.decode(await vscode.workspace.fs.readFile(file)) });
      }
      await api.flushState();
      places.push({ name: 'the state file', text: decoder.decode(await vscode.workspace.fs.readFile(api.stateFile)) });
      places.push({ name: 'the hierarchies', text: JSON.stringify(api.getHierarchies()) });
      const logs = await waitFor(async () => {
        const found: { name: string; text: string }[] = [];
        for (const [name, type] of await vscode.workspace.fs.readDirectory(api.logUri)) {
          if (type === vscode.FileType.File) found.push({ name: `the log file ${name}`, text: decoder.decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(api.logUri, name))) });
        }
        // The debug line of the last request shows the log file is complete up to the failure.
        return found.some((log) => /stage=techniques/.test(log.text) && /rejected the API key/.test(log.text)) ? found : undefined;
      }, { message: 'the requests and the failure to reach the log file', timeoutMs: 10_000 });
      places.push(...logs);
      for (const place of places) assert.ok(!place.text.includes(CANARY), `the API key appears in ${place.name}`);
      assert.ok(places.find((place) => place.name === 'the md export')?.text.includes('Telescoping sum'));
    } finally {
      await vscode.commands.executeCommand('_extensionTests.setLogLevel', 'info');
      await vscode.commands.executeCommand('insightProof.setApiKey', { key: '' });
      await deleteAllHierarchies(api);
      await resetSettings();
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(exports, { recursive: true, useTrash: false }).then(undefined, () => undefined);
      await server.close();
      await echoing.close();
    }
  });
});
