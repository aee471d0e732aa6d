// IBP and CROWN throughput (boxes per second) of the cpu and gpu backends side by side, on the
// bundled MLP (or a random 784-50-50-50-10), mnist-net_256x6 and ERAN's mnist_conv_maxpool;
// B·E boxes of MNIST test images × epsilons, margins of the true label. Prints a table with the
// adapter's name, the floating-point operations one box needs on the GPU path and the rate
// achieved, and writes JSON.
//   node dist/bench/index.js [--sizes 100,100000] [--backends cpu,gpu] [--methods ibp,crown]
//     [--nets mlp,256x6,conv] [--json bench-gpu.json]
// Sizes are B·E (B images × 10 epsilons in [0.01, 0.1]); the software adapter is slow, so the
// default is small: pass --sizes 1000,100000 on a real GPU.
// Timing is one plain wall-clock run after a warm-up (compile, upload), not benchmark.js: at
// software-adapter speeds one run takes seconds to minutes and benchmark.js's repeated sampling
// would take hours. CROWN's work depends on how many neurons are unstable, so the GPU's
// FLOP count is measured (the backward rows the engine ran × their multiply-adds) rather than
// modelled; the CPU rows carry the same count for comparison.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadOnnxFile } from '../src/onnx/load.js';
import type { BoundEngine, BoundMethod } from '../src/bounds/types.js';
import { CpuEngine } from '../src/bounds/index.js';
import { createGpuEngine } from '../src/kernels/index.js';
import { measure } from '../src/bench/throughput.js';
import { benchNets, mnistBoxes } from './bounds-nets.js';

export { forwardFlops } from '../src/bench/throughput.js';

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: 'string', default: '100' },
      backends: { type: 'string', default: 'gpu,cpu' },
      methods: { type: 'string', default: 'ibp,crown' },
      nets: { type: 'string', default: 'mlp,256x6,conv' },
      json: { type: 'string', default: 'bench-gpu.json' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: node dist/bench/index.js [--sizes 100,100000] [--backends gpu,cpu] [--methods ibp,crown]\n'
      + '         [--nets mlp,256x6,conv] [--json bench-gpu.json]\n'
      + 'sizes are B·E boxes (MNIST test images × 10 epsilons); one wall-clock run per row after a warm-up\n');
    return;
  }
  const sizes = values.sizes!.split(',').map(Number);
  const eps = Array.from({ length: 10 }, (_, i) => 0.01 + 0.01 * i);
  const names = values.nets!.split(',');
  const nets = benchNets(names.filter((n) => n !== 'conv'));
  const conv = path.resolve('..', 'shared', 'benchmarks', 'eran', 'nets', 'mnist_conv_maxpool.onnx');
  if (names.includes('conv') && fs.existsSync(conv)) nets.push({ label: 'mnist_conv_maxpool', net: loadOnnxFile(conv) });
  const maxBoxes = Math.max(...sizes);
  const { boxes, labels } = mnistBoxes(Math.ceil(maxBoxes / eps.length), eps);
  const engines: { name: string; engine: BoundEngine }[] = [];
  for (const b of values.backends!.split(',')) {
    if (b === 'cpu') engines.push({ name: 'cpu', engine: new CpuEngine() });
    else {
      const g = await createGpuEngine({ allowSoftware: true });
      if (g) engines.push({ name: 'gpu', engine: g });
      else process.stderr.write('bench: no WebGPU adapter, gpu skipped\n');
    }
  }
  for (const { name, engine } of engines) process.stdout.write(`${name}: ${engine.describe()}\n`);
  process.stdout.write('timing: one wall-clock run per row after a warm-up (not benchmark.js: too slow at software-adapter speeds); FLOP/box measured on the GPU run\n');
  // GPU backward multiply-adds per (net, method, size), shown on the CPU rows too (run gpu first)
  const lastMacs = new Map<string, number>();
  const results: Record<string, unknown>[] = [];
  for (const { label, net } of nets) {
    for (const method of values.methods!.split(',') as BoundMethod[]) {
      for (const count of sizes) {
        for (const { name, engine } of engines) {
          const key = `${label}|${method}|${count}`;
          const t = await measure(engine, net, boxes, labels, method, count, lastMacs.get(key));
          if (t.backwardMacs !== undefined) lastMacs.set(key, t.backwardMacs);
          const flops = t.flopsPerBox ?? NaN;
          const row = { net: label, method, backend: name, adapter: engine.describe(), boxes: count, seconds: t.seconds,
            boxesPerSecond: t.boxesPerSecond, flopsPerBox: flops, gflops: t.gflopsPerSecond ?? NaN, verified: t.verified, timer: 'one wall-clock run' };
          results.push(row);
          process.stdout.write(`${label.padEnd(24)} ${method.padEnd(6)} ${name.padEnd(4)} ${String(count).padStart(7)} boxes ${t.seconds.toFixed(2).padStart(9)} s ${row.boxesPerSecond.toFixed(1).padStart(10)} boxes/s  ${(flops / 1e6).toFixed(1).padStart(9)} MFLOP/box ${row.gflops.toFixed(2).padStart(8)} GFLOP/s  verified ${t.verified}\n`);
        }
      }
    }
  }
  for (const { engine } of engines) await engine.dispose();
  fs.writeFileSync(values.json!, JSON.stringify({ bench: 'gpu-vs-cpu', date: new Date().toISOString(), node: process.version,
    cpus: os.cpus().length, loadavg: os.loadavg(), adapters: engines.map((e) => e.engine.describe()), results }, null, 2) + '\n');
  process.stdout.write(`wrote ${values.json}\n`);
}
