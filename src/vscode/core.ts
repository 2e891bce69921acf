// The core (markdown-it, zod, the pipeline, the model client and through it the `openai` SDK) is
// loaded on first use, never at activation: everything in src/vscode imports only types from
// src/core statically and reaches the code through `loadCore()`. esbuild keeps the dynamic import
// in the same bundle but wraps the modules behind it in lazy initialisers, so none of them is
// evaluated until the first command, CodeLens or restore needs it.
import type * as CoreModules from './coreModules.ts';

export type Core = typeof CoreModules;
export type LoadCore = () => Promise<Core>;

let loading: Promise<Core> | undefined;
let loaded: Core | undefined;

export const loadCore: LoadCore = () =>
  (loading ??= import('./coreModules.ts').then((core) => {
    loaded = core;
    return core;
  }));

/**
 * The core if something has loaded it already, else undefined (and nothing is loaded). For code
 * that must answer synchronously, such as a tree row: data that needs the core to be shown (a
 * review, say) only exists once the core has been loaded to make or read it.
 */
export function loadedCore(): Core | undefined {
  return loaded;
}
