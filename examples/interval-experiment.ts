// The homework's interval-analysis experiment on the bundled 3 x 50 ReLU MLP: for the first N
// MNIST test images and epsilon in [0.01, 0.1] and in [0.001, 0.01], how many images IBP, CROWN
// and the exact MILP prove robust. The MILP (HiGHS, CROWN layer bounds for its big-M) runs only
// where CROWN fails, and uses monotonicity in epsilon (verified at e: verified below; falsified at
// e: falsified above). A PGD attack first looks for counterexamples (each replayed on the network,
// so a falsified pair is exact too); the MILP decides the pairs between CROWN's last proof and
// PGD's first counterexample. A time-out makes its row inexact, which the table says.
//   node dist/examples/interval-experiment.js [--out DIR] [--samples N] [--time-limit S]
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { Network } from '../src/network.js';
import { inputSize, logitNetwork } from '../src/network.js';
import { boundNetworkCpu, crownLayerBounds } from '../src/bounds/index.js';
import { loadDataset } from '../src/data/load.js';
import { marginVector, milpVerify } from '../src/milp/index.js';
import { pgdAttack } from '../src/attack/pgd.js';
import { outputSize } from '../src/network.js';
import { marginSpec } from '../src/spec/margins.js';
import { predict } from '../src/sweep/classify.js';
import { parseEpsList } from '../src/sweep/eps.js';
import { svgLinePlot } from '../src/report/svg-plot.js';
import { bundledOrTrained, csv, isMain, markdownTable, runMain, writeOutput } from './common.js';

export interface IntervalRow {
  range: string;
  eps: number;
  samples: number;
  correct: number;
  ibp: number;
  crown: number;
  milpVerified: number;
  milpFalsified: number;
  /** Images the MILP left undecided (time-outs): the row is exact when 0. */
  milpUnknown: number;
  milpCalls: number;
  milpSeconds: number;
}

export interface IntervalOptions {
  samples: number;
  timeLimitS: number;
  ranges?: { name: string; eps: string }[];
  log?: (line: string) => void;
}

/** verified[i * E + e] by IBP or CROWN over every (image, eps) pair in one batched call. */
function boundAll(net: Network, x: Float64Array, labels: Int32Array, count: number, eps: number[], method: 'ibp' | 'crown'): Uint8Array {
  const n = inputSize(net), E = eps.length;
  const lower = new Float64Array(count * E * n), upper = new Float64Array(count * E * n);
  const boxLabels = new Int32Array(count * E);
  for (let i = 0; i < count; i++) for (let e = 0; e < E; e++) {
    const b = i * E + e;
    boxLabels[b] = labels[i];
    for (let k = 0; k < n; k++) {
      const v = x[i * n + k];
      lower[b * n + k] = Math.max(0, v - eps[e]);
      upper[b * n + k] = Math.min(1, v + eps[e]);
    }
  }
  const r = boundNetworkCpu(net, { lower, upper, count: count * E }, { method, spec: marginSpec(net, boxLabels) });
  const out = new Uint8Array(count * E);
  for (let b = 0; b < count * E; b++) {
    let ok = true;
    for (let k = 0; k < r.rows; k++) if (!(r.lower[b * r.rows + k] > 0)) ok = false;
    out[b] = ok ? 1 : 0;
  }
  return out;
}

/** True when PGD finds a point within eps of x (and [0, 1]) that the network does not classify as label. */
function attack(net: Network, x: Float64Array, label: number, eps: number): boolean {
  const out = outputSize(net);
  const classes = out === 1 ? [1 - label] : [...Array(out).keys()].filter((j) => j !== label);
  const unsafe = classes.map((j) => ({ a: marginVector(out, label, j), b: new Float64Array(1), rows: 1 }));
  const region = { lower: x.map((v) => Math.max(0, v - eps)), upper: x.map((v) => Math.min(1, v + eps)), unsafe };
  return pgdAttack(net, region, { restarts: 4, steps: 50, seed: 1 }).counterexample !== null;
}

