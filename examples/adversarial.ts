// The reference project's adversarial experiment on MNIST 3 vs 5: the dense 32-32-1 sigmoid
// network (bundled models/mnist-3v5-sigmoid.onnx, else trained here), minimal adversarial examples
// by MILP (Fischetti & Jo: the smallest L1 change that flips the decision) without and with a cap
// of 0.2 on each pixel's change, written as PNGs (original | adversarial | change), then the
// transfer check: does a CNN that never saw the attack also change its decision?
// The CNN is the bundled mnist-cnn restricted to classes 3 and 5 (decision: logit 3 vs logit 5)
// when it is bundled, else a binary 3-vs-5 CNN trained here with the trainer.
//   node dist/examples/adversarial.js [--out DIR] [--samples N] [--time-limit S]
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Network } from '../src/network.js';
import { logitNetwork } from '../src/network.js';
import { forward } from '../src/forward.js';
import { loadDataset } from '../src/data/load.js';
import { imageAt } from '../src/data/dataset.js';
import { minimalAdversarial } from '../src/milp/index.js';
import { predictedClass } from '../src/spec/margins.js';
import { writeAdversarialPng } from '../src/report/adversarial-png.js';
import { bundledModels, loadNetwork } from '../src/models.js';
import { bundledOrTrained, csv, isMain, markdownTable, runMain, writeOutput } from './common.js';

export interface AttackRow {
  index: number;
  label: number;
  cap: string;
  status: string;
  l1?: number;
  linf?: number;
  /** Pixels changed by more than 1/255. */
  pixels?: number;
  lowerBound: number;
  seconds: number;
  /** CNN decision (0 = digit 3, 1 = digit 5) on the original and on the adversarial image. */
  cnnOriginal: number;
  cnnAdversarial?: number;
  png?: string;
}

/** A 3-vs-5 decision (0 = 3, 1 = 5) by a CNN: the bundled 10-class one restricted to 3/5, else a binary one trained here. */
async function transferCnn(outDir: string): Promise<{ decide: (x: Float64Array) => number; note: string }> {
  if (bundledModels().includes('mnist-cnn')) {
    const cnn = loadNetwork('mnist-cnn');
    return { decide: (x) => { const y = forward(cnn, x, 1); return y[5] > y[3] ? 1 : 0; }, note: 'the bundled mnist-cnn, restricted to classes 3 and 5 (logit 5 > logit 3 means 5)' };
  }
  const { net, note } = await bundledOrTrained('mnist-3v5-cnn', 'conv8-pool-conv16-pool-1', 'mnist:3v5', 2, outDir);
  const logit = logitNetwork(net);
  return { decide: (x) => predictedClass(forward(logit, x, 1)), note: `a binary 3-vs-5 CNN conv8-pool-conv16-pool-1: ${note}` };
}

export async function adversarialExperiment(net0: Network, outDir: string, opts: { samples: number; timeLimitS: number; cap: number; log?: (l: string) => void }): Promise<{ rows: AttackRow[]; cnnNote: string }> {
  const log = opts.log ?? (() => {});
  const net = logitNetwork(net0);
  const ds = loadDataset('mnist:3v5', { split: 'test' });
  const { decide, note } = await transferCnn(outDir);
  const rows: AttackRow[] = [];
  let taken = 0;
  for (let i = 0; i < ds.count && taken < opts.samples; i++) {
    const x = imageAt(ds, i);
    const label = ds.labels[i];
    if (predictedClass(forward(net, x, 1)) !== label) continue; // attack only what it gets right
    taken++;
    for (const cap of [undefined, opts.cap]) {
      const r = await minimalAdversarial(net, x, label, { norm: 'l1', maxChange: cap, timeLimitS: opts.timeLimitS });
      const row: AttackRow = { index: i, label, cap: cap === undefined ? 'none' : String(cap), status: r.status, lowerBound: r.lowerBound, seconds: r.timeS, cnnOriginal: decide(x) };
      if (r.adversarial) {
        const adv = r.adversarial;
        let l1 = 0, linf = 0, pixels = 0;
        for (let k = 0; k < x.length; k++) { const d = Math.abs(adv[k] - x[k]); l1 += d; linf = Math.max(linf, d); if (d > 1 / 255) pixels++; }
        Object.assign(row, { l1, linf, pixels, cnnAdversarial: decide(adv) });
        row.png = `adv-${i}-${cap === undefined ? 'nocap' : 'cap'}.png`;
        writeAdversarialPng(path.join(outDir, row.png), x, adv, ds.shape);
      }
      rows.push(row);
      log(`image ${i} (digit ${label ? 5 : 3}), cap ${row.cap}: ${row.status}${row.l1 !== undefined ? `, L1 ${row.l1.toFixed(3)}, Linf ${row.linf!.toFixed(3)}, ${row.pixels} pixels, CNN ${row.cnnOriginal}->${row.cnnAdversarial}` : ''} (${row.seconds.toFixed(1)} s)`);
    }
  }
  return { rows, cnnNote: note };
}

