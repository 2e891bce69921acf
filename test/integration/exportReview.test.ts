// Export, import and review in a real VS Code against the scripted model server (issue 5 in the
// editor): what lands in the exported files, that JSON and JSONL exports import back to the same
// hierarchies in the view, that a problem set opens as a workbook ready to prove, and that the
// judge's score shows in the Proof Hierarchy view (stale once the proof changes), while a judge
// answer without scores leaves the hierarchy as it was, with one sentence in the log.
//
// The commands take their choices as arguments ({ format, uri, confirmed }, { uri, ... }), so no
// picker or dialog is opened here.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Hierarchy } from '../../src/core/hierarchy.ts';
import type { InsightProofApi } from '../../src/vscode/api.ts';
import type { ImportResult } from '../../src/vscode/exportImport.ts';
import type { TreeNode } from '../../src/vscode/hierarchyTree.ts';
import { DEFAULT_MODEL, type ScriptedModelServer, type ScriptedReply } from '../server/scriptedServer.ts';
import { getExtension, waitFor, workspaceFolder } from './helpers.ts';
import { deleteAllHierarchies, endScriptedSuite, hierarchiesOf, openMarkdown, placeCursor, setSettings, startScriptedSuite, startScriptedTest, viewRows } from './vscodeHelpers.ts';

const TECHNIQUES = '1. **Telescoping sum**: write each odd number as a difference of consecutive squares.\n2. **Induction on n**: adding 2n + 1 to n^2 gives (n + 1)^2.\n';
const SKETCH = '1. Check the case $n = 1$.\n2. Assume $1 + 3 + \\dots + (2n - 1) = n^2$.\n3. Add $2n + 1$ and recognise $(n + 1)^2$.\n';
const PROOF = 'We argue by induction on $n$. For $n = 1$ the sum is $1 = 1^2$. If the sum of the first $n$ odd numbers is $n^2$, adding $2n + 1$ gives $(n + 1)^2$. $\\blacksquare$\n';
const THEOREM = '**Theorem.** For every integer $n \\ge 1$, the sum of the first $n$ odd numbers is $n^2$.';
const LEMMA = '**Lemma 2.** For every $n \\ge 0$, $2^n \\ge n + 1$.';
const JUDGE_MODEL = 'insight-judge';
const JUDGE_ANSWER = JSON.stringify({ validity: 0.9, completeness: 0.8, correctness: 1, clarity: 0.7, explanation: 'Sound induction; the base case is stated and the step is explicit.' });

const STAGE_REPLIES: Record<string, ScriptedReply> = {
  techniques: { content: TECHNIQUES },
  sketch: { content: SKETCH },
  proof: { content: PROOF },
  review: { content: JUDGE_ANSWER },
};

const decoder = new TextDecoder();

function exportsFolder(): vscode.Uri {
  return vscode.Uri.joinPath(workspaceFolder().uri, 'exports');
}

async function readText(uri: vscode.Uri): Promise<string> {
  return decoder.decode(await vscode.workspace.fs.readFile(uri));
}

async function writeText(uri: vscode.Uri, text: string): Promise<void> {
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
}

/** Proves a theorem in a new document from the palette; returns its hierarchy. */
async function proveIn(api: InsightProofApi, name: string, statement: string): Promise<Hierarchy> {
  const editor = await openMarkdown(name, `# Notes\n\n${statement}\n`);
  placeCursor(editor, 2);
  assert.equal(await vscode.commands.executeCommand('insightProof.prove'), 'done');
  const [hierarchy] = hierarchiesOf(api, editor.document.uri);
  assert.ok(hierarchy, `no hierarchy for ${name}`);
  return hierarchy;
}

function byId(hierarchies: readonly Hierarchy[]): Hierarchy[] {
  return [...hierarchies].sort((a, b) => a.id.localeCompare(b.id));
}

function findHierarchy(api: InsightProofApi, id: string): Hierarchy {
  const found = api.getHierarchies().find((hierarchy) => hierarchy.id === id);
  assert.ok(found, `hierarchy ${id} is not in the view`);
  return found;
}

interface ShownRow {
  label: string;
  description: string;
  tooltip: string;
  trusted: boolean;
  node: TreeNode;
}

