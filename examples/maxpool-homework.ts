// The homework's two-input max-pool network, proved with the MILP:
//   x3 = x1 + x2, x4 = x1 − 2, x5 = x1 − x2, x6 = x2, x7 = max(x3, x4), x8 = max(x5, x6),
//   x9 = x7, x10 = −x7 + x8 − 0.5, with x1, x2 ∈ [0, 1].
// The property x9 > x10 holds: min (x9 − x10) = 0.5 (at x1 = x2 = 0). The example prints that
// minimum from the MILP (exact), beside the lower bounds of IBP and CROWN (sound, maybe loose)
// and a dense grid search (a check), and writes the network as ONNX for the CLI.
//   node dist/examples/maxpool-homework.js [--out DIR]     (default out/examples/maxpool-homework)
import type { Network } from '../src/network.js';
import { appendLayer, validateNetwork } from '../src/network.js';
import { boundNetworkCpu } from '../src/bounds/index.js';
import { forward } from '../src/forward.js';
import { milpMinimizeLinear } from '../src/milp/index.js';
import { saveOnnx } from '../src/onnx/export.js';
import fs from 'node:fs';
import path from 'node:path';
import { csv, isMain, markdownTable, outDirFromArgs, runMain, writeOutput } from './common.js';

export function maxpoolNetwork(): Network {
  const net: Network = { name: 'maxpool-homework', inputShape: [2], layers: [], warnings: [] };
  // rows: x3, x4, x5, x6 from (x1, x2)
  appendLayer(net, { kind: 'dense', inFeatures: 2, outFeatures: 4, weight: new Float64Array([1, 1, 1, 0, 1, -1, 0, 1]), bias: new Float64Array([0, -2, 0, 0]) }, 'x3..x6');
  appendLayer(net, { kind: 'reshape' }, 'as-image', [1, 1, 4]);
  // max over (x3, x4) and over (x5, x6): a 1x2 window with stride 2
  appendLayer(net, { kind: 'maxpool2d', kernel: [1, 2], stride: [1, 2], pads: [0, 0, 0, 0] }, 'x7,x8');
  appendLayer(net, { kind: 'reshape' }, 'flatten', [2]);
  appendLayer(net, { kind: 'dense', inFeatures: 2, outFeatures: 2, weight: new Float64Array([1, 0, -1, 1]), bias: new Float64Array([0, -0.5]) }, 'x9,x10');
  validateNetwork(net);
  return net;
}

export interface MaxpoolResult {
  rows: { method: string; lowerBound: number; exact: boolean; argmin?: [number, number]; seconds: number }[];
  milpStatus: string;
  gridMin: number;
  gridArgmin: [number, number];
  files: string[];
}

export async function runMaxpoolHomework(outDir: string): Promise<MaxpoolResult> {
  const net = maxpoolNetwork();
  const box = { lower: new Float64Array([0, 0]), upper: new Float64Array([1, 1]) };
  const c = new Float64Array([1, -1]); // x9 − x10
  const rows: MaxpoolResult['rows'] = [];
  for (const method of ['ibp', 'crown'] as const) {
    const t0 = performance.now();
    const r = boundNetworkCpu(net, { ...box, count: 1 }, { method, spec: { c, rows: 1, shared: true } });
    rows.push({ method: method.toUpperCase(), lowerBound: r.lower[0], exact: false, seconds: (performance.now() - t0) / 1000 });
  }
  const m = await milpMinimizeLinear(net, box, c, { timeLimitS: 30 });
  const exact = m.status === 'optimal' && m.value !== undefined;
  rows.push({
    method: 'MILP (HiGHS)',
    lowerBound: exact ? m.value! : m.bound,
    exact,
    argmin: m.input ? [m.input[0], m.input[1]] : undefined,
    seconds: m.timeS,
  });
  // an independent check: the minimum over a 201 x 201 grid (an upper bound on the true minimum)
  const N = 201;
  const xs = new Float64Array(N * N * 2);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) { xs[2 * (i * N + j)] = i / (N - 1); xs[2 * (i * N + j) + 1] = j / (N - 1); }
  const ys = forward(net, xs, N * N);
  let gridMin = Infinity, gridArgmin: [number, number] = [0, 0];
  for (let k = 0; k < N * N; k++) {
    const v = ys[2 * k] - ys[2 * k + 1];
    if (v < gridMin) { gridMin = v; gridArgmin = [xs[2 * k], xs[2 * k + 1]]; }
  }

  const fmt = (v: number) => Number(v.toFixed(6)).toString();
  const head = ['method', 'lower bound on min (x9 - x10)', 'exact', 'attained at (x1, x2)', 'time (s)'];
  const table = rows.map((r) => [r.method, fmt(r.lowerBound), r.exact ? 'yes' : 'no (a bound)', r.argmin ? `(${fmt(r.argmin[0])}, ${fmt(r.argmin[1])})` : '-', r.seconds.toFixed(4)]);
  table.push(['grid 201x201 (check)', fmt(gridMin), 'upper bound', `(${fmt(gridArgmin[0])}, ${fmt(gridArgmin[1])})`, '-']);
  const verdict = (lb: number) => (lb > 0 ? 'proves x9 > x10' : 'cannot prove x9 > x10');
  const md = [
    '# The two-input max-pool network',
    '',
    'x3 = x1 + x2, x4 = x1 - 2, x5 = x1 - x2, x6 = x2, x7 = max(x3, x4), x8 = max(x5, x6), x9 = x7, x10 = -x7 + x8 - 0.5, for x1, x2 in [0, 1].',
    '',
    markdownTable(head, table),
    ...rows.map((r) => `- ${r.method}: ${verdict(r.lowerBound)} (lower bound ${fmt(r.lowerBound)})`),
    `- MILP status: ${m.status}, ${m.binaries} binaries`,
    '',
  ].join('\n');
  const files = [
    writeOutput(outDir, 'result.md', md),
    writeOutput(outDir, 'result.csv', csv(['method', 'lower_bound', 'exact', 'seconds'], rows.map((r) => [r.method, r.lowerBound, r.exact, r.seconds]))),
    writeOutput(outDir, 'result.json', JSON.stringify({ rows, milpStatus: m.status, gridMin, gridArgmin }, null, 1) + '\n'),
  ];
  const onnx = path.join(outDir, 'maxpool-homework.onnx');
  saveOnnx(net, onnx);
  files.push(onnx);
  return { rows, milpStatus: m.status, gridMin, gridArgmin, files };
}

if (isMain(import.meta.url)) {
  runMain(async () => {
    const dir = outDirFromArgs('maxpool-homework');
    const r = await runMaxpoolHomework(dir);
    process.stdout.write(`${fs.readFileSync(path.join(dir, 'result.md'), 'utf8')}\nwrote ${r.files.join(', ')}\n`);
  });
}
