// The generation flows: Prove (the theorem at the cursor, the selection or a CodeLens's theorem),
// Generate Next Layer, Regenerate (with an optional guidance note) and Regenerate Below. Every
// flow that could replace text a person edited by hand asks first.
import * as vscode from 'vscode';
import type { Hierarchy, LayerStage } from '../core/hierarchy.ts';
import type { ProveArgs } from './codeLens.ts';
import { readConfig } from './config.ts';
import type { LoadCore } from './core.ts';
import type { HierarchyStore } from './hierarchyStore.ts';
import type { ProofRuns, RunOutcome } from './proofRuns.ts';
import { LAYER_STAGES, stagesBelow } from '../core/hierarchy.ts';
import { LAYER_TITLES } from './stages.ts';
import type { LayerTarget } from './targets.ts';
import { hierarchyForStatement, type TheoremIndex } from './theoremIndex.ts';

/** Options other extensions, keybindings and tests may pass as the command's second argument. */
export interface RegenerateOptions {
  /** The note for the model; given, the command does not ask for one ('' for none). */
  guidance?: string;
  /** Confirms regenerating layers edited by hand; given, the command does not ask. */
  overwriteEdited?: boolean;
}

export function asRegenerateOptions(arg: unknown): RegenerateOptions {
  if (typeof arg !== 'object' || arg === null) return {};
  const { guidance, overwriteEdited } = arg as RegenerateOptions;
  return {
    ...(typeof guidance === 'string' ? { guidance } : {}),
    ...(typeof overwriteEdited === 'boolean' ? { overwriteEdited } : {}),
  };
}

function isProveArgs(arg: unknown): arg is ProveArgs {
  return typeof arg === 'object' && arg !== null && typeof (arg as ProveArgs).uri === 'string' && typeof (arg as ProveArgs).line === 'number';
}

const isDone = (hierarchy: Hierarchy, stage: LayerStage) => ['draft', 'accepted'].includes(hierarchy.layers[stage].status);

export const NOT_IN_THEOREM_MESSAGE =
  'The cursor is not in a theorem; start a paragraph with a bold label such as **Theorem.** or **Lemma 2.** (or a heading such as ## Proposition), or select the statement, then run Prove Theorem again.';

interface Problem {
  document: vscode.TextDocument;
  text: string;
  startLine: number;
  endLine: number;
}

export class ProveFlow {
  private readonly store: HierarchyStore;
  private readonly runs: ProofRuns;
  private readonly index: TheoremIndex;
  private readonly loadCore: LoadCore;
  private readonly reveal: (hierarchyId: string) => void;

  constructor(store: HierarchyStore, runs: ProofRuns, index: TheoremIndex, loadCore: LoadCore, reveal: (hierarchyId: string) => void) {
    this.store = store;
    this.runs = runs;
    this.index = index;
    this.loadCore = loadCore;
    this.reveal = reveal;
  }

  /** insightProof.prove: from the palette, the editor context menu (a Uri) or a CodeLens (ProveArgs). */
  async prove(arg: unknown): Promise<RunOutcome | undefined> {
    const problem = await this.problemFrom(arg);
    if (!problem) return undefined;
    const uri = problem.document.uri.toString();
    const existing = hierarchyForStatement(this.store, uri, problem.text);
    if (existing) return this.continueExisting(existing);

    const core = await this.loadCore();
    // A second Prove on the same theorem (a double click on the CodeLens) may have created the
    // hierarchy while this one waited for the core: continue that one instead of making a twin.
    const created = hierarchyForStatement(this.store, uri, problem.text);
    if (created) return this.continueExisting(created);
    const hierarchy = core.createHierarchy({ problem: problem.text, source: { uri, startLine: problem.startLine, endLine: problem.endLine } });
    this.store.put(hierarchy);
    this.reveal(hierarchy.id);
    return this.runs.start(hierarchy.id, readConfig().autoAdvance ? {} : { stages: ['techniques'] });
  }

  /** A theorem proved before: finish what is missing, or offer to prove it again. */
  private async continueExisting(hierarchy: Hierarchy): Promise<RunOutcome | undefined> {
    this.reveal(hierarchy.id);
    if (this.runs.isRunning(hierarchy.id)) return this.runs.start(hierarchy.id);
    const missing = LAYER_STAGES.filter((stage) => !isDone(hierarchy, stage));
    const autoAdvance = readConfig().autoAdvance;
    if (missing.length > 0) {
      const first = LAYER_STAGES.indexOf(missing[0]!);
      const stages = autoAdvance ? LAYER_STAGES.slice(first) : [missing[0]!];
      return this.startConfirmed(hierarchy, stages, {});
    }
    const choice = await vscode.window.showInformationMessage('This theorem already has a complete proof hierarchy; prove it again to get new versions of its layers?', 'Prove Again', 'Show');
    if (choice !== 'Prove Again') return undefined;
    return this.startConfirmed(hierarchy, autoAdvance ? [...LAYER_STAGES] : ['techniques'], {});
  }

