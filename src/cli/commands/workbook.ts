// `insight-proof workbook`: a JSONL problem set as a markdown workbook of **Problem.** blocks.
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ExportFileError, writeExportFile } from '../../core/exportFile.ts';
import { problemsToWorkbook } from '../../core/import.ts';
import { CliError, type CliIo } from '../io.ts';
import { readInputText, required } from './files.ts';

export const WORKBOOK_USAGE = [
  'insight-proof workbook --in PROBLEMS.jsonl [--out NOTES.md] [--force] [--title TEXT]',
  '',
  'Turns a JSONL problem set (DeepTheorem records {"problem_name", "prompt", "answer"} or {"id", "problem"})',
  'into a markdown workbook: a heading per problem and a **Problem.** block with the statement as written,',
  'ready for Prove Theorem. A true/false answer is kept out of the statement, in an HTML comment after it.',
  'Lines that are not problems are reported on stderr and skipped.',
  '',
  '  --in FILE       The problem set.',
  '  --out FILE      Write the workbook here (a new file; an existing one only with --force) instead of stdout.',
  '  --force         Replace --out when it exists.',
  '  --title TEXT    The document heading (default "Problems").',
].join('\n');

export async function runWorkbook(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: { in: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean' }, title: { type: 'string' } },
  });
  const input = required(values.in, '--in FILE', '(a JSONL problem set)');
  const text = await readInputText(io, input, '--in');
  const workbook = await problemsToWorkbook(text, { sourceName: basename(input), ...(values.title !== undefined ? { title: values.title } : {}) });
  for (const skipped of workbook.skipped.slice(0, 20)) io.stderr.write(`Skipped line ${skipped.line} of ${input}: ${skipped.message}.\n`);
  if (workbook.skipped.length > 20) io.stderr.write(`Skipped ${workbook.skipped.length - 20} more lines.\n`);
  if (workbook.count === 0) {
    throw new CliError(`${input} has no problems; each line must be a JSON object like {"problem_name": …, "prompt": …, "answer": …} or {"id": …, "problem": …}.`);
  }
  if (values.out === undefined) {
    io.stdout.write(workbook.markdown);
    return 0;
  }
  const out = resolve(io.cwd, values.out);
  try {
    await writeExportFile(out, workbook.markdown, { force: values.force === true });
  } catch (error) {
    if (error instanceof ExportFileError) throw new CliError(error.message.split(out).join(values.out));
    throw error;
  }
  io.stderr.write(`Wrote ${workbook.count} problem${workbook.count === 1 ? '' : 's'} to ${values.out}.\n`);
  return 0;
}
