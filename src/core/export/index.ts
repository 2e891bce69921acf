// Exporting proof hierarchies: one pure function per format (text in, text out), shared by the
// CLI's `export` command and the VS Code commands. Writing files is exportFile.ts (Node only).
//
//   md     readable markdown: problem, core techniques, sketch, proof, review
//   json   the hierarchy format (one object, or an array for several)
//   jsonl  one hierarchy per line plus a provenance summary (a dataset)
//   sft    chat-format training pairs of the deepinsight preset, one per stage per line
//   tex    a LaTeX document (amsthm) that compiles with pdflatex
import type { Hierarchy } from '../hierarchy.ts';
import { hierarchiesToJson, hierarchiesToJsonl } from './json.ts';
import { hierarchiesToMarkdown } from './markdown.ts';
import { recordName } from './common.ts';
import { hierarchiesToSft, type SftOptions } from './sft.ts';
import { hierarchiesToTex } from './tex.ts';

export const EXPORT_FORMATS = ['md', 'json', 'jsonl', 'sft', 'tex'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** How to offer each format (a quick pick, --help) and the file extension it is written with. */
export const EXPORT_FORMAT_INFO: Readonly<Record<ExportFormat, { label: string; description: string; extension: string }>> = {
  md: { label: 'Markdown', description: 'Readable document: problem, core techniques, sketch, proof, review', extension: '.md' },
  json: { label: 'JSON', description: 'The hierarchy format (an array for several hierarchies)', extension: '.json' },
  jsonl: { label: 'JSONL dataset', description: 'One hierarchy per line, with provenance', extension: '.jsonl' },
  sft: { label: 'SFT training pairs', description: 'Chat-format {"messages": [...]} lines, one per stage', extension: '.sft.jsonl' },
  tex: { label: 'LaTeX', description: 'An amsthm document that compiles with pdflatex', extension: '.tex' },
};

export function isExportFormat(value: string): value is ExportFormat {
  return (EXPORT_FORMATS as readonly string[]).includes(value);
}

export interface ExportOptions {
  /** sft only: add a metadata object (hierarchy id, stage, model, edited) to each line; default true. */
  sftMetadata?: boolean;
}

export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

/** The hierarchies in a format, as the text of one file. */
export function exportHierarchies(hierarchies: readonly Hierarchy[], format: ExportFormat, options: ExportOptions = {}): string {
  if (hierarchies.length === 0) throw new ExportError('There are no proof hierarchies to export; prove a theorem first or choose a file that has some.');
  switch (format) {
    case 'md':
      return hierarchiesToMarkdown(hierarchies);
    case 'json':
      return hierarchiesToJson(hierarchies);
    case 'jsonl':
      return hierarchiesToJsonl(hierarchies);
    case 'sft': {
      const sftOptions: SftOptions = options.sftMetadata === false ? { metadata: false } : {};
      return hierarchiesToSft(hierarchies, sftOptions);
    }
    case 'tex':
      return hierarchiesToTex(hierarchies);
  }
}

const MAX_STEM = 60;
/** Names Windows reserves for devices, whatever the extension. */
const RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)$/;

/** Lower-case ASCII words joined by dashes: no separators, dots, control or odd characters. */
function slug(text: string): string {
  const words = text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (words.length <= MAX_STEM) return words;
  const cut = words.slice(0, MAX_STEM);
  const lastDash = cut.lastIndexOf('-');
  return (lastDash > MAX_STEM / 2 ? cut.slice(0, lastDash) : cut).replace(/-+$/, '');
}

/** The first words of a statement, without TeX (math and commands make poor file names). */
function statementWords(problem: string): string {
  const prose = problem
    .replace(/^\s*(?:\*\*|__)[^*_\n]{0,60}(?:\*\*|__)/, '')
    .replace(/\$\$[\s\S]*?\$\$|\$[^$]*\$|\\\[[\s\S]*?\\\]|\\\([\s\S]*?\\\)/g, ' ')
    .replace(/\\[A-Za-z]+/g, ' ');
  return prose.split(/\s+/).filter((word) => /[A-Za-z0-9]/.test(word)).slice(0, 8).join(' ');
}

/**
 * A file name for exporting one or several hierarchies: from the problem record's name, else the
 * statement's first words, else the id; several hierarchies get a collective name. Only [a-z0-9-]
 * and the format's extension, at most 60 characters before it, never empty or a reserved name.
 */
export function suggestedFileName(target: Hierarchy | readonly Hierarchy[], format: ExportFormat): string {
  const list: readonly Hierarchy[] = Array.isArray(target) ? target : [target as Hierarchy];
  let stem: string;
  if (list.length === 1) {
    const hierarchy = list[0]!;
    stem = slug(recordName(hierarchy.input) ?? '') || slug(statementWords(hierarchy.problem)) || slug(hierarchy.id);
  } else {
    stem = `proof-hierarchies${list.length > 1 ? `-${list.length}` : ''}`;
  }
  if (!stem) stem = 'proof';
  if (RESERVED.test(stem)) stem = `${stem}-proof`;
  return `${stem}${EXPORT_FORMAT_INFO[format].extension}`;
}

export { hierarchiesToJson, hierarchiesToJsonl, provenanceOf, PROVENANCE_KEY, type Provenance } from './json.ts';
export { hierarchiesToMarkdown, hierarchyToMarkdown } from './markdown.ts';
export { hierarchiesToSft, sftAnswer, sftPairs, type SftOptions, type SftPair } from './sft.ts';
export { hierarchiesToTex } from './tex.ts';
