// Every command of the extension is registered here, in one place (the vscode-pull-request-github
// pattern); the handlers stay short and call into the feature modules. Commands invoked from a tree
// item or a CodeLens get its HierarchyRef as first argument; from the palette they get nothing and
// act on the hierarchy at the cursor, the selected item or the most recent one (targets.ts).
import * as vscode from 'vscode';
import type { Hierarchy, LayerStage } from '../core/hierarchy.ts';
import type { LoadCore } from './core.ts';
import { asExportOptions, asImportOptions, type ExportImport } from './exportImport.ts';
import type { HierarchyStore } from './hierarchyStore.ts';
import { asInsertOptions, hasAcceptedLayer, insertIntoDocument } from './insert.ts';
import { layerUri, openLayerDocument, previewMarkdown } from './layerDocuments.ts';
import type { DisposableStore } from './lifecycle.ts';
import { API_KEY_SECRET, type ModelService } from './modelService.ts';
import type { ProofRuns } from './proofRuns.ts';
import { asRegenerateOptions, type ProveFlow } from './prove.ts';
import type { ReviewFlow } from './reviewFlow.ts';
import { LAYER_STAGES } from '../core/hierarchy.ts';
import { LAYER_TITLES } from './stages.ts';
import { asHierarchyRef, NO_HIERARCHY_MESSAGE, type Targets } from './targets.ts';

export { API_KEY_SECRET } from './modelService.ts';

export interface CommandServices {
  readonly secrets: vscode.SecretStorage;
  readonly log: vscode.LogOutputChannel;
  readonly store: HierarchyStore;
  readonly runs: ProofRuns;
  readonly models: ModelService;
  readonly targets: Targets;
  readonly prove: ProveFlow;
  readonly reviews: ReviewFlow;
  readonly exportImport: ExportImport;
  readonly loadCore: LoadCore;
  /** Shows a hierarchy in the Proof Hierarchy view. */
  readonly reveal: (hierarchyId: string) => void;
}

/** Ids of every command, as package.json contributes them. */
export const COMMAND_IDS = [
  'insightProof.prove',
  'insightProof.generateNextLayer',
  'insightProof.regenerateLayer',
  'insightProof.regenerateBelow',
  'insightProof.editLayer',
  'insightProof.acceptLayer',
  'insightProof.acceptAll',
  'insightProof.selectAlternative',
  'insightProof.copyLayer',
  'insightProof.insertIntoDocument',
  'insightProof.preview',
  'insightProof.cancel',
  'insightProof.deleteHierarchy',
  'insightProof.revealHierarchy',
  'insightProof.review',
  'insightProof.export',
  'insightProof.exportAll',
  'insightProof.importProblems',
  'insightProof.importHierarchies',
  'insightProof.setApiKey',
  'insightProof.selectModel',
  'insightProof.testConnection',
  'insightProof.findLocalServer',
  'insightProof.showLog',
] as const;
export type CommandId = (typeof COMMAND_IDS)[number];

const statusIs =
  (...statuses: string[]) =>
  (hierarchy: Hierarchy, stage: LayerStage) =>
    statuses.includes(hierarchy.layers[stage].status);