async function shownRow(api: InsightProofApi, node: TreeNode): Promise<ShownRow> {
  const item = await api.tree.getTreeItem(node);
  const tooltip = item.tooltip instanceof vscode.MarkdownString ? item.tooltip : undefined;
  return {
    label: typeof item.label === 'string' ? item.label : (item.label?.label ?? ''),
    description: typeof item.description === 'string' ? item.description : '',
    tooltip: tooltip?.value ?? (typeof item.tooltip === 'string' ? item.tooltip : ''),
    trusted: Boolean(tooltip?.isTrusted) || Boolean(tooltip?.supportHtml),
    node,
  };
}

/** The review row of a hierarchy and the rows under it, as the view shows them. */
async function reviewRows(api: InsightProofApi, hierarchyId: string): Promise<{ review: ShownRow; parts: ShownRow[] } | undefined> {
  const root = ((await api.tree.getChildren(undefined)) ?? []).find((node) => node.hierarchyId === hierarchyId);
  if (!root) return undefined;
  const node = ((await api.tree.getChildren(root)) ?? []).find((child) => child.kind === 'review');
  if (!node) return undefined;
  const parts = await Promise.all(((await api.tree.getChildren(node)) ?? []).map((child) => shownRow(api, child)));
  return { review: await shownRow(api, node), parts };
}

/** Every line of the extension's log files (the output channel writes under api.logUri). */
async function logText(api: InsightProofApi): Promise<string> {
  const texts: string[] = [];
  const walk = async (folder: vscode.Uri): Promise<void> => {
    let entries: [string, vscode.FileType][];
    try {
      entries = await vscode.workspace.fs.readDirectory(folder);
    } catch {
      return;
    }
    for (const [name, type] of entries) {
      const child = vscode.Uri.joinPath(folder, name);
      if (type === vscode.FileType.Directory) await walk(child);
      else if (name.endsWith('.log')) texts.push(await readText(child));
    }
  };
  await walk(api.logUri);
  return texts.join('\n');
}

