// The user's path through the editor (DESIGN.md), in a real VS Code against the scripted model
// server over HTTP: prove from the palette and from a CodeLens, watch the layers stream into the
// view, cancel, edit a layer (the layers below turn stale), regenerate with guidance (the earlier
// version is kept), accept and insert twice (one block), restore from the document.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { InsightProofApi } from '../../src/vscode/api.ts';
import type { ScriptedModelServer, ScriptedReply } from '../server/scriptedServer.ts';
import { waitFor } from './helpers.ts';
import {
  childLabels,
  endScriptedSuite,
  hierarchiesOf,
  markerLines,
  openMarkdown,
  placeCursor,
  startScriptedSuite,
  startScriptedTest,
  viewRows,
  waitForHierarchy,
} from './vscodeHelpers.ts';

const TECHNIQUES = '1. **Telescoping sum**: write each odd number as a difference of consecutive squares.\n2. **Induction on n**: adding the next odd number 2n + 1 to n^2 gives (n + 1)^2.\n';
const SKETCH = '1. Check the case $n = 1$.\n2. Assume $1 + 3 + \\dots + (2n - 1) = n^2$.\n3. Add $2n + 1$ and recognise $(n + 1)^2$.\n';
const PROOF = 'We argue by induction on $n$. For $n = 1$ the sum is $1 = 1^2$. If the sum of the first $n$ odd numbers is $n^2$, adding $2n + 1$ gives $n^2 + 2n + 1 = (n + 1)^2$. $\\blacksquare$\n';
const SKETCH_WITH_GUIDANCE = '1. Use the telescoping identity $(k + 1)^2 - k^2 = 2k + 1$.\n2. Sum it for $k = 0, \\dots, n - 1$.\n';

const THEOREM = '**Theorem.** For every integer $n \\ge 1$, the sum of the first $n$ odd numbers is $n^2$.';
const LEMMA = '**Lemma 2.** For every $n \\ge 0$, $2^n \\ge n + 1$.';
const workbook = (statement: string) => `# Workbook\n\n${statement}\n\nSome notes after it.\n`;

const STAGE_REPLIES: Record<string, ScriptedReply> = {
  techniques: { content: TECHNIQUES },
  sketch: { content: SKETCH },
  proof: { content: PROOF },
};