function message(text: string): void {
  void vscode.window.showInformationMessage(`Insight Proof: ${text}`);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function registerCommands(disposables: DisposableStore, services: CommandServices): void {
  const { store, runs, models, targets, prove, reviews, exportImport, loadCore, log } = services;
  const handlers: Record<CommandId, (...args: unknown[]) => unknown> = {
    'insightProof.prove': (arg) => prove.prove(arg),

    'insightProof.generateNextLayer': async (arg) => {
      const hierarchy = await targets.hierarchy(arg);
      if (hierarchy && !prove.refuseWhileRunning(hierarchy)) return prove.generateNext(hierarchy);
    },

    'insightProof.regenerateLayer': async (arg, options) => {
      const target = await targets.layer(arg, {
        title: 'Regenerate which layer?',
        applies: (hierarchy, stage) => hierarchy.layers[stage].status !== 'empty' || stage === 'techniques',
        none: 'there is no layer to regenerate yet; run Prove Theorem first.',
      });
      if (target) return prove.regenerate(target, asRegenerateOptions(options));
    },

    'insightProof.regenerateBelow': async (arg, options) => {
      const target = await targets.layer(arg, {
        title: 'Regenerate the layers below which layer?',
        applies: (_hierarchy, stage) => stage !== 'proof',
        none: 'there is nothing below the proof to regenerate.',
      });
      if (target && !prove.refuseWhileRunning(target.hierarchy)) return prove.regenerateBelow(target, asRegenerateOptions(options));
    },

    'insightProof.editLayer': async (arg) => {
      const target = await targets.layer(arg, { title: 'Open which layer?', none: 'there is no layer to open.' });
      if (target) return openLayerDocument(target.hierarchy.id, target.stage);
    },

    'insightProof.acceptLayer': async (arg) => {
      const target = await targets.layer(arg, {
        title: 'Accept which layer?',
        applies: statusIs('draft', 'stale'),
        none: 'there is no draft to accept; generate a layer first.',
      });
      if (!target || prove.refuseWhileRunning(target.hierarchy)) return;
      const core = await loadCore();
      try {
        store.put(core.acceptLayer(target.hierarchy, target.stage));
      } catch (error) {
        message(describe(error));
      }
    },

    'insightProof.acceptAll': async (arg) => {
      const hierarchy = await targets.hierarchy(arg);
      if (!hierarchy || prove.refuseWhileRunning(hierarchy)) return;
      const drafts = LAYER_STAGES.filter((stage) => hierarchy.layers[stage].status === 'draft');
      const stale = LAYER_STAGES.filter((stage) => hierarchy.layers[stage].status === 'stale');
      if (drafts.length === 0) {
        message(stale.length > 0 ? 'only stale layers are left; regenerate them, or accept each one after checking it.' : 'there is no draft to accept.');
        return;
      }
      const core = await loadCore();
      store.put(drafts.reduce((current, stage) => core.acceptLayer(current, stage), hierarchy));
      if (stale.length > 0) {
        message(`the ${stale.map((stage) => LAYER_TITLES[stage].toLowerCase()).join(' and ')} ${stale.length > 1 ? 'are' : 'is'} stale and stayed unaccepted; regenerate or check ${stale.length > 1 ? 'them' : 'it'} first.`);
      }
    },

    'insightProof.selectAlternative': async (arg, options) => {
      const target = await targets.layer(arg, {
        title: 'Switch which layer to another version?',
        applies: (hierarchy, stage) => (hierarchy.layers[stage].alternatives?.length ?? 0) > 0,
        none: 'no layer has earlier versions yet; regenerating a layer keeps the one it replaces.',
      });
      if (!target || prove.refuseWhileRunning(target.hierarchy)) return;
      const alternatives = target.hierarchy.layers[target.stage].alternatives ?? [];
      let index = typeof options === 'object' && options !== null && typeof (options as { index?: unknown }).index === 'number' ? (options as { index: number }).index : undefined;
      if (index === undefined) {
        const items = alternatives
          .map((alternative, position) => ({
            label: firstLineOf(alternative.raw) || '(empty)',
            description: [alternative.model, alternative.edited ? 'edited by you' : '', new Date(alternative.createdAt).toLocaleString()].filter(Boolean).join(' · '),
            detail: alternative.raw.replace(/\s+/g, ' ').slice(0, 200),
            position,
          }))
          .reverse();
        const picked = await vscode.window.showQuickPick(items, {
          title: `Switch ${LAYER_TITLES[target.stage]} to an earlier version`,
          placeHolder: 'The current version is kept and can be switched back to',
          matchOnDetail: true,
        });
        if (!picked) return;
        index = picked.position;
      }
      const core = await loadCore();
      try {
        store.put(core.selectAlternative(target.hierarchy, target.stage, index));
      } catch (error) {
        message(describe(error));
      }
    },

    'insightProof.copyLayer': async (arg) => {
      const ref = asHierarchyRef(arg);
      const core = await loadCore();
      let text: string | undefined;
      let what: string;
      if (ref && !ref.stage) {
        const hierarchy = store.get(ref.hierarchyId);
        if (!hierarchy) return;
        text = previewMarkdown(hierarchy, core.layerMarkdown);
        what = 'the proof hierarchy';
      } else {
        const target = await targets.layer(arg, { title: 'Copy which layer?', applies: (hierarchy, stage) => hierarchy.layers[stage].status !== 'empty', none: 'there is no layer to copy yet.' });
        if (!target) return;
        const { hierarchy, stage, index } = target;
        if (index !== undefined && stage === 'techniques') {
          const item = hierarchy.layers.techniques.items[index];
          text = item && `**${item.name}**: ${item.detail}`;
          what = 'the technique';
        } else if (index !== undefined && stage === 'sketch') {
          text = hierarchy.layers.sketch.steps[index]?.text;
          what = 'the step';
        } else {
          text = hierarchy.layers[stage].status === 'generating' ? hierarchy.layers[stage].raw : core.layerMarkdown(hierarchy, stage);
          what = `the ${LAYER_TITLES[stage].toLowerCase()}`;
        }
      }
      if (!text) return;
      await vscode.env.clipboard.writeText(text);
      vscode.window.setStatusBarMessage(`Insight Proof: copied ${what}`, 3000);
    },

    // Second argument (tests, other extensions): { beforeApply(document) }, called after the edit
    // is planned on the document's text and before it is applied (see insert.ts).
    'insightProof.insertIntoDocument': async (arg, options) => {
      let hierarchy = await targets.hierarchy(arg);
      if (!hierarchy || prove.refuseWhileRunning(hierarchy)) return;
      const current = hierarchy;
      if (!hasAcceptedLayer(current)) {
        const drafts = LAYER_STAGES.filter((stage) => current.layers[stage].status === 'draft');
        if (drafts.length === 0) {
          message('no layer of this proof is accepted yet; accept the layers you want in the document first.');
          return;
        }
        const choice = await vscode.window.showWarningMessage('No layer of this proof is accepted yet; accept the drafts and insert them?', 'Accept All and Insert');
        if (choice !== 'Accept All and Insert') return;
        const core = await loadCore();
        hierarchy = drafts.reduce((result, stage) => core.acceptLayer(result, stage), current);
        store.put(hierarchy);
      }
      const editor = vscode.window.activeTextEditor;
      const fallback = editor?.document.languageId === 'markdown' ? { uri: editor.document.uri, line: editor.selection.active.line } : undefined;
      const result = await insertIntoDocument(hierarchy, loadCore, fallback, asInsertOptions(options));
      if (!result.inserted) {
        void vscode.window.showWarningMessage(`Insight Proof: ${result.reason}`);
        return;
      }
      log.info(`${result.replaced ? 'Replaced' : 'Inserted'} the proof block of ${hierarchy.id} in ${result.uri.toString(true)} at line ${result.startLine + 1}.`);
      const shown = await vscode.window.showTextDocument(result.uri, { preserveFocus: false, preview: false });
      const position = new vscode.Position(result.startLine, 0);
      shown.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      vscode.window.setStatusBarMessage(`Insight Proof: proof ${result.replaced ? 'updated' : 'inserted'} in ${vscode.workspace.asRelativePath(result.uri)}`, 4000);
    },

    'insightProof.preview': async (arg) => {
      const hierarchy = await targets.hierarchy(arg);
      if (hierarchy) await vscode.commands.executeCommand('markdown.showPreview', layerUri(hierarchy.id, 'preview'));
    },

    'insightProof.cancel': async (arg) => {
      const ref = asHierarchyRef(arg);
      if (ref) {
        if (!runs.cancel(ref.hierarchyId)) message('that proof is not being generated.');
        return;
      }
      const running = runs.runningIds;
      if (running.length === 0) return message('nothing is being generated.');
      const atCursor = await targets.atCursor();
      if (running.length === 1 || (atCursor && runs.isRunning(atCursor.id))) {
        runs.cancel(atCursor && runs.isRunning(atCursor.id) ? atCursor.id : running[0]!);
        return;
      }
      const items = [
        { label: 'Cancel all', id: undefined as string | undefined },
        ...running.map((id) => ({ label: firstLineOf(store.get(id)?.problem ?? id), id })),
      ];
      const picked = await vscode.window.showQuickPick(items, { title: 'Cancel which generation?' });
      if (!picked) return;
      if (picked.id) runs.cancel(picked.id);
      else runs.cancelAll();
    },

    'insightProof.deleteHierarchy': async (arg, options) => {
      const hierarchy = await targets.hierarchy(arg);
      if (!hierarchy) return;
      const confirmed = typeof options === 'object' && options !== null && (options as { confirmed?: unknown }).confirmed === true;
      if (!confirmed) {
        const choice = await vscode.window.showWarningMessage(
          `Delete the proof hierarchy of "${firstLineOf(hierarchy.problem)}"?`,
          { modal: true, detail: 'Its layers and earlier versions are removed from this workspace. A proof already inserted into a document stays there, and reopening that document brings the hierarchy back.' },
          'Delete',
        );
        if (choice !== 'Delete') return;
      }
      runs.cancel(hierarchy.id);
      await runs.whenIdle();
      store.delete(hierarchy.id);
    },

    'insightProof.revealHierarchy': (arg) => {
      const ref = asHierarchyRef(arg);
      if (ref) services.reveal(ref.hierarchyId);
    },

    // Reviews the proof with the judge model (insightProof.judgeModel, else the main model).
    // Resolves to 'done', 'failed', 'cancelled' or 'not-started'.
    'insightProof.review': async (arg) => {
      const hierarchy = await targets.hierarchy(arg);
      if (hierarchy) return reviews.review(hierarchy);
    },

    // Second argument { format, uri, confirmed } (tests, other extensions) skips the pickers; see
    // ExportCommandOptions. Resolves to the Uri written, or undefined.
    'insightProof.export': async (arg, options) => {
      const hierarchy = await targets.hierarchy(arg);
      if (!hierarchy || prove.refuseWhileRunning(hierarchy)) return undefined;
      return exportImport.export([hierarchy], asExportOptions(options));
    },

    // Every hierarchy of the workspace into one file; first argument { format, uri, confirmed }.
    'insightProof.exportAll': async (options) => {
      const all = store.all();
      if (all.length === 0) return message(NO_HIERARCHY_MESSAGE);
      if (runs.runningIds.length > 0) {
        const choice = await vscode.window.showWarningMessage(
          'Insight Proof is still generating; export what has arrived so far (the layers being generated are marked incomplete)?',
          'Export Anyway',
        );
        if (choice !== 'Export Anyway') return undefined;
      }
      return exportImport.export(store.all(), asExportOptions(options));
    },

    // First argument: the file (a Uri, as the explorer passes it) or { uri, workbookUri, confirmed,
    // replaceExisting } (ImportCommandOptions). Both import commands read the file by its content.
    'insightProof.importProblems': (options) => exportImport.import('problems', asImportOptions(options)),
    'insightProof.importHierarchies': (options) => exportImport.import('hierarchies', asImportOptions(options)),

    // First argument { key } (tests, set-up scripts) stores that key without asking; '' removes it.
    'insightProof.setApiKey': async (options) => {
      const given = typeof options === 'object' && options !== null && typeof (options as { key?: unknown }).key === 'string' ? (options as { key: string }).key : undefined;
      const key =
        given ??
        (await vscode.window.showInputBox({
          title: 'Insight Proof: API key',
          prompt: 'Kept in VS Code secret storage. Leave empty and press Enter to remove the stored key.',
          password: true,
          ignoreFocusOut: true,
        }));
      if (key === undefined) return;
      if (key.trim() === '') {
        await services.secrets.delete(API_KEY_SECRET);
        message('the stored API key was removed.');
      } else {
        await services.secrets.store(API_KEY_SECRET, key.trim());
        log.info('API key stored in secret storage.');
        message('API key saved in secret storage.');
      }
    },

    'insightProof.selectModel': () => models.selectModel(),
    'insightProof.testConnection': () => models.testConnection(),
    'insightProof.findLocalServer': () => models.findLocalServer(),
    'insightProof.showLog': () => log.show(true),
  };

  for (const id of COMMAND_IDS) {
    const handler = handlers[id];
    disposables.add(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await handler(...args);
        } catch (error) {
          // A bug or an unexpected failure still ends in one sentence, with details in the log.
          log.error(`${id} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
          void vscode.window.showErrorMessage(`Insight Proof: ${describe(error)}`, 'Show Log').then((choice) => {
            if (choice === 'Show Log') log.show(true);
          });
          return undefined;
        }
      }),
    );
  }
}

function firstLineOf(text: string, max = 70): string {
  const line = text.split('\n').find((candidate) => candidate.trim() !== '') ?? '';
  const clean = line.replace(/\*\*|__/g, '').replace(/^#+\s*/, '').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

