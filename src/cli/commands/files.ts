// Reading the input files of export, review, score and workbook, with one-sentence errors.
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { Hierarchy } from '../../core/hierarchy.ts';
import { isImportError, readHierarchyFile, type HierarchyFileShape } from '../../core/import.ts';
import { CliError, USAGE_EXIT, type CliIo } from '../io.ts';

/** The text of a file given by a flag; a missing or unreadable file is a usage error. */
export async function readInputText(io: CliIo, path: string, flag: string): Promise<string> {
  try {
    return await readFile(resolve(io.cwd, path), 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const reason = code === 'ENOENT' ? 'it does not exist' : code === 'EISDIR' ? 'it is a folder' : error instanceof Error ? error.message : String(error);
    throw new CliError(`Could not read ${path} (${reason}); check the ${flag} path.`, USAGE_EXIT);
  }
}

/** The hierarchies of a JSON or JSONL file (validated), and how the file held them. */
export async function readHierarchies(io: CliIo, path: string, flag = '--in'): Promise<{ hierarchies: Hierarchy[]; shape: HierarchyFileShape }> {
  const text = await readInputText(io, path, flag);
  try {
    return readHierarchyFile(text, basename(path));
  } catch (error) {
    if (isImportError(error)) throw new CliError(error.message);
    throw error;
  }
}

/** Requires a flag's value; the message names the flag and what it is for. */
export function required(value: string | undefined, flag: string, what: string): string {
  if (value === undefined || value.trim() === '') throw new CliError(`Pass ${flag} ${what}.`, USAGE_EXIT);
  return value;
}