describe('The VS Code experience: prove, stream, edit, regenerate, insert, restore', function () {
  this.timeout(30_000);
  let server: ScriptedModelServer;
  let api: InsightProofApi;

  before(async () => {
    ({ server, api } = await startScriptedSuite({ replies: STAGE_REPLIES, settings: { preset: 'deepinsight', autoAdvance: true } }));
  });

  after(() => endScriptedSuite({ server, api }));

  beforeEach(() => startScriptedTest({ server, api }));

  it('proves the theorem at the cursor from the command palette, streaming each layer into the view', async () => {
    // The techniques arrive slowly, in small chunks, so the view can be seen mid-stream.
    server.script('techniques', { content: TECHNIQUES, chunkChars: 6, chunkDelayMs: 60 });
    const editor = await openMarkdown('palette.md', workbook(THEOREM));
    placeCursor(editor, 2);
    const proving = vscode.commands.executeCommand('insightProof.prove');

    const streaming = await waitForHierarchy(
      api,
      editor.document.uri,
      (hierarchy) => hierarchy.layers.techniques.status === 'generating' && hierarchy.layers.techniques.raw.length > 0,
      'the core techniques to be streaming in',
    );
    assert.ok(streaming.layers.techniques.raw.length < TECHNIQUES.length, 'the layer was observed only after it was complete');
    assert.equal(streaming.problem, THEOREM);
    assert.deepEqual(streaming.source, { uri: editor.document.uri.toString(), startLine: 2, endLine: 2 });
    const midStream = await waitFor(async () => {
      const rows = await viewRows(api, streaming.id);
      return /^generating · \d+ chars$/.test(rows.layers.techniques.description) ? rows : undefined;
    }, { message: 'the view to show the techniques generating with a character count' });
    assert.equal(midStream.layers.techniques.label, 'Core techniques');
    assert.match(midStream.problem.contextValue, /\brunning\b/);

    assert.equal(await proving, 'done');
    const [hierarchy] = hierarchiesOf(api, editor.document.uri);
    assert.ok(hierarchy);
    assert.deepEqual(
      [hierarchy.layers.techniques.status, hierarchy.layers.sketch.status, hierarchy.layers.proof.status],
      ['draft', 'draft', 'draft'],
    );
    assert.equal(hierarchy.layers.techniques.raw, TECHNIQUES);
    assert.match(hierarchy.layers.proof.text, /induction on \$n\$/);
    assert.deepEqual(server.chatRequests.map((request) => request.stage), ['techniques', 'sketch', 'proof']);

    await api.whenIdle();
    const rows = await viewRows(api, hierarchy.id);
    // The label is the statement's first line without the bold marks, shortened for the view.
    assert.ok(rows.problem.label.startsWith('Theorem. For every integer $n \\ge 1$, the sum'), rows.problem.label);
    assert.ok(rows.problem.label.length <= 80 && rows.problem.label.endsWith('…'), rows.problem.label);
    assert.equal(rows.problem.description, 'palette.md:3');
    assert.equal(rows.layers.techniques.description, 'draft · 2 techniques');
    assert.equal(rows.layers.sketch.description, 'draft · 3 steps');
    assert.equal(rows.layers.proof.description, 'draft');
    const techniques = await childLabels(api, rows.layers.techniques.node);
    assert.deepEqual(techniques, ['Telescoping sum', 'Induction on n']);
  });

  it('refreshes the view at most about ten times a second while a layer streams in', async () => {
    server.script('techniques', { content: TECHNIQUES.repeat(3), chunkChars: 2, chunkDelayMs: 8 });
    const editor = await openMarkdown('throttle.md', workbook(THEOREM));
    placeCursor(editor, 2);
    const refreshes: number[] = [];
    const subscription = api.tree.onDidChangeTreeData?.(() => refreshes.push(Date.now()));
    assert.ok(subscription, 'the view offers no change event');
    try {
      const proving = vscode.commands.executeCommand('insightProof.prove');
      const started = (await waitForHierarchy(api, editor.document.uri, (hierarchy) => hierarchy.layers.techniques.status === 'generating', 'the run to start')) && Date.now();
      await waitForHierarchy(api, editor.document.uri, (hierarchy) => hierarchy.layers.techniques.status === 'draft', 'the techniques to finish', 20_000);
      const finished = Date.now();
      assert.equal(await proving, 'done');
      const during = refreshes.filter((time) => time >= started && time <= finished);
      const seconds = (finished - started) / 1000;
      assert.ok(seconds > 1, `the stream took only ${seconds} s; the test needs a longer one`);
      assert.ok(during.length >= 3, `the view refreshed only ${during.length} times while ${TECHNIQUES.length * 3} characters streamed in over ${seconds} s`);
      assert.ok(during.length <= Math.ceil(seconds * 10) + 2, `the view refreshed ${during.length} times in ${seconds} s`);
    } finally {
      subscription.dispose();
    }
  });

  it('proves from the CodeLens above a theorem, which then shows the status and Show', async () => {
    const editor = await openMarkdown('codelens.md', workbook(LEMMA));
    const lenses = await waitFor(
      async () => {
        const found = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
        return found.some((lens) => lens.command?.title === '$(sparkle) Prove') ? found : undefined;
      },
      { message: 'the Prove CodeLens' },
    );
    const prove = lenses.find((lens) => lens.command?.title === '$(sparkle) Prove');
    assert.ok(prove?.command);
    assert.equal(prove.range.start.line, 2);
    assert.equal(await vscode.commands.executeCommand(prove.command.command, ...(prove.command.arguments ?? [])), 'done');

    const [hierarchy] = hierarchiesOf(api, editor.document.uri);
    assert.ok(hierarchy);
    assert.equal(hierarchy.problem, LEMMA);
    assert.equal(hierarchy.layers.proof.status, 'draft');
    const titles = await waitFor(
      async () => {
        const after = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
        const found = after.map((lens) => lens.command?.title ?? '');
        return found.includes('Show') ? found : undefined;
      },
      { message: 'the CodeLens to show the status and Show' },
    );
    assert.deepEqual(titles, ['$(sparkle) Prove', 'techniques draft · sketch draft · proof draft', 'Show']);
  });

  it('refuses a second run on a hierarchy that is generating, and cancels keeping what arrived', async () => {
    server.script('techniques', { content: TECHNIQUES.repeat(4), chunkChars: 4, chunkDelayMs: 80 });
    const editor = await openMarkdown('cancel.md', workbook(THEOREM));
    placeCursor(editor, 2);
    const proving = vscode.commands.executeCommand('insightProof.prove');
    const streaming = await waitForHierarchy(
      api,
      editor.document.uri,
      (hierarchy) => hierarchy.layers.techniques.raw.length > 10,
      'some techniques text to arrive',
    );

    assert.equal(await vscode.commands.executeCommand('insightProof.prove'), 'not-started', 'a second Prove on the same theorem started another run');
    const second = await vscode.commands.executeCommand('insightProof.generateNextLayer', { hierarchyId: streaming.id });
    assert.equal(second, undefined, 'a layer command on a generating hierarchy must not start another run');
    const regenerate = await vscode.commands.executeCommand('insightProof.regenerateLayer', { hierarchyId: streaming.id, stage: 'techniques' }, { guidance: '' });
    assert.equal(regenerate, undefined);

    await vscode.commands.executeCommand('insightProof.cancel');
    assert.equal(await proving, 'cancelled');
    const [cancelled] = hierarchiesOf(api, editor.document.uri);
    assert.ok(cancelled);
    assert.equal(cancelled.layers.techniques.status, 'failed');
    assert.ok(cancelled.layers.techniques.raw.length >= streaming.layers.techniques.raw.length, 'text that had arrived was lost');
    assert.ok(TECHNIQUES.repeat(4).startsWith(cancelled.layers.techniques.raw));
    assert.equal(cancelled.layers.sketch.status, 'empty');
    assert.deepEqual(server.chatRequests.map((request) => request.stage), ['techniques']);
    const rows = await viewRows(api, cancelled.id);
    assert.match(rows.layers.techniques.description, /^failed/);
    assert.match(rows.problem.contextValue, /\bidle\b/);
  });

  it('edits a layer as a markdown document: saving updates it and marks the layers below stale', async () => {
    const editor = await openMarkdown('edit.md', workbook(THEOREM));
    placeCursor(editor, 2);
    assert.equal(await vscode.commands.executeCommand('insightProof.prove'), 'done');
    const [proved] = hierarchiesOf(api, editor.document.uri);
    assert.ok(proved);

    await vscode.commands.executeCommand('insightProof.editLayer', { hierarchyId: proved.id, stage: 'techniques' });
    const layerEditor = await waitFor(() => {
      const active = vscode.window.activeTextEditor;
      return active?.document.uri.scheme === 'insight-proof-layer' ? active : undefined;
    }, { message: 'the layer document to open' });
    assert.equal(layerEditor.document.languageId, 'markdown');
    assert.match(layerEditor.document.getText(), /Telescoping sum/);

    const edited = '1. **Pairing** (construction): pair the k-th and (n + 1 - k)-th odd numbers, each pair sums to 2n.\n';
    const whole = new vscode.Range(new vscode.Position(0, 0), layerEditor.document.lineAt(layerEditor.document.lineCount - 1).range.end);
    assert.ok(await layerEditor.edit((builder) => builder.replace(whole, edited)));
    assert.ok(await layerEditor.document.save(), 'saving the layer document failed');

    const after = await waitForHierarchy(api, editor.document.uri, (hierarchy) => hierarchy.layers.techniques.edited, 'the edit to reach the layer');
    assert.equal(after.layers.techniques.status, 'accepted');
    assert.deepEqual(after.layers.techniques.items.map((item) => item.name), ['Pairing']);
    assert.equal(after.layers.techniques.items[0]?.kind, 'construction');
    assert.equal(after.layers.sketch.status, 'stale');
    assert.equal(after.layers.proof.status, 'stale');
    await api.whenIdle();
    const rows = await viewRows(api, after.id);
    assert.equal(rows.layers.techniques.description, 'accepted · 1 technique · edited · 1 alternative');
    assert.match(rows.layers.sketch.description, /^stale/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');

    // A layer edited by hand is never regenerated without the person's consent...
    server.requests.length = 0;
    const refused = await vscode.commands.executeCommand('insightProof.regenerateLayer', { hierarchyId: after.id, stage: 'techniques' }, { guidance: '', overwriteEdited: false });
    assert.equal(refused, undefined);
    assert.equal(server.chatRequests.length, 0);
    // ...while the stale layers below it are one command away from being rewritten on top of it.
    assert.equal(await vscode.commands.executeCommand('insightProof.regenerateBelow', { hierarchyId: after.id, stage: 'techniques' }), 'done');
    const [rewritten] = hierarchiesOf(api, editor.document.uri);
    assert.ok(rewritten);
    assert.deepEqual([rewritten.layers.sketch.status, rewritten.layers.proof.status], ['draft', 'draft']);
    assert.deepEqual(rewritten.layers.techniques.items.map((item) => item.name), ['Pairing']);
    assert.deepEqual(server.chatRequests.map((request) => request.stage), ['sketch', 'proof']);
    assert.match(JSON.stringify(server.chatRequests[0]?.body.messages), /Pairing/, 'the sketch was not written from the edited techniques');
  });

  it('regenerates a layer with a guidance note, keeps the earlier version and switches back to it', async () => {
    const editor = await openMarkdown('regenerate.md', workbook(THEOREM));
    placeCursor(editor, 2);
    assert.equal(await vscode.commands.executeCommand('insightProof.prove'), 'done');
    const [proved] = hierarchiesOf(api, editor.document.uri);
    assert.ok(proved);
    server.requests.length = 0;

    server.script('sketch', { content: SKETCH_WITH_GUIDANCE });
    const outcome = await vscode.commands.executeCommand('insightProof.regenerateLayer', { hierarchyId: proved.id, stage: 'sketch' }, { guidance: 'Use the telescoping identity.' });
    assert.equal(outcome, 'done');
    const [regenerated] = hierarchiesOf(api, editor.document.uri);
    assert.ok(regenerated);
    assert.equal(regenerated.layers.sketch.raw, SKETCH_WITH_GUIDANCE);
    assert.equal(regenerated.layers.sketch.guidance, 'Use the telescoping identity.');
    assert.equal(regenerated.layers.sketch.alternatives?.length, 1);
    assert.equal(regenerated.layers.sketch.alternatives?.[0]?.raw, SKETCH);
    assert.equal(regenerated.layers.proof.status, 'stale');
    assert.deepEqual(server.chatRequests.map((request) => request.stage), ['sketch']);
    assert.match(JSON.stringify(server.chatRequests[0]?.body.messages), /Use the telescoping identity\./);

    await vscode.commands.executeCommand('insightProof.selectAlternative', { hierarchyId: proved.id, stage: 'sketch' }, { index: 0 });
    const switched = await waitForHierarchy(api, editor.document.uri, (hierarchy) => hierarchy.layers.sketch.raw === SKETCH, 'the earlier sketch to be current again');
    assert.equal(switched.layers.sketch.alternatives?.[0]?.raw, SKETCH_WITH_GUIDANCE);
  });

  it('accepts all layers and inserts them under the theorem; inserting again replaces the block', async () => {
    const editor = await openMarkdown('insert.md', workbook(THEOREM));
    placeCursor(editor, 2);
    assert.equal(await vscode.commands.executeCommand('insightProof.prove'), 'done');
    const [proved] = hierarchiesOf(api, editor.document.uri);
    assert.ok(proved);

    await vscode.commands.executeCommand('insightProof.acceptAll', { hierarchyId: proved.id });
    const accepted = await waitForHierarchy(api, editor.document.uri, (hierarchy) => hierarchy.layers.proof.status === 'accepted', 'every layer to be accepted');
    assert.equal(accepted.layers.techniques.status, 'accepted');

    await vscode.commands.executeCommand('insightProof.insertIntoDocument', { hierarchyId: proved.id });
    const document = editor.document;
    const once = document.getText();
    assert.deepEqual(markerLines(once), [`<!-- insight-proof:begin id=${proved.id} -->`, '<!-- insight-proof:end -->']);
    const lines = once.split('\n');
    assert.equal(lines[2], THEOREM, 'the theorem moved');
    assert.equal(lines[3], '', 'one blank line separates the theorem from the block');
    assert.equal(lines[4], `<!-- insight-proof:begin id=${proved.id} -->`);
    assert.match(once, /Telescoping sum/);
    assert.match(once, /induction on \$n\$/);
    assert.match(once, /Some notes after it\.\n$/, 'the text after the theorem was lost');

    await vscode.commands.executeCommand('insightProof.insertIntoDocument', { hierarchyId: proved.id });
    assert.equal(document.getText(), once, 'inserting the same proof again changed the document');

    // A changed layer replaces the block: still exactly one.
    server.script('proof', { content: 'A second, shorter proof by induction. $\\blacksquare$\n' });
    assert.equal(await vscode.commands.executeCommand('insightProof.regenerateLayer', { hierarchyId: proved.id, stage: 'proof' }, { guidance: '' }), 'done');
    await vscode.commands.executeCommand('insightProof.acceptLayer', { hierarchyId: proved.id, stage: 'proof' });
    await waitForHierarchy(api, document.uri, (hierarchy) => hierarchy.layers.proof.status === 'accepted', 'the new proof to be accepted');
    await vscode.commands.executeCommand('insightProof.insertIntoDocument', { hierarchyId: proved.id });
    const twice = document.getText();
    assert.equal(markerLines(twice).length, 2, 'a second block was inserted');
    assert.match(twice, /A second, shorter proof/);
    assert.doesNotMatch(twice, /induction on \$n\$\. For/);
    assert.match(twice, /Some notes after it\.\n$/);

    // The insertion is an ordinary edit: undo brings the previous block back.
    await vscode.window.showTextDocument(document);
    await vscode.commands.executeCommand('undo');
    await waitFor(() => document.getText() === once, { message: 'undo to restore the previous block' });
  });

  it('inserts under the theorem where it is now, keeping text typed after the proof was generated', async () => {
    const editor = await openMarkdown('typed.md', workbook(THEOREM));
    placeCursor(editor, 2);
    assert.equal(await vscode.commands.executeCommand('insightProof.prove'), 'done');
    const [proved] = hierarchiesOf(api, editor.document.uri);
    assert.ok(proved);
    await vscode.commands.executeCommand('insightProof.acceptAll', { hierarchyId: proved.id });
    await waitForHierarchy(api, editor.document.uri, (hierarchy) => hierarchy.layers.proof.status === 'accepted', 'every layer to be accepted');

    // The person writes above the theorem (it moves down) and just below it.
    assert.ok(await editor.edit((builder) => builder.insert(new vscode.Position(1, 0), '\nAn introduction written later.\n')));
    const theoremLine = editor.document.getText().split('\n').indexOf(THEOREM);
    assert.equal(theoremLine, 4);
    assert.ok(await editor.edit((builder) => builder.insert(new vscode.Position(theoremLine + 1, 0), 'A remark typed right under the theorem.\n')));
    const before = editor.document.getText();

    await vscode.commands.executeCommand('insightProof.insertIntoDocument', { hierarchyId: proved.id });
    const after = editor.document.getText();
    const lines = after.split('\n');
    assert.equal(lines[theoremLine], THEOREM);
    assert.equal(lines[theoremLine + 2], `<!-- insight-proof:begin id=${proved.id} -->`);
    // Everything that was there is still there, in order, with the block between theorem and remark.
    const begin = lines.indexOf(`<!-- insight-proof:begin id=${proved.id} -->`);
    const end = lines.indexOf('<!-- insight-proof:end -->');
    const outside = [...lines.slice(0, begin), ...lines.slice(end + 1)].filter((line) => line.trim() !== '');
    assert.deepEqual(outside, before.split('\n').filter((line) => line.trim() !== ''));
    assert.ok(lines.indexOf('A remark typed right under the theorem.') > end);
  });

  it('acts from the palette on the hierarchy of the theorem at the cursor', async () => {
    const editor = await openMarkdown('two-theorems.md', `${workbook(THEOREM)}\n${LEMMA}\n`);
    const lemmaLine = editor.document.getText().split('\n').indexOf(LEMMA);
    placeCursor(editor, 2);
    assert.equal(await vscode.commands.executeCommand('insightProof.prove'), 'done');
    placeCursor(editor, lemmaLine);
    assert.equal(await vscode.commands.executeCommand('insightProof.prove'), 'done');
    const byProblem = () => new Map(hierarchiesOf(api, editor.document.uri).map((hierarchy) => [hierarchy.problem, hierarchy]));
    assert.equal(byProblem().size, 2);

    // The cursor is in the lemma: Accept All and Insert act on the lemma's hierarchy only.
    await vscode.commands.executeCommand('insightProof.acceptAll');
    await waitFor(() => byProblem().get(LEMMA)?.layers.proof.status === 'accepted', { message: "the lemma's layers to be accepted" });
    assert.equal(byProblem().get(THEOREM)?.layers.proof.status, 'draft');
    await vscode.commands.executeCommand('insightProof.insertIntoDocument');
    const lines = editor.document.getText().split('\n');
    assert.equal(lines[lemmaLine + 2], `<!-- insight-proof:begin id=${byProblem().get(LEMMA)?.id} -->`);
    assert.equal(markerLines(editor.document.getText()).length, 2);

    // With the cursor inside the inserted block, the block's hierarchy is the target.
    placeCursor(editor, lemmaLine + 4);
    await vscode.commands.executeCommand('insightProof.insertIntoDocument');
    assert.equal(markerLines(editor.document.getText()).length, 2, 'inserting from inside the block added another one');
  });

  it('restores a hierarchy from the proof block of a document it was forgotten for', async () => {
    const editor = await openMarkdown('restore.md', workbook(THEOREM));
    placeCursor(editor, 2);
    assert.equal(await vscode.commands.executeCommand('insightProof.prove'), 'done');
    const [proved] = hierarchiesOf(api, editor.document.uri);
    assert.ok(proved);
    await vscode.commands.executeCommand('insightProof.acceptAll', { hierarchyId: proved.id });
    await waitForHierarchy(api, editor.document.uri, (hierarchy) => hierarchy.layers.proof.status === 'accepted', 'every layer to be accepted');
    await vscode.commands.executeCommand('insightProof.insertIntoDocument', { hierarchyId: proved.id });
    await editor.document.save();
    const saved = editor.document.getText();

    await vscode.commands.executeCommand('insightProof.deleteHierarchy', { hierarchyId: proved.id }, { confirmed: true });
    assert.deepEqual(hierarchiesOf(api, editor.document.uri), []);

    // The same file under another name: opening it is a document the extension has not seen.
    const copy = await openMarkdown('restore-copy.md', saved);
    const restored = await waitForHierarchy(api, copy.document.uri, () => true, 'the hierarchy to be restored from the block');
    assert.equal(restored.id, proved.id);
    assert.equal(restored.problem, THEOREM);
    assert.equal(restored.layers.proof.status, 'accepted');
    assert.match(restored.layers.proof.text, /induction on \$n\$/);
    assert.deepEqual(
      restored.layers.techniques.items.map((item) => item.name),
      proved.layers.techniques.items.map((item) => item.name),
    );

    // Opening it again changes nothing: a known id is never restored twice.
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await openMarkdown('restore-copy.md', saved);
    await api.whenIdle();
    assert.equal(hierarchiesOf(api, copy.document.uri).length, 1);
  });

  it('keeps a failed layer with one clear sentence when the server refuses the key', async () => {
    server.script('techniques', { status: 401 });
    const editor = await openMarkdown('failure.md', workbook(THEOREM));
    placeCursor(editor, 2);
    assert.equal(await vscode.commands.executeCommand('insightProof.prove'), 'failed');
    const [failed] = hierarchiesOf(api, editor.document.uri);
    assert.ok(failed);
    assert.equal(failed.layers.techniques.status, 'failed');
    assert.match(failed.layers.techniques.error ?? '', /API key/);
    assert.equal(failed.layers.sketch.status, 'empty');
  });
});

describe('The VS Code experience: one layer at a time, preview and saved state', function () {
  this.timeout(30_000);
  let server: ScriptedModelServer;
  let api: InsightProofApi;

  before(async () => {
    ({ server, api } = await startScriptedSuite({ replies: STAGE_REPLIES, settings: { autoAdvance: false } }));
  });

  after(() => endScriptedSuite({ server, api }));

  beforeEach(() => startScriptedTest({ server, api }));

  it('proves a selected statement one layer at a time when autoAdvance is off', async () => {
    const statement = 'Show that the product of two odd integers is odd.';
    const editor = await openMarkdown('selection.md', `# Exercises\n\nA warm-up. ${statement}\n`);
    const line = editor.document.lineAt(2);
    editor.selection = new vscode.Selection(new vscode.Position(2, line.text.indexOf('Show')), line.range.end);
    assert.equal(await vscode.commands.executeCommand('insightProof.prove'), 'done');
    const [first] = hierarchiesOf(api, editor.document.uri);
    assert.ok(first);
    assert.equal(first.problem, statement);
    assert.deepEqual([first.layers.techniques.status, first.layers.sketch.status, first.layers.proof.status], ['draft', 'empty', 'empty']);

    assert.equal(await vscode.commands.executeCommand('insightProof.generateNextLayer', { hierarchyId: first.id }), 'done');
    const [second] = hierarchiesOf(api, editor.document.uri);
    assert.deepEqual([second?.layers.sketch.status, second?.layers.proof.status], ['draft', 'empty']);
    assert.deepEqual(server.chatRequests.map((request) => request.stage), ['techniques', 'sketch']);
  });

  it('previews the whole hierarchy as markdown in the built-in preview', async () => {
    const editor = await openMarkdown('preview.md', workbook(THEOREM));
    placeCursor(editor, 2);
    assert.equal(await vscode.commands.executeCommand('insightProof.prove'), 'done');
    const [proved] = hierarchiesOf(api, editor.document.uri);
    assert.ok(proved);
    // autoAdvance is off in this group: the sketch and the proof come one command each.
    assert.equal(await vscode.commands.executeCommand('insightProof.generateNextLayer', { hierarchyId: proved.id }), 'done');
    assert.equal(await vscode.commands.executeCommand('insightProof.generateNextLayer', { hierarchyId: proved.id }), 'done');
    await vscode.commands.executeCommand('insightProof.preview', { hierarchyId: proved.id });
    const preview = await waitFor(
      () => vscode.workspace.textDocuments.find((document) => document.uri.scheme === 'insight-proof-layer' && document.uri.path === `/${proved.id}/Preview.md`),
      { message: 'the preview document to be opened by the markdown preview' },
    );
    const text = preview.getText();
    assert.ok(text.startsWith(`# Problem\n\n${THEOREM}\n`), text);
    assert.match(text, /## Core techniques _\(draft\)_\n\n1\. \*\*Telescoping sum\*\*/);
    assert.match(text, /## Proof _\(draft\)_\n\nWe argue by induction/);
  });

  it('saves hierarchies with their drafts and partial output to the state file', async () => {
    server.script('techniques', { content: TECHNIQUES.repeat(3), chunkChars: 4, chunkDelayMs: 60 });
    const editor = await openMarkdown('state.md', workbook(THEOREM));
    placeCursor(editor, 2);
    const proving = vscode.commands.executeCommand('insightProof.prove');
    const streaming = await waitForHierarchy(api, editor.document.uri, (hierarchy) => hierarchy.layers.techniques.raw.length > 20, 'some techniques text to arrive');
    await api.flushState();
    const midStream = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(api.stateFile))) as { format: string; hierarchies: { id: string; layers: { techniques: { status: string; raw: string } } }[] };
    assert.equal(midStream.format, 'insight-proof.state/v1');
    const saved = midStream.hierarchies.find((hierarchy) => hierarchy.id === streaming.id);
    assert.ok(saved, 'the hierarchy being generated is not in the saved state');
    assert.equal(saved.layers.techniques.status, 'generating');
    assert.ok(saved.layers.techniques.raw.length >= 20, 'the text that had arrived was not saved');

    await vscode.commands.executeCommand('insightProof.cancel', { hierarchyId: streaming.id });
    assert.equal(await proving, 'cancelled');
    await api.flushState();
    const afterCancel = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(api.stateFile))) as typeof midStream;
    assert.equal(afterCancel.hierarchies.find((hierarchy) => hierarchy.id === streaming.id)?.layers.techniques.status, 'failed');
  });
});
