// Throughput of the CPU bound engine (boxes per second) for IBP and CROWN on the bundled MNIST
// MLP and on VNN-COMP's mnist-net_256x6, B MNIST test images × E epsilons, margins of the true
// label. Prints a table and writes JSON.
//   node dist/bench/bounds.js [--inputs 1000] [--eps 0.01:0.1:10] [--nets mlp,256x6]
//     [--methods ibp,crown] [--max-boxes N] [--threads 1] [--json bench-bounds.json]
// --threads N splits each call over N threads (boundNetworkThreaded, what CpuEngine does).
// --max-boxes caps the boxes one timed call bounds (the first N input × epsilon pairs, all
// epsilons of each input), for slow methods on a shared machine; the table says what was timed.
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import Benchmark from 'benchmark';
import { boundNetworkCpu, type BoundMethod, type Boxes } from '../src/bounds/index.js';
import { boundNetworkThreaded } from '../src/bounds/threads.js';
import { marginSpec } from '../src/spec/margins.js';
import { benchNets, mnistBoxes } from './bounds-nets.js';

const { values } = parseArgs({
  options: {
    inputs: { type: 'string', default: '1000' },
    eps: { type: 'string', default: '0.01:0.1:10' },
    nets: { type: 'string', default: 'mlp,256x6' },
    methods: { type: 'string', default: 'ibp,crown' },
    'max-boxes': { type: 'string' },
    threads: { type: 'string', default: '1' },
    json: { type: 'string', default: 'bench-bounds.json' },
  },
});

function parseEps(s: string): number[] {
  const m = s.split(':');
  if (m.length === 3) {
    const [a, b, k] = m.map(Number);
    return Array.from({ length: k }, (_, i) => (k === 1 ? a : a + ((b - a) * i) / (k - 1)));
  }
  return s.split(',').map(Number);
}

const B = Number(values.inputs);
const eps = parseEps(values.eps!);
const threads = Number(values.threads);
const maxBoxes = values['max-boxes'] ? Number(values['max-boxes']) : Infinity;
const { boxes, labels } = mnistBoxes(B, eps);

function firstBoxes(all: Boxes, count: number): Boxes {
  const n = all.lower.length / all.count;
  return { lower: all.lower.subarray(0, count * n), upper: all.upper.subarray(0, count * n), count };
}

interface Row { net: string; method: BoundMethod; boxes: number; boxesPerSecond: number; boxesPerCpuSecond: number; secondsPerCall: number; samples: number; verified: number }
const rows: Row[] = [];
for (const { label, net } of benchNets(values.nets!.split(','))) {
  for (const method of values.methods!.split(',') as BoundMethod[]) {
    const count = Math.min(boxes.count, maxBoxes);
    const sub = firstBoxes(boxes, count);
    const spec = marginSpec(net, labels.slice(0, count));
    let verified = 0;
    const bench = new Benchmark(`${label} ${method}`, (deferred: { resolve(): void }) => {
      const done = (r: { lower: Float64Array; rows: number }) => {
        verified = 0;
        for (let b = 0; b < count; b++) {
          let ok = true;
          for (let k = 0; k < r.rows; k++) if (!(r.lower[b * r.rows + k] > 0)) ok = false;
          if (ok) verified++;
        }
        deferred.resolve();
      };
      if (threads > 1) void boundNetworkThreaded(net, sub, { method, spec }, threads).then(done);
      else done(boundNetworkCpu(net, sub, { method, spec }));
    }, { defer: true, minSamples: 2, maxTime: 1, initCount: 1 });
    await new Promise((resolve) => bench.on('complete', resolve).run());
    const secs = bench.stats.mean;
    // CPU time of one more call: on a machine shared with other jobs, wall time overstates the cost
    // (process.cpuUsage counts every thread of the process, workers included)
    const c0 = process.cpuUsage();
    await boundNetworkThreaded(net, sub, { method, spec }, threads);
    const c = process.cpuUsage(c0);
    const cpuSecs = (c.user + c.system) / 1e6;
    rows.push({ net: label, method, boxes: count, boxesPerSecond: count / secs, boxesPerCpuSecond: count / cpuSecs, secondsPerCall: secs, samples: bench.stats.sample.length, verified });
    const r = rows[rows.length - 1];
    process.stdout.write(`${r.net.padEnd(26)} ${method.padEnd(6)} ${String(count).padStart(6)} boxes  ${r.boxesPerSecond.toFixed(1).padStart(9)} boxes/s  ${r.boxesPerCpuSecond.toFixed(1).padStart(9)} boxes/cpu-s  ${secs.toFixed(3).padStart(9)} s/call  ±${bench.stats.rme.toFixed(1)}%  verified ${verified}\n`);
  }
}
const report = {
  bench: 'bounds-cpu', date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadavg: os.loadavg(),
  inputs: B, eps, threads, maxBoxes: Number.isFinite(maxBoxes) ? maxBoxes : null, results: rows,
};
fs.writeFileSync(values.json!, JSON.stringify(report, null, 2) + '\n');
process.stdout.write(`wrote ${values.json}\n`);
