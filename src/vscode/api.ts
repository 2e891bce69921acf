import type * as vscode from 'vscode';
import type { Hierarchy } from '../core/hierarchy.ts';
import type { TreeNode } from './hierarchyTree.ts';

/** What `activate()` returns: `vscode.extensions.getExtension('insight-proof.insight-proof').exports`. */
export interface InsightProofApi {
  /** Version of this API object; bumped on incompatible changes. */
  readonly apiVersion: 1;
  /** JSON snapshots of every hierarchy, in the DESIGN.md shape (deep copies). */
  getHierarchies(): Hierarchy[];
  /** The Proof Hierarchy view's data, as the view itself reads it. */
  readonly tree: vscode.TreeDataProvider<TreeNode>;
  /**
   * Resolves once the saved state is loaded, no restore from a document is pending, no generation
   * is running, and the view has been told about the latest changes. Tests await it instead of
   * sleeping; other extensions can await it before reading `getHierarchies()`.
   */
  whenIdle(): Promise<void>;
  /** Writes the saved state (hierarchies, drafts, alternatives, partial output) to disk now. */
  flushState(): Promise<void>;
  /** The JSON file the state is saved in (`{ format: "insight-proof.state/v1", hierarchies: [...] }`), in this workspace's extension storage. */
  readonly stateFile: vscode.Uri;
  /** The folder of this extension's log files; the "Insight Proof" output channel is written there. */
  readonly logUri: vscode.Uri;
}
