import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import * as core from '../../src/core/index.ts';

const REPO = join(import.meta.dirname, '..', '..');

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? typeScriptFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** The core modules that a bundle resolves to the shared dist/core.js (scripts/bundles.mjs). */
function coreModulesReachedThroughTheSharedBundle(): string[] {
  const importers = [...typeScriptFiles(join(REPO, 'src', 'cli')), join(REPO, 'src', 'vscode', 'coreModules.ts')];
  const modules = new Set<string>();
  for (const file of importers) {
    for (const match of readFileSync(file, 'utf8').matchAll(/^(?:import|export) (?!type\b)[^;]*? from '((?:\.\.\/)+core\/[^']+)'/gm)) {
      modules.add(resolve(dirname(file), match[1]!));
    }
  }
  return [...modules].sort();
}

// The command line and the extension reach the core only through the shared bundle built from
// src/core/index.ts: a value they import from a core module but missing there would be undefined
// at run time.
test('the shared core entry exports every value the command line and the extension import from the core', async () => {
  const modules = coreModulesReachedThroughTheSharedBundle();
  assert.ok(modules.length >= 10, `only ${modules.length} core modules found`);
  const missing: string[] = [];
  for (const file of modules) {
    const module = (await import(file)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(module)) {
      if ((core as Record<string, unknown>)[name] !== value) missing.push(`${relative(REPO, file)}: ${name}`);
    }
  }
  assert.deepEqual(missing, []);
});
