// `insight-proof export`: hierarchies (a JSON or JSONL file, e.g. what prove or batch wrote) in one
// of the export formats, to stdout or to a new file (an existing file only with --force).
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { EXPORT_FORMAT_INFO, EXPORT_FORMATS, exportHierarchies, ExportError, isExportFormat, type ExportFormat } from '../../core/export/index.ts';
import { ExportFileError, writeExportFile } from '../../core/exportFile.ts';
import { CliError, USAGE_EXIT, type CliIo } from '../io.ts';
import { readHierarchies, required } from './files.ts';

export const EXPORT_USAGE = [
  'insight-proof export --in FILE --format md|json|jsonl|sft|tex [--out FILE] [--force]',
  '',
  'Exports proof hierarchies. FILE is a hierarchy JSON (one object or an array) or a JSONL of',
  'hierarchies (what prove and batch write; for an id on several lines the last line counts).',
  'Prints to stdout, or writes --out, which must not exist unless --force is given.',
  '',
  '  --in FILE             The hierarchies.',
  '  --format FORMAT       One of:',
  ...EXPORT_FORMATS.map((format) => `                          ${format.padEnd(6)} ${EXPORT_FORMAT_INFO[format].description}`),
  '                        Optional with --out when the file name ends in one of the formats\' extensions.',
  '  --out FILE            Write here instead of stdout.',
  '  --force               Replace --out when it exists.',
  '  --no-metadata         sft: leave out the "metadata" object of each line (for strict trainers).',
].join('\n');

/** The format an output file name implies (".sft.jsonl" before ".jsonl"), if any. */
export function formatForFileName(path: string): ExportFormat | undefined {
  const lower = path.toLowerCase();
  const byLength = [...EXPORT_FORMATS].sort((a, b) => EXPORT_FORMAT_INFO[b].extension.length - EXPORT_FORMAT_INFO[a].extension.length);
  return byLength.find((format) => lower.endsWith(EXPORT_FORMAT_INFO[format].extension));
}

export async function runExport(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      in: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      force: { type: 'boolean' },
      'no-metadata': { type: 'boolean' },
    },
  });
  const input = required(values.in, '--in FILE', '(a hierarchy JSON or JSONL file)');
  let format: ExportFormat;
  if (values.format !== undefined) {
    if (!isExportFormat(values.format)) throw new CliError(`--format must be one of ${EXPORT_FORMATS.join(', ')}, not "${values.format}".`, USAGE_EXIT);
    format = values.format;
  } else {
    const implied = values.out === undefined ? undefined : formatForFileName(values.out);
    if (!implied) throw new CliError(`Pass --format with one of ${EXPORT_FORMATS.join(', ')}.`, USAGE_EXIT);
    format = implied;
  }
  const { hierarchies } = await readHierarchies(io, input);
  let text: string;
  try {
    text = exportHierarchies(hierarchies, format, values['no-metadata'] ? { sftMetadata: false } : {});
  } catch (error) {
    if (error instanceof ExportError) throw new CliError(error.message);
    throw error;
  }
  if (format === 'sft' && !text) {
    io.stderr.write('No training pairs: no hierarchy has a draft or accepted layer with content (stale, failed and empty layers are left out).\n');
  }
  if (values.out === undefined) {
    io.stdout.write(text);
    return 0;
  }
  try {
    await writeExportFile(resolve(io.cwd, values.out), text, { force: values.force === true });
  } catch (error) {
    if (error instanceof ExportFileError) throw new CliError(error.message.split(resolve(io.cwd, values.out)).join(values.out));
    throw error;
  }
  io.stderr.write(`Wrote ${hierarchies.length} hierarch${hierarchies.length === 1 ? 'y' : 'ies'} as ${format} to ${values.out}.\n`);
  return 0;
}
