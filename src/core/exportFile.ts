// Writing an export to disk (Node only; the VS Code side writes through its file system API and
// asks the person before replacing a file). An existing file is never replaced unless the caller
// says so: the check and the write are one operation (open with O_EXCL), so there is no window in
// which another process could create the file in between.
import { writeFile } from 'node:fs/promises';

export class ExportFileError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.name = 'ExportFileError';
    this.code = code;
  }
}

export interface WriteExportOptions {
  /** Replace an existing file. */
  force?: boolean;
}

export async function writeExportFile(path: string, text: string, options: WriteExportOptions = {}): Promise<void> {
  try {
    await writeFile(path, text, { encoding: 'utf8', flag: options.force ? 'w' : 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    switch (code) {
      case 'EEXIST':
        throw new ExportFileError(`${path} already exists; choose another file name, or replace it on purpose (--force on the command line).`, code);
      case 'ENOENT':
        throw new ExportFileError(`The folder for ${path} does not exist; create it first or choose another path.`, code);
      case 'EISDIR':
        throw new ExportFileError(`${path} is a folder; give a file name such as ${path.replace(/[\\/]+$/, '')}/proofs.md.`, code);
      case 'EACCES':
      case 'EPERM':
      case 'EROFS':
        throw new ExportFileError(`${path} cannot be written (permission denied); choose a folder you can write to.`, code);
      default:
        throw new ExportFileError(`${path} could not be written (${error instanceof Error ? error.message : String(error)}); check the path and the free disk space.`, code);
    }
  }
}
