// The size case: the .vsix exactly as `node scripts/task.mjs package` builds it (production
// bundles, the .vscodeignore allowlist), and every file in it. The package is also unpacked, so the
// VS Code case activates exactly what ships.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { round, type CaseResult } from './stats.ts';

type Log = (message: string) => void;

export interface ZipEntry {
  name: string;
  compressedBytes: number;
  bytes: number;
  data(): Buffer;
}

/** The entries of a zip file (stored or deflated, as vsce writes them), from its central directory. */
export function readZip(path: string): ZipEntry[] {
  const zip = readFileSync(path);
  const endOfDirectory = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (endOfDirectory < 0) throw new Error(`${path} is not a zip file (no end of central directory); delete it and package again.`);
  const count = zip.readUInt16LE(endOfDirectory + 10);
  let offset = zip.readUInt32LE(endOfDirectory + 16);
  const entries: ZipEntry[] = [];
  for (let index = 0; index < count; index += 1) {
    if (zip.readUInt32LE(offset) !== 0x02014b50) throw new Error(`${path} has a damaged central directory; package again.`);
    const method = zip.readUInt16LE(offset + 10);
    const compressedBytes = zip.readUInt32LE(offset + 20);
    const bytes = zip.readUInt32LE(offset + 24);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localHeader = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    offset += 46 + nameLength + extraLength + commentLength;
    entries.push({
      name,
      compressedBytes,
      bytes,
      data: () => {
        const start = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
        const raw = zip.subarray(start, start + compressedBytes);
        if (method === 0) return Buffer.from(raw);
        if (method === 8) return inflateRawSync(raw);
        throw new Error(`${name} in ${path} uses zip method ${method}, which this reader does not know.`);
      },
    });
  }
  return entries;
}

function run(command: string, args: string[], cwd: string, log: Log): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else {
        log(output.trim().split('\n').slice(-15).join('\n'));
        reject(new Error(`${args.join(' ')} failed (${code}); see the lines above.`));
      }
    });
  });
}

export interface PackagedExtension {
  vsix: string;
  /** The unpacked `extension/` folder of the .vsix. */
  extensionDir: string;
  results: CaseResult[];
}

export async function benchSize(repoRoot: string, unpackInto: string, log: Log): Promise<PackagedExtension> {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
  const vsix = join(repoRoot, 'out', `${pkg.name}-${pkg.version}.vsix`);
  log('size: packaging the extension (node scripts/task.mjs package)…');
  await run(process.execPath, ['scripts/task.mjs', 'package'], repoRoot, log);
  const vsixBytes = statSync(vsix).size;
  const entries = readZip(vsix);
  for (const entry of entries) {
    const target = join(unpackInto, entry.name);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, entry.data());
  }
  const files = entries.filter((entry) => entry.name.startsWith('extension/')).map((entry) => ({ file: entry.name.slice('extension/'.length), bytes: entry.bytes, compressedBytes: entry.compressedBytes }));
  const bundles = files.filter((file) => /^dist\/[^/]+\.js$/.test(file.file));
  log(`size: ${round(vsixBytes / 1024, 1)} KB .vsix; ${bundles.map((bundle) => `${bundle.file} ${round(bundle.bytes / 1024, 1)} KB`).join(', ')}`);
  const results: CaseResult[] = [
    {
      id: 'vsix-size',
      title: 'Size of the .vsix',
      value: round(vsixBytes / 1024, 1),
      unit: 'KB',
      budget: { max: 500, exclusive: true, text: '< 500 KB' },
      details: { bytes: vsixBytes, files: files.sort((a, b) => b.bytes - a.bytes) },
    },
    ...bundles.map((bundle) => ({
      id: `bundle-${bundle.file.replace(/^dist\//, '').replace(/\.js$/, '')}`,
      title: `Bundle ${bundle.file}, minified (${round(bundle.compressedBytes / 1024, 1)} KB compressed in the .vsix)`,
      value: round(bundle.bytes / 1024, 1),
      unit: 'KB' as const,
      details: { bytes: bundle.bytes, compressedBytes: bundle.compressedBytes },
    })),
  ];
  return { vsix, extensionDir: join(unpackInto, 'extension'), results };
}
