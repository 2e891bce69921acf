// Every module of the core, in one entry: the shared bundle dist/core.js, which the extension loads
// on first use and the command line at start (see scripts/bundles.mjs). A test checks that nothing
// a module exports is missing here.
export * from './batch.ts';
export * from './client.ts';
export * from './endpoint.ts';
export * from './errors.ts';
export * from './export/index.ts';
export * from './export/common.ts';
export * from './exportFile.ts';
export * from './hierarchy.ts';
export * from './import.ts';
export * from './insertBlock.ts';
export * from './layers.ts';
export * from './localServers.ts';
export * from './markdown.ts';
export * from './parse.ts';
export * from './pipeline.ts';
export * from './prompts.ts';
export * from './reasoning.ts';
export * from './review.ts';
export * from './schema.ts';
export * from './score.ts';