export async function intervalExperiment(net: Network, opts: IntervalOptions): Promise<IntervalRow[]> {
  const log = opts.log ?? (() => {});
  const ranges = opts.ranges ?? [{ name: '[0.01, 0.1]', eps: '0.01:0.1:10' }, { name: '[0.001, 0.01]', eps: '0.001:0.01:10' }];
  const ds = loadDataset('mnist', { split: 'test' });
  const N = Math.min(opts.samples, ds.count);
  const n = inputSize(net);
  const x = Float64Array.from(ds.images.subarray(0, N * n));
  const labels = Int32Array.from(ds.labels.subarray(0, N));
  const { predicted } = predict(net, x, N);
  const rows: IntervalRow[] = [];
  for (const range of ranges) {
    const eps = parseEpsList(range.eps);
    const E = eps.length;
    const ibp = boundAll(net, x, labels, N, eps, 'ibp');
    const crown = boundAll(net, x, labels, N, eps, 'crown');
    // per (image, eps): 1 verified, -1 falsified, 0 unknown; misclassified images are their own counterexample
    const milp = new Int8Array(N * E);
    let calls = 0, seconds = 0;
    for (let i = 0; i < N; i++) {
      if (predicted[i] !== labels[i]) { milp.fill(-1, i * E, (i + 1) * E); continue; }
      let e = 0;
      for (; e < E && crown[i * E + e]; e++) milp[i * E + e] = 1;
      let f = e;
      for (; f < E && !attack(net, x.subarray(i * n, (i + 1) * n), labels[i], eps[f]); f++);
      milp.fill(-1, i * E + f, (i + 1) * E);
      for (; e < f; e++) {
        const box = { lower: new Float64Array(n), upper: new Float64Array(n) };
        for (let k = 0; k < n; k++) { box.lower[k] = Math.max(0, x[i * n + k] - eps[e]); box.upper[k] = Math.min(1, x[i * n + k] + eps[e]); }
        const layerBounds = crownLayerBounds(net, { ...box, count: 1 });
        const r = await milpVerify(net, box, labels[i], { timeLimitS: opts.timeLimitS, layerBounds });
        calls++; seconds += r.timeS;
        if (r.status === 'verified') milp[i * E + e] = 1;
        else if (r.status === 'falsified') { milp.fill(-1, i * E + e, (i + 1) * E); break; }
      }
    }
    for (let e = 0; e < E; e++) {
      let iv = 0, cv = 0, mv = 0, mf = 0, mu = 0;
      for (let i = 0; i < N; i++) {
        iv += ibp[i * E + e]; cv += crown[i * E + e];
        const m = milp[i * E + e];
        if (m > 0) mv++; else if (m < 0) mf++; else mu++;
      }
      rows.push({ range: range.name, eps: eps[e], samples: N, correct: [...predicted].filter((p, i) => p === labels[i]).length, ibp: iv, crown: cv, milpVerified: mv, milpFalsified: mf, milpUnknown: mu, milpCalls: e === 0 ? calls : 0, milpSeconds: e === 0 ? seconds : 0 });
    }
    log(`${range.name}: ${calls} MILP call(s), ${seconds.toFixed(1)} s`);
  }
  return rows;
}

const pct = (k: number, n: number): string => `${((100 * k) / n).toFixed(1)}%`;

export function intervalTables(rows: IntervalRow[]): string {
  const parts: string[] = [];
  for (const range of [...new Set(rows.map((r) => r.range))]) {
    const rs = rows.filter((r) => r.range === range);
    const N = rs[0].samples;
    parts.push(`### epsilon in ${range} (${N} images, clean accuracy ${pct(rs[0].correct, N)})`, '');
    parts.push(markdownTable(
      ['epsilon', 'IBP', 'CROWN', 'MILP verified', 'falsified (PGD/MILP)', 'exact?'],
      rs.map((r) => [Number(r.eps.toPrecision(6)), pct(r.ibp, N), pct(r.crown, N), pct(r.milpVerified, N), pct(r.milpFalsified, N), r.milpUnknown ? `no (${r.milpUnknown} time-out)` : 'yes']),
    ));
  }
  return parts.join('\n');
}

function curve(rows: IntervalRow[], range: string, title: string): string {
  const rs = rows.filter((r) => r.range === range);
  const N = rs[0].samples;
  const xs = rs.map((r) => r.eps);
  return svgLinePlot([
    { label: 'IBP', x: xs, y: rs.map((r) => (100 * r.ibp) / N) },
    { label: 'CROWN', x: xs, y: rs.map((r) => (100 * r.crown) / N) },
    { label: 'MILP (exact)', x: xs, y: rs.map((r) => (100 * r.milpVerified) / N), band: { lower: rs.map((r) => (100 * r.milpVerified) / N), upper: rs.map((r) => (100 * (N - r.milpFalsified)) / N) } },
  ], { title, xLabel: 'epsilon (L-infinity radius)', yLabel: 'verified robust (%)', reference: { label: 'clean accuracy', y: (100 * rs[0].correct) / N } });
}

if (isMain(import.meta.url)) {
  runMain(async () => {
    const { values } = parseArgs({ options: { out: { type: 'string', default: 'out/examples/interval-experiment' }, samples: { type: 'string', default: '100' }, 'time-limit': { type: 'string', default: '10' } } });
    const dir = values.out!;
    fs.mkdirSync(dir, { recursive: true });
    const t0 = performance.now();
    const { net: loaded, note } = await bundledOrTrained('mnist-mlp', '784-50-50-50-10', 'mnist', 5, dir);
    const net = logitNetwork(loaded);
    const rows = await intervalExperiment(net, { samples: Number(values.samples), timeLimitS: Number(values['time-limit']), log: (l) => process.stderr.write(`${l}\n`) });
    const md = [`# Interval analysis vs CROWN vs MILP on ${net.name}`, '', `Network: ${note}. MILP time limit ${values['time-limit']} s per query; total ${((performance.now() - t0) / 1000).toFixed(0)} s.`, '', intervalTables(rows)].join('\n');
    writeOutput(dir, 'table.md', md);
    writeOutput(dir, 'results.csv', csv(Object.keys(rows[0]), rows.map((r) => Object.values(r))));
    const ranges = [...new Set(rows.map((r) => r.range))];
    ranges.forEach((range, k) => writeOutput(dir, `curve-${k + 1}.svg`, curve(rows, range, `${net.name}: epsilon in ${range}`)));
    process.stdout.write(`${md}\nwrote ${dir}/table.md, results.csv, ${ranges.map((_, k) => `curve-${k + 1}.svg`).join(', ')}\n`);
  });
}
