// The ground every feature stands on: the suite really runs inside VS Code, the extension loads and
// activates, and everything package.json promises (commands, the view container, the view) exists
// in the running workbench. Holds on desktop VS Code and in code-server alike.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, getApi, getExtension, waitFor, workspaceFolder } from './helpers.ts';

interface ContributedCommand {
  command: string;
  title: string;
}
interface PackageJson {
  name: string;
  publisher: string;
  engines: { vscode: string };
  contributes: {
    commands: ContributedCommand[];
    viewsContainers: { activitybar: { id: string; title: string }[] };
    views: Record<string, { id: string; name: string }[]>;
  };
}

const VIEW_CONTAINER_ID = 'insightProof';
const VIEW_ID = 'insightProof.hierarchies';

function packageJson(): PackageJson {
  return getExtension().packageJSON as PackageJson;
}

/** `[major, minor, patch]` of a version or of the lowest version a `^1.2.3`-style range allows. */
function versionTriple(version: string): number[] {
  const match = /(\d+)\.(\d+)\.(\d+)/.exec(version);
  assert.ok(match, `"${version}" is not a version`);
  return match.slice(1, 4).map(Number);
}

function compareVersions(left: number[], right: number[]): number {
  for (let index = 0; index < 3; index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

describe('Foundation: Insight Proof inside a real VS Code', () => {
  it('runs in a VS Code that satisfies engines.vscode', () => {
    console.log(`    vscode.version = ${vscode.version}; vscode.env.appName = ${vscode.env.appName}; uiKind = ${vscode.UIKind[vscode.env.uiKind]}; remoteName = ${vscode.env.remoteName ?? '(local)'}`);
    const engines = packageJson().engines.vscode;
    assert.ok(
      compareVersions(versionTriple(vscode.version), versionTriple(engines)) >= 0,
      `VS Code ${vscode.version} is older than engines.vscode ${engines}`,
    );
  });

  it('opens the fixture workspace as a writable folder', async () => {
    const folder = workspaceFolder();
    const notes = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder.uri, 'notes.md'));
    assert.equal(notes.languageId, 'markdown');
    assert.match(notes.getText(), /\*\*Theorem\.\*\*/);

    const scratch = vscode.Uri.joinPath(folder.uri, 'scratch', 'written-by-a-test.md');
    await vscode.workspace.fs.writeFile(scratch, new TextEncoder().encode('**Problem.** Show that $1 = 1$.\n'));
    const readBack = new TextDecoder().decode(await vscode.workspace.fs.readFile(scratch));
    assert.equal(readBack, '**Problem.** Show that $1 = 1$.\n');
    await vscode.workspace.fs.delete(vscode.Uri.joinPath(folder.uri, 'scratch'), { recursive: true });
  });

  it('is installed under its published id and activates with API version 1', async () => {
    const extension = getExtension();
    assert.equal(extension.id, EXTENSION_ID);
    assert.equal(`${packageJson().publisher}.${packageJson().name}`, EXTENSION_ID);
    const api = await getApi();
    assert.equal(extension.isActive, true);
    assert.equal(api.apiVersion, 1);
  });

  it('registers every command package.json contributes', async () => {
    await getApi();
    const contributed = packageJson().contributes.commands.map(({ command }) => command);
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((command) => !registered.has(command));
    assert.deepEqual(missing, [], `commands contributed but not registered: ${missing.join(', ')}`);
  });

  it('contributes the Proof Hierarchy view in its own activity-bar container', () => {
    const { viewsContainers, views } = packageJson().contributes;
    const container = viewsContainers.activitybar.find(({ id }) => id === VIEW_CONTAINER_ID);
    assert.ok(container, `no activity-bar container "${VIEW_CONTAINER_ID}" in package.json`);
    assert.equal(container.title, 'Insight Proof');
    const view = views[VIEW_CONTAINER_ID]?.find(({ id }) => id === VIEW_ID);
    assert.ok(view, `no view "${VIEW_ID}" in the "${VIEW_CONTAINER_ID}" container`);
    assert.equal(view.name, 'Proof Hierarchy');
  });

  it('shows the view container and focuses the Proof Hierarchy view', async () => {
    await getApi();
    // Both commands exist only when the workbench registered the contributed container and view.
    const registered = await waitFor(
      async () => {
        const commands = new Set(await vscode.commands.getCommands(true));
        return commands.has(`workbench.view.extension.${VIEW_CONTAINER_ID}`) && commands.has(`${VIEW_ID}.focus`);
      },
      { message: 'the view container and view commands to be registered' },
    );
    assert.equal(registered, true);
    await vscode.commands.executeCommand(`workbench.view.extension.${VIEW_CONTAINER_ID}`);
    await vscode.commands.executeCommand(`${VIEW_ID}.focus`);
  });

  it('answers the view with no hierarchies when none exist', async () => {
    const api = await getApi();
    assert.deepEqual(api.getHierarchies(), []);
    const roots = await api.tree.getChildren(undefined);
    assert.deepEqual(roots, []);
  });

  it('shows its log without error', async () => {
    await getApi();
    await vscode.commands.executeCommand('insightProof.showLog');
  });
});