describe('Export, import and review in VS Code', function () {
  this.timeout(40_000);
  let server: ScriptedModelServer;
  let api: InsightProofApi;

  before(async () => {
    ({ server, api } = await startScriptedSuite({ models: [DEFAULT_MODEL, JUDGE_MODEL], replies: STAGE_REPLIES, settings: { preset: 'deepinsight', autoAdvance: true } }));
  });

  after(() => endScriptedSuite({ server, api }, () => vscode.workspace.fs.delete(exportsFolder(), { recursive: true, useTrash: false }).then(undefined, () => undefined)));

  beforeEach(async () => {
    await startScriptedTest({ server, api });
    await vscode.workspace.fs.delete(exportsFolder(), { recursive: true, useTrash: false }).then(undefined, () => undefined);
    await vscode.workspace.fs.createDirectory(exportsFolder());
  });

  it('exports one hierarchy as readable markdown and as LaTeX that pdflatex compiles', async () => {
    const hierarchy = await proveIn(api, 'export-md.md', THEOREM);
    const markdownFile = vscode.Uri.joinPath(exportsFolder(), 'odd-sums.md');
    const written = await vscode.commands.executeCommand<vscode.Uri>('insightProof.export', { hierarchyId: hierarchy.id }, { format: 'md', uri: markdownFile });
    assert.equal(written?.toString(), markdownFile.toString());
    const markdown = await readText(markdownFile);
    assert.match(markdown, /the sum of the first \$n\$ odd numbers is \$n\^2\$/);
    assert.match(markdown, /Telescoping sum/);
    assert.match(markdown, /Induction on n/);
    assert.match(markdown, /Check the case \$n = 1\$/);
    assert.match(markdown, /We argue by induction on \$n\$/);
    const order = ['Telescoping sum', 'Check the case', 'We argue by induction'].map((text) => markdown.indexOf(text));
    assert.deepEqual([...order].sort((a, b) => a - b), order, 'techniques, sketch and proof are not in that order');

    const texFile = vscode.Uri.joinPath(exportsFolder(), 'odd-sums.tex');
    await vscode.commands.executeCommand('insightProof.export', { hierarchyId: hierarchy.id }, { format: 'tex', uri: texFile });
    const tex = await readText(texFile);
    assert.match(tex, /\\begin\{proof\}/);
    assert.match(tex, /\\usepackage\{[^}]*\bamsthm\b/);
    // Compiling needs pdflatex, which CI installs; a machine without it still checks the text above.
    if (spawnSync('pdflatex', ['--version'], { encoding: 'utf8' }).status === 0) {
      const build = mkdtempSync(join(tmpdir(), 'insight-proof-tex-'));
      try {
        writeFileSync(join(build, 'proof.tex'), tex);
        const run = spawnSync('pdflatex', ['-interaction=nonstopmode', '-halt-on-error', 'proof.tex'], { cwd: build, encoding: 'utf8', timeout: 30_000 });
        assert.equal(run.status, 0, `pdflatex failed:\n${run.stdout.slice(-2000)}`);
      } finally {
        rmSync(build, { recursive: true, force: true });
      }
    }
  });

  it('never replaces an existing file unless the caller confirms it', async () => {
    const hierarchy = await proveIn(api, 'export-consent.md', THEOREM);
    const target = vscode.Uri.joinPath(exportsFolder(), 'mine.md');
    await writeText(target, 'My own notes.\n');
    const refused = await vscode.commands.executeCommand('insightProof.export', { hierarchyId: hierarchy.id }, { format: 'md', uri: target });
    assert.equal(refused, undefined);
    assert.equal(await readText(target), 'My own notes.\n', 'an existing file was replaced without consent');

    const replaced = await vscode.commands.executeCommand<vscode.Uri>('insightProof.export', { hierarchyId: hierarchy.id }, { format: 'md', uri: target, confirmed: true });
    assert.equal(replaced?.toString(), target.toString());
    assert.match(await readText(target), /Telescoping sum/);
  });

  it('exports every hierarchy to one JSON and one JSONL file that import back to the same hierarchies', async () => {
    await proveIn(api, 'export-all-1.md', THEOREM);
    const lemma = await proveIn(api, 'export-all-2.md', LEMMA);
    assert.equal(await vscode.commands.executeCommand('insightProof.review', { hierarchyId: lemma.id }), 'done');
    await api.whenIdle();
    const before = byId(api.getHierarchies());
    assert.equal(before.length, 2);

    for (const format of ['json', 'jsonl'] as const) {
      const file = vscode.Uri.joinPath(exportsFolder(), `all.${format}`);
      assert.equal((await vscode.commands.executeCommand<vscode.Uri>('insightProof.exportAll', { format, uri: file }))?.toString(), file.toString());
      const text = await readText(file);
      if (format === 'jsonl') assert.equal(text.trim().split('\n').length, 2);
      else assert.equal((JSON.parse(text) as unknown[]).length, 2);

      await deleteAllHierarchies(api);
      assert.deepEqual(api.getHierarchies(), []);
      const result = await vscode.commands.executeCommand<ImportResult>('insightProof.importHierarchies', { uri: file });
      assert.equal(result?.kind, 'hierarchies');
      assert.deepEqual(byId(api.getHierarchies()), before, `the ${format} export did not import back to the same hierarchies`);
      await api.whenIdle();
      const rows = await viewRows(api, lemma.id);
      assert.match(rows.problem.description, /review 87%/);
      assert.equal(rows.layers.proof.description, 'draft');
    }
  });

  it('keeps the hierarchies in the view on import unless told to replace them, and refuses a damaged file whole', async () => {
    const hierarchy = await proveIn(api, 'import-conflict.md', THEOREM);
    const file = vscode.Uri.joinPath(exportsFolder(), 'one.insight-proof.json');
    await vscode.commands.executeCommand('insightProof.export', { hierarchyId: hierarchy.id }, { format: 'json', uri: file });
    const exported = JSON.parse(await readText(file)) as Hierarchy;
    assert.equal(exported.id, hierarchy.id);

    const same = await vscode.commands.executeCommand<ImportResult>('insightProof.importHierarchies', { uri: file });
    assert.deepEqual(same, { kind: 'hierarchies', imported: [], kept: [hierarchy.id], replaced: [] });

    const changed = { ...exported, layers: { ...exported.layers, proof: { ...exported.layers.proof, text: 'Another proof.', raw: 'Another proof.' } }, updatedAt: new Date(Date.now() + 1000).toISOString() };
    await writeText(file, JSON.stringify(changed));
    const kept = await vscode.commands.executeCommand<ImportResult>('insightProof.importHierarchies', { uri: file, replaceExisting: false });
    assert.deepEqual(kept, { kind: 'hierarchies', imported: [], kept: [hierarchy.id], replaced: [] });
    assert.match(findHierarchy(api, hierarchy.id).layers.proof.text, /induction/);
    const replaced = await vscode.commands.executeCommand<ImportResult>('insightProof.importHierarchies', { uri: file, replaceExisting: true });
    assert.deepEqual(replaced, { kind: 'hierarchies', imported: [], kept: [], replaced: [hierarchy.id] });
    assert.equal(findHierarchy(api, hierarchy.id).layers.proof.text, 'Another proof.');

    // One bad line: nothing of the file is imported, and the view keeps what it had.
    const before = api.getHierarchies();
    const damaged = vscode.Uri.joinPath(exportsFolder(), 'damaged.jsonl');
    await writeText(damaged, `${JSON.stringify({ ...exported, id: 'ip-fresh000001' })}\n{"schema": "insight-proof.hierarchy/v1", "id": "x"\n`);
    assert.equal(await vscode.commands.executeCommand('insightProof.importHierarchies', { uri: damaged }), undefined);
    assert.deepEqual(api.getHierarchies(), before);
  });

  it('opens a DeepTheorem problem set as a markdown workbook with one Problem block per record, ready to prove', async () => {
    const fixture = vscode.Uri.joinPath(getExtension().extensionUri, 'test', 'fixtures', 'deeptheorem-sample.jsonl');
    const records = (await readText(fixture)).trim().split('\n').length;
    const result = await vscode.commands.executeCommand<ImportResult>('insightProof.importProblems', { uri: fixture });
    assert.ok(result?.kind === 'workbook', 'no workbook was opened');
    assert.equal(result.count, records);
    assert.equal(result.skipped, 0);
    const editor = await waitFor(() => (vscode.window.activeTextEditor?.document.uri.toString() === result.document.toString() ? vscode.window.activeTextEditor : undefined), {
      message: 'the workbook to be the active editor',
    });
    assert.equal(editor.document.languageId, 'markdown');
    assert.equal(editor.document.isUntitled, true);
    const text = editor.document.getText();
    assert.equal(text.match(/^\*\*Problem\.\*\* /gm)?.length, records);
    assert.match(text, /^## 2006\\_algebra\\_p1$/m);
    const lenses = await waitFor(
      async () => {
        const found = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
        const prove = found.filter((lens) => lens.command?.title === '$(sparkle) Prove');
        return prove.length > 0 ? prove : undefined;
      },
      { message: 'Prove CodeLenses in the workbook' },
    );
    assert.equal(lenses.length, records, 'not every problem of the workbook can be proved from its CodeLens');

    // Saved to a file instead, when a caller names one; an existing file is left alone.
    const saved = vscode.Uri.joinPath(exportsFolder(), 'workbook.md');
    const savedResult = await vscode.commands.executeCommand<ImportResult>('insightProof.importProblems', { uri: fixture, workbookUri: saved });
    assert.equal(savedResult?.kind === 'workbook' && savedResult.document.toString(), saved.toString());
    assert.equal((await readText(saved)).match(/^\*\*Problem\.\*\* /gm)?.length, records);
    assert.equal(await vscode.commands.executeCommand('insightProof.importProblems', { uri: fixture, workbookUri: saved }), undefined);

    // A file of hierarchies picked as a problem set goes into the view instead.
    const hierarchy = await proveIn(api, 'import-detect.md', LEMMA);
    const hierarchyFile = vscode.Uri.joinPath(exportsFolder(), 'lemma.jsonl');
    await vscode.commands.executeCommand('insightProof.export', { hierarchyId: hierarchy.id }, { format: 'jsonl', uri: hierarchyFile });
    await deleteAllHierarchies(api);
    const detected = await vscode.commands.executeCommand<ImportResult>('insightProof.importProblems', { uri: hierarchyFile });
    assert.deepEqual(detected, { kind: 'hierarchies', imported: [hierarchy.id], kept: [], replaced: [] });
  });

  it('reviews the proof with the judge model and shows the score, its parts and the explanation in the view', async () => {
    await setSettings({ judgeModel: JUDGE_MODEL });
    try {
      const hierarchy = await proveIn(api, 'review.md', THEOREM);
      server.requests.length = 0;
      assert.equal(await vscode.commands.executeCommand('insightProof.review', { hierarchyId: hierarchy.id }), 'done');
      const [request] = server.chatRequests;
      assert.equal(server.chatRequests.length, 1);
      assert.equal(request?.stage, 'review');
      assert.equal(request?.body.model, JUDGE_MODEL);
      assert.match(JSON.stringify(request?.body.messages), /We argue by induction/);

      const reviewed = findHierarchy(api, hierarchy.id);
      assert.equal(reviewed.review?.score, 0.87);
      assert.equal(reviewed.review?.model, JUDGE_MODEL);
      // The layers are as they were: the review is added next to them.
      assert.deepEqual(reviewed.layers, hierarchy.layers);

      await api.whenIdle();
      const rows = await viewRows(api, hierarchy.id);
      assert.equal(rows.problem.description, 'review.md:3 · review 87%');
      const shown = await reviewRows(api, hierarchy.id);
      assert.ok(shown, 'the view shows no review row');
      assert.equal(shown.review.label, 'Review');
      assert.equal(shown.review.description, `87% · ${JUDGE_MODEL}`);
      assert.match(shown.review.tooltip, /Sound induction/);
      assert.equal(shown.review.trusted, false);
      assert.deepEqual(
        shown.parts.map((row) => `${row.label}: ${row.description}`),
        ['Validity: 0.90 × 0.4', 'Completeness: 0.80 × 0.3', 'Correctness: 1.00 × 0.2', 'Clarity: 0.70 × 0.1', 'Sound induction; the base case is stated and the step is explicit.: '],
      );

      // A new proof makes the score describe an older text: the view says it is stale.
      server.script('proof', { content: 'A shorter proof: $\\sum_{k=1}^{n} (2k - 1) = n^2$ by telescoping. $\\blacksquare$\n' });
      assert.equal(await vscode.commands.executeCommand('insightProof.regenerateLayer', { hierarchyId: hierarchy.id, stage: 'proof' }, { guidance: '' }), 'done');
      await api.whenIdle();
      const stale = await reviewRows(api, hierarchy.id);
      assert.equal(stale?.review.description, `87% · stale · ${JUDGE_MODEL}`);
      assert.match(stale?.review.tooltip ?? '', /Stale: the proof changed after this review/);
      assert.match((await viewRows(api, hierarchy.id)).problem.description, /review 87% \(stale\)$/);
      assert.equal(await vscode.commands.executeCommand('insightProof.review', { hierarchyId: hierarchy.id }), 'done');
      await api.whenIdle();
      assert.equal((await reviewRows(api, hierarchy.id))?.review.description, `87% · ${JUDGE_MODEL}`);
    } finally {
      await setSettings({ judgeModel: undefined });
    }
  });

  it('keeps the hierarchy as it was when the judge answers without scores, and says so in one sentence', async () => {
    const hierarchy = await proveIn(api, 'review-malformed.md', THEOREM);
    await api.whenIdle();
    const before = findHierarchy(api, hierarchy.id);
    server.script('review', { content: 'The proof looks fine to me, nothing to add.' });
    assert.equal(await vscode.commands.executeCommand('insightProof.review', { hierarchyId: hierarchy.id }), 'failed');
    assert.deepEqual(findHierarchy(api, hierarchy.id), before, 'a failed review changed the hierarchy');
    assert.equal(await reviewRows(api, hierarchy.id), undefined);
    const log = await waitFor(async () => {
      const text = await logText(api);
      return text.includes("The judge's answer has no rubric scores") ? text : undefined;
    }, { message: 'the failed review to be logged' });
    assert.match(log, /The judge answered: The proof looks fine to me/);

    // Inconsistent JSON (a total that does not add up, a 0–10 scale) is corrected, not trusted.
    server.script('review', { content: '```json\n{"validity": 8, "completeness": 6, "correctness": 10, "clarity": 9, "total": 99, "explanation": "Mostly right."}\n```' });
    assert.equal(await vscode.commands.executeCommand('insightProof.review', { hierarchyId: hierarchy.id }), 'done');
    const review = findHierarchy(api, hierarchy.id).review;
    // 0.4 · 0.8 + 0.3 · 0.6 + 0.2 · 1 + 0.1 · 0.9, whatever total the judge claimed.
    assert.equal(review?.score, 0.79);
    assert.equal(review?.validity, 0.8);

    // No proof yet: nothing is asked of the judge.
    const editor = await openMarkdown('review-empty.md', `# Notes\n\n${LEMMA}\n`);
    placeCursor(editor, 2);
    await setSettings({ autoAdvance: false });
    try {
      assert.equal(await vscode.commands.executeCommand('insightProof.prove'), 'done');
      const [techniquesOnly] = hierarchiesOf(api, editor.document.uri);
      assert.ok(techniquesOnly);
      server.requests.length = 0;
      assert.equal(await vscode.commands.executeCommand('insightProof.review', { hierarchyId: techniquesOnly.id }), 'not-started');
      assert.equal(server.chatRequests.length, 0);
    } finally {
      await setSettings({ autoAdvance: true });
    }
  });
});