  private async problemFrom(arg: unknown): Promise<Problem | undefined> {
    if (isProveArgs(arg)) {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(arg.uri));
      const theorem = await this.index.theoremAt(document, arg.line);
      if (!theorem) {
        void vscode.window.showWarningMessage('Insight Proof: there is no theorem at that line any more; put the cursor in the theorem and run Prove Theorem.');
        return undefined;
      }
      return { document, text: theorem.statement, startLine: theorem.startLine, endLine: theorem.endLine };
    }
    const editor = vscode.window.activeTextEditor;
    const fromMenu = arg instanceof vscode.Uri ? arg : undefined;
    if (!editor || editor.document.languageId !== 'markdown' || (fromMenu && fromMenu.toString() !== editor.document.uri.toString())) {
      void vscode.window.showInformationMessage('Insight Proof: open a markdown file, put the cursor in a theorem (or select its statement) and run Prove Theorem.');
      return undefined;
    }
    const { document, selection } = editor;
    if (!selection.isEmpty) {
      const text = document.getText(selection).trim();
      if (text !== '') {
        // A selection ending at the start of a line does not include that line.
        const endLine = selection.end.character === 0 && selection.end.line > selection.start.line ? selection.end.line - 1 : selection.end.line;
        return { document, text, startLine: selection.start.line, endLine };
      }
    }
    const theorem = await this.index.theoremAt(document, selection.active.line);
    if (!theorem) {
      void vscode.window.showInformationMessage(`Insight Proof: ${NOT_IN_THEOREM_MESSAGE}`);
      return undefined;
    }
    return { document, text: theorem.statement, startLine: theorem.startLine, endLine: theorem.endLine };
  }

  /** insightProof.generateNextLayer: the first layer that is not a draft or accepted. */
  async generateNext(hierarchy: Hierarchy): Promise<RunOutcome | undefined> {
    const next = LAYER_STAGES.find((stage) => !isDone(hierarchy, stage));
    if (!next) {
      void vscode.window.showInformationMessage('Insight Proof: all three layers are generated; regenerate a layer to get another version of it.');
      return undefined;
    }
    return this.startConfirmed(hierarchy, [next], {});
  }

  /** insightProof.regenerateLayer: asks for an optional note, then regenerates that layer only. */
  async regenerate(target: LayerTarget, options: RegenerateOptions): Promise<RunOutcome | undefined> {
    const { hierarchy, stage } = target;
    if (this.refuseWhileRunning(hierarchy)) return undefined;
    let guidance = options.guidance;
    if (guidance === undefined) {
      guidance = await vscode.window.showInputBox({
        title: `Regenerate ${LAYER_TITLES[stage]}`,
        prompt: 'Optional: a note for the model, for example "use induction on n" or "avoid complex numbers". Leave empty to regenerate as is.',
        placeHolder: 'Guidance (optional)',
        ignoreFocusOut: true,
      });
      if (guidance === undefined) return undefined;
    }
    return this.startConfirmed(hierarchy, [stage], { ...options, guidance: guidance.trim() });
  }

  /** insightProof.regenerateBelow: every layer under this one, for example after editing it. */
  async regenerateBelow(target: LayerTarget, options: RegenerateOptions): Promise<RunOutcome | undefined> {
    const stages = stagesBelow(target.stage);
    if (stages.length === 0) {
      void vscode.window.showInformationMessage('Insight Proof: the proof is the last layer; there is nothing below it to regenerate.');
      return undefined;
    }
    return this.startConfirmed(target.hierarchy, stages, options);
  }

  /** True (after saying so) when the hierarchy is generating: layer commands wait for the run. */
  refuseWhileRunning(hierarchy: Hierarchy): boolean {
    if (!this.runs.isRunning(hierarchy.id)) return false;
    void vscode.window.showWarningMessage('Insight Proof: this proof is still being generated; wait for it to finish or cancel it first.');
    return true;
  }

  /** Starts a run after the person confirmed replacing any layer they edited by hand. */
  private async startConfirmed(hierarchy: Hierarchy, stages: LayerStage[], options: RegenerateOptions): Promise<RunOutcome | undefined> {
    const edited = stages.filter((stage) => hierarchy.layers[stage].edited && hierarchy.layers[stage].status !== 'empty');
    let overwriteEdited = options.overwriteEdited ?? false;
    if (edited.length > 0 && options.overwriteEdited === undefined) {
      const names = edited.map((stage) => LAYER_TITLES[stage].toLowerCase()).join(' and ');
      const choice = await vscode.window.showWarningMessage(
        `You edited the ${names} by hand. Regenerate anyway?`,
        { modal: true, detail: 'Your text is kept as an earlier version you can switch back to with "Switch Version".' },
        'Regenerate',
      );
      if (choice !== 'Regenerate') return undefined;
      overwriteEdited = true;
    }
    if (edited.length > 0 && !overwriteEdited) return undefined;
    this.reveal(hierarchy.id);
    return this.runs.start(hierarchy.id, {
      stages,
      ...(overwriteEdited ? { overwriteEdited: true } : {}),
      ...(options.guidance ? { guidance: options.guidance } : {}),
    });
  }
}
