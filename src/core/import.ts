// Reading files back in: hierarchies (JSON object, JSON array, or JSONL — what the exports and
// `batch` write) and problem sets (JSONL problem records → a markdown workbook to prove in).
//
// Hierarchies are validated with the zod schema (schema.ts parseHierarchy), the source of the
// shipped media/hierarchy.schema.json. Errors name the line (JSONL) or item (array). A JSONL file
// may hold several lines for one hierarchy id (a batch run that was resumed writes the newer
// state again); the last line wins, as in batch.ts. The `provenance` summary the jsonl export adds
// is derived data and is dropped.
//
// Problem records are read by batch.ts (readProblems: DeepTheorem's problem_name / prompt / answer
// or {id, problem}), the same reader the `batch` command uses.
import { latestHierarchies, parseJsonl, readProblems, type LineProblem } from './batch.ts';
import type { Hierarchy } from './hierarchy.ts';
import { HierarchyFormatError, parseHierarchy } from './schema.ts';
import { PROVENANCE_KEY } from './export/json.ts';
import { recordName } from './export/common.ts';

export class ImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportError';
  }
}

function withoutProvenance(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !(PROVENANCE_KEY in value)) return value;
  const { [PROVENANCE_KEY]: _derived, ...rest } = value as Record<string, unknown>;
  return rest;
}

function validate(value: unknown, where: string): Hierarchy {
  return parseHierarchy(withoutProvenance(value), where);
}

/** How the file held its hierarchies: one JSON object, a JSON array, or JSON lines. */
export type HierarchyFileShape = 'object' | 'array' | 'jsonl';

/**
 * The hierarchies in a file's text: a JSON object, a JSON array of objects, or JSONL. Throws
 * ImportError / HierarchyFormatError with one sentence naming the line or item at fault.
 */
export function importHierarchies(text: string, sourceName: string): Hierarchy[] {
  return readHierarchyFile(text, sourceName).hierarchies;
}

/** importHierarchies, also telling how the file was shaped (to write results back the same way). */
export function readHierarchyFile(text: string, sourceName: string): { hierarchies: Hierarchy[]; shape: HierarchyFileShape } {
  const content = text.replace(/^\ufeff/, '');
  if (!content.trim()) throw new ImportError(`${sourceName} is empty; choose a hierarchy JSON or JSONL file exported by Insight Proof.`);
  let whole: unknown;
  let wholeError: unknown;
  try {
    whole = JSON.parse(content);
  } catch (error) {
    wholeError = error;
  }
  if (wholeError === undefined) {
    if (Array.isArray(whole)) {
      if (whole.length === 0) throw new ImportError(`${sourceName} holds an empty list; it has no hierarchies to import.`);
      return { hierarchies: latestHierarchies(whole.map((item, index) => validate(item, `item ${index + 1} of ${sourceName}`))), shape: 'array' };
    }
    return { hierarchies: [validate(whole, `file ${sourceName}`)], shape: 'object' };
  }
  const { lines, problems } = parseJsonl(content);
  const firstProblem = problems[0];
  if (lines.length === 0 || (firstProblem && lines.length + problems.length === 1)) {
    // One value that is not valid JSON: the JSON parser's message says where.
    const detail = wholeError instanceof Error ? wholeError.message : String(wholeError);
    throw new ImportError(`${sourceName} is not valid JSON or JSONL (${detail}); export it again or fix the file.`);
  }
  if (firstProblem) {
    throw new ImportError(`Line ${firstProblem.line} of ${sourceName} is ${firstProblem.message}; each line of a JSONL file must be one hierarchy object.`);
  }
  return { hierarchies: latestHierarchies(lines.map(({ line, value }) => validate(value, `record on line ${line} of ${sourceName}`))), shape: 'jsonl' };
}

/** True when the error is one of the import's own, user-facing failures. */
export function isImportError(error: unknown): error is ImportError | HierarchyFormatError {
  return error instanceof ImportError || error instanceof HierarchyFormatError;
}

export interface WorkbookOptions {
  /** Heading of the document; default "Problems". */
  title?: string;
  /** Where the problems come from, mentioned under the title (e.g. the file name). */
  sourceName?: string;
}

export interface Workbook {
  markdown: string;
  /** How many problems the workbook holds. */
  count: number;
  /** Lines that were skipped, with why (not JSON, no problem text). */
  skipped: LineProblem[];
}

/** Keeps a name on one heading line and free of markdown that would change the heading. */
function headingText(name: string): string {
  return name.replace(/\s+/g, ' ').replace(/[#*_`[\]<>\\]/g, (char) => `\\${char}`).trim();
}

/**
 * A JSONL problem set (its text, or the records themselves) as a markdown workbook: per problem a heading (the record's name) and a
 * `**Problem.**` block with the statement exactly as written (TeX intact), ready for Prove Theorem.
 * DeepTheorem's `answer` is not part of the statement; it is kept in an HTML comment after the
 * problem (invisible in the preview, out of the prompt) so a reader can check a verdict later.
 */
export async function problemsToWorkbook(source: string | readonly unknown[], options: WorkbookOptions = {}): Promise<Workbook> {
  // Records given as values are read like the lines of a file (record n is "line" n).
  const text = typeof source === 'string' ? source.replace(/^\ufeff/, '') : source.map((record) => JSON.stringify(record) ?? 'null').join('\n');
  const { problems, problemLines } = await readProblems(text);
  const lines: string[] = [`# ${headingText(options.title ?? 'Problems')}`, ''];
  if (options.sourceName) lines.push(`${problems.length} problem${problems.length === 1 ? '' : 's'} from \`${options.sourceName.replaceAll('`', "'")}\`.`, '');
  problems.forEach((problem, index) => {
    const name = recordName(problem.input);
    lines.push(`## ${headingText(name ?? `Problem ${index + 1}`)}`, '');
    // The statement's own line breaks are kept; a leading label would be doubled, so it is not added twice.
    const statement = problem.problem.trim();
    lines.push(/^\*\*(problem|theorem|lemma|claim|proposition)\b/i.test(statement) ? statement : `**Problem.** ${statement}`, '');
    const answer = (problem.input as Record<string, unknown>).answer;
    if (typeof answer === 'boolean') lines.push(`<!-- answer: ${answer} -->`, '');
  });
  return { markdown: `${lines.join('\n').trimEnd()}\n`, count: problems.length, skipped: problemLines };
}
