// CodeLenses above every detected theorem: "Prove", and for a theorem that has a hierarchy its
// status and "Show". Theorems are parsed once per document version (TheoremIndex); the hierarchies
// of a document are looked up once per call, so a file with thousands of theorems stays cheap.
import * as vscode from 'vscode';
import type { Hierarchy } from '../core/hierarchy.ts';
import type { HierarchyStore } from './hierarchyStore.ts';
import { LAYER_STAGES } from '../core/hierarchy.ts';
import { newestFirst, normalizeStatement, type TheoremIndex } from './theoremIndex.ts';
import { Throttle } from './throttle.ts';

/** What the Prove lens passes to insightProof.prove: a document and a line in its theorem. */
export interface ProveArgs {
  uri: string;
  line: number;
}

const SHORT_NAMES = { techniques: 'techniques', sketch: 'sketch', proof: 'proof' } as const;

/** "techniques ✓ · sketch draft · proof empty" */
export function statusSummary(hierarchy: Hierarchy): string {
  return LAYER_STAGES.map((stage) => {
    const status = hierarchy.layers[stage].status;
    return `${SHORT_NAMES[stage]} ${status === 'accepted' ? '✓' : status === 'generating' ? '…' : status}`;
  }).join(' · ');
}

export class ProofCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly store: HierarchyStore;
  private readonly index: TheoremIndex;
  private readonly isRunning: (hierarchyId: string) => boolean;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly throttle: Throttle;
  private readonly subscriptions: vscode.Disposable[];

  constructor(store: HierarchyStore, index: TheoremIndex, isRunning: (hierarchyId: string) => boolean, onRunsChanged: vscode.Event<unknown>) {
    this.store = store;
    this.index = index;
    this.isRunning = isRunning;
    this.throttle = new Throttle(() => this.changed.fire(), 500);
    this.subscriptions = [store.onDidChange(() => this.throttle.schedule()), onRunsChanged(() => this.throttle.schedule())];
  }

  async provideCodeLenses(document: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const theorems = await this.index.theorems(document);
    if (theorems.length === 0) return [];
    const uri = document.uri.toString();
    const byStatement = new Map<string, Hierarchy>();
    // Oldest first, so the newest hierarchy of a statement ends up in the map.
    for (const hierarchy of newestFirst(this.store.all().filter((candidate) => candidate.source?.uri === uri)).reverse()) {
      byStatement.set(normalizeStatement(hierarchy.problem), hierarchy);
    }
    const lenses: vscode.CodeLens[] = [];
    for (const theorem of theorems) {
      const range = new vscode.Range(theorem.startLine, 0, theorem.startLine, 0);
      const hierarchy = byStatement.get(normalizeStatement(theorem.statement));
      const args: ProveArgs = { uri, line: theorem.startLine };
      const running = hierarchy !== undefined && this.isRunning(hierarchy.id);
      if (!running) {
        lenses.push(
          new vscode.CodeLens(range, {
            title: '$(sparkle) Prove',
            command: 'insightProof.prove',
            arguments: [args],
            tooltip: hierarchy ? 'Generate the missing layers of this proof (or prove it again)' : `Prove this ${theorem.kind} in layers: core techniques, sketch, proof`,
          }),
        );
      }
      if (!hierarchy) continue;
      const ref = { hierarchyId: hierarchy.id };
      lenses.push(new vscode.CodeLens(range, { title: running ? `$(loading~spin) ${statusSummary(hierarchy)}` : statusSummary(hierarchy), command: '' }));
      if (running) lenses.push(new vscode.CodeLens(range, { title: 'Cancel', command: 'insightProof.cancel', arguments: [ref] }));
      lenses.push(new vscode.CodeLens(range, { title: 'Show', command: 'insightProof.revealHierarchy', arguments: [ref], tooltip: 'Show this proof in the Proof Hierarchy view' }));
    }
    return lenses;
  }

  dispose(): void {
    this.throttle.dispose();
    for (const subscription of this.subscriptions) subscription.dispose();
    this.changed.dispose();
  }
}