const f3 = (v: number | undefined): string => (v === undefined ? '-' : v.toFixed(3));

export function adversarialTables(rows: AttackRow[]): string {
  const digit = (c: number): string => (c ? '5' : '3');
  const table = markdownTable(
    ['image', 'digit', 'cap', 'status', 'L1', 'L-inf', 'pixels changed', 'L1 lower bound', 'time (s)', 'CNN on original', 'CNN on adversarial', 'transfers'],
    rows.map((r) => [r.index, digit(r.label), r.cap, r.status, f3(r.l1), f3(r.linf), r.pixels ?? '-', f3(r.lowerBound), r.seconds.toFixed(1), digit(r.cnnOriginal),
      r.cnnAdversarial === undefined ? '-' : digit(r.cnnAdversarial), r.cnnAdversarial === undefined ? '-' : r.cnnAdversarial !== r.label ? 'yes' : 'no']),
  );
  const summary: string[] = [];
  for (const cap of [...new Set(rows.map((r) => r.cap))]) {
    const rs = rows.filter((r) => r.cap === cap && r.l1 !== undefined);
    const mean = (f: (r: AttackRow) => number) => rs.reduce((s, r) => s + f(r), 0) / Math.max(1, rs.length);
    const transfers = rs.filter((r) => r.cnnOriginal === r.label && r.cnnAdversarial !== r.label).length;
    const cnnRight = rs.filter((r) => r.cnnOriginal === r.label).length;
    summary.push(`- cap ${cap}: ${rs.length} example(s) found (${rs.filter((r) => r.status === 'optimal').length} proven minimal); mean L1 ${mean((r) => r.l1!).toFixed(3)}, mean L-inf ${mean((r) => r.linf!).toFixed(3)}, mean pixels changed ${mean((r) => r.pixels!).toFixed(1)}; transfer to the CNN: ${transfers}/${cnnRight} (of the images the CNN classifies correctly)`);
  }
  return `${table}\n${summary.join('\n')}\n`;
}

if (isMain(import.meta.url)) {
  runMain(async () => {
    const { values } = parseArgs({ options: { out: { type: 'string', default: 'out/examples/adversarial' }, samples: { type: 'string', default: '10' }, 'time-limit': { type: 'string', default: '60' } } });
    const dir = values.out!;
    fs.mkdirSync(dir, { recursive: true });
    const t0 = performance.now();
    const { net, note } = await bundledOrTrained('mnist-3v5-sigmoid', '784-32-32-1', 'mnist:3v5', 5, dir);
    const { rows, cnnNote } = await adversarialExperiment(net, dir, { samples: Number(values.samples), timeLimitS: Number(values['time-limit']), cap: 0.2, log: (l) => process.stderr.write(`${l}\n`) });
    const md = [
      `# Minimal adversarial examples (L1, MILP) on ${net.name}, with and without a 0.2 cap per pixel`, '',
      `Network: ${note}. Transfer CNN: ${cnnNote}. MILP time limit ${values['time-limit']} s per example; total ${((performance.now() - t0) / 1000).toFixed(0)} s.`,
      'Status optimal = the L1 distance is proven minimal; timeout = the best example found (the L1 lower bound is proven).', '',
      adversarialTables(rows),
    ].join('\n');
    writeOutput(dir, 'table.md', md);
    writeOutput(dir, 'results.csv', csv(['index', 'label', 'cap', 'status', 'l1', 'linf', 'pixels', 'l1_lower_bound', 'seconds', 'cnn_original', 'cnn_adversarial', 'png'],
      rows.map((r) => [r.index, r.label, r.cap, r.status, r.l1 ?? '', r.linf ?? '', r.pixels ?? '', r.lowerBound, r.seconds, r.cnnOriginal, r.cnnAdversarial ?? '', r.png ?? ''])));
    process.stdout.write(`${md}\nwrote ${dir}/table.md, results.csv and ${rows.filter((r) => r.png).length} PNG(s)\n`);
  });
}
