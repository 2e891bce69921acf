// Everything src/vscode needs from src/core at run time, behind one lazy import (see core.ts). In the
// package this import resolves to the shared bundle dist/core.js (scripts/bundles.mjs), which exports
// the whole core; this list is what the extension may use of it.
export { createHierarchy } from '../core/hierarchy.ts';
export { acceptLayer, editLayer, layerMarkdown, selectAlternative } from '../core/layers.ts';
export { parseHierarchy } from '../core/schema.ts';
export { createModelClient } from '../core/client.ts';
export { normalizeBaseUrl } from '../core/endpoint.ts';
export { modelForStage, planRun, runPipeline } from '../core/pipeline.ts';
export { detectTheorems, splitLines } from '../core/markdown.ts';
export { findProofBlocks, hierarchiesFromDocument, planInsert } from '../core/insertBlock.ts';
export { EXPORT_FORMAT_INFO, EXPORT_FORMATS, ExportError, exportHierarchies, isExportFormat, suggestedFileName } from '../core/export/index.ts';
export { isImportError, problemsToWorkbook, readHierarchyFile } from '../core/import.ts';
export { isReviewStale, judgeModelFor, ReviewInputError, ReviewParseError, RUBRIC_WEIGHTS, runReview } from '../core/review.ts';
