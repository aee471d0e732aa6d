// What the examples share: where their outputs go (--out DIR, default out/examples/<name>),
// markdown tables, and running main() with the CLI's error handling (UserError: one line, exit 2).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UserError } from '../src/errors.js';
import type { Network } from '../src/network.js';

/** The output folder from --out (created), or out/examples/<name> under the working folder. */
export function outDirFromArgs(name: string, argv = process.argv.slice(2)): string {
  const { values } = parseArgs({ args: argv, options: { out: { type: 'string' } }, allowPositionals: false });
  const dir = values.out ?? path.join('out', 'examples', name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Writes through a temporary file and a rename, so an interrupted run leaves no half file. */
export function writeOutput(dir: string, file: string, data: string | Uint8Array): string {
  const full = path.join(dir, file);
  const tmp = `${full}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, full);
  return full;
}

export function markdownTable(head: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  return [line(head), line(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...cells.map(line)].join('\n') + '\n';
}

export function csv(head: string[], rows: (string | number | boolean)[][]): string {
  return [head, ...rows].map((r) => r.map(String).join(',')).join('\n') + '\n';
}

/** Runs an example's main, printing user errors as one line (exit 2) like the CLI does. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof UserError || String((err as NodeJS.ErrnoException)?.code ?? '').startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`example: ${(err as Error).message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`example: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    }
  });
}

/** True when this module is the script node was started with. */
export function isMain(metaUrl: string): boolean {
  return !!process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(metaUrl).pathname);
}

/**
 * A bundled network by name, or, in a checkout that does not have it yet, one trained here with
 * the trainer (arch as `veribound train --arch`) and saved into the output folder; `note` says which.
 */
export async function bundledOrTrained(name: string, arch: string, data: string, epochs: number, outDir: string): Promise<{ net: Network; note: string }> {
  const { bundledModels, loadNetwork } = await import('../src/models.js');
  if (bundledModels().includes(name)) return { net: loadNetwork(name), note: `bundled models/${name}.onnx` };
  const { loadDataset } = await import('../src/data/load.js');
  const { buildNetwork } = await import('../src/train/arch.js');
  const { train, evaluate } = await import('../src/train/trainer.js');
  const { saveOnnx } = await import('../src/onnx/export.js');
  const trainSet = loadDataset(data, { split: 'train' });
  const testSet = loadDataset(data, { split: 'test' });
  const net = buildNetwork(arch, trainSet.shape, trainSet.classes, 1);
  net.name = name;
  process.stderr.write(`example: models/${name}.onnx is not bundled here; training ${arch} on ${data} for ${epochs} epoch(s)\n`);
  train(net, trainSet, { epochs, batchSize: 64, lr: 1e-3, seed: 1, schedule: 'cosine' });
  const file = path.join(outDir, `${name}.onnx`);
  saveOnnx(net, file);
  const acc = evaluate(net, testSet).accuracy;
  return { net, note: `trained here (${arch}, ${epochs} epochs, seed 1; test accuracy ${(100 * acc).toFixed(2)}%), saved as ${file}` };
}
