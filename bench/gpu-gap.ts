// How far the GPU engine's sound f32 bounds fall below the float64 CPU engine's (issue 13 item 8):
// CROWN (or IBP) margins of B MNIST test images at one ε on the bundled MLP, mnist-net_256x6 and
// ERAN's mnist_conv_maxpool; per net the largest absolute gap (CPU lower − GPU lower, GPU upper −
// CPU upper), the largest relative gap (gap / (1 + |CPU bound|), the tests' measure), and how
// many GPU bounds lie on the unsafe side of the CPU ones (must be 0).
//   node dist/bench/gpu-gap.js [--images 8] [--eps 0.02] [--method crown] [--nets mlp,256x6,conv] [--json gap.json]
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadOnnxFile } from '../src/onnx/load.js';
import type { BoundMethod } from '../src/bounds/types.js';
import { CpuEngine } from '../src/bounds/index.js';
import { createGpuEngine } from '../src/kernels/index.js';
import { marginSpec } from '../src/spec/margins.js';
import { benchNets, mnistBoxes, type BenchNet } from './bounds-nets.js';

async function main(argv = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      images: { type: 'string', default: '8' },
      eps: { type: 'string', default: '0.02' },
      method: { type: 'string', default: 'crown' },
      nets: { type: 'string', default: 'mlp,256x6,conv' },
      json: { type: 'string' },
    },
  });
  const names = values.nets!.split(',');
  const nets: BenchNet[] = benchNets(names.filter((n) => n !== 'conv'));
  const conv = path.resolve('..', 'shared', 'benchmarks', 'eran', 'nets', 'mnist_conv_maxpool.onnx');
  if (names.includes('conv') && fs.existsSync(conv)) nets.push({ label: 'mnist_conv_maxpool', net: loadOnnxFile(conv) });
  const eps = Number(values.eps);
  const { boxes, labels } = mnistBoxes(Number(values.images), [eps]);
  const method = values.method as BoundMethod;
  const gpu = await createGpuEngine({ allowSoftware: true });
  if (!gpu) throw new Error('no WebGPU adapter');
  const cpu = new CpuEngine();
  process.stdout.write(`${gpu.describe()}; ${method}, ε = ${eps}, ${boxes.count} images\n`);
  const rows: Record<string, unknown>[] = [];
  for (const { label, net } of nets) {
    const spec = marginSpec(net, labels);
    const t0 = performance.now();
    const g = await gpu.bound(net, boxes, { method, spec });
    const gpuS = (performance.now() - t0) / 1000;
    const c = await cpu.bound(net, boxes, { method, spec });
    let maxAbs = 0, maxRel = 0, unsafe = 0, minCpu = Infinity, maxCpu = -Infinity;
    for (let i = 0; i < c.lower.length; i++) {
      for (const [gap, ref] of [[c.lower[i] - g.lower[i], c.lower[i]], [g.upper[i] - c.upper[i], c.upper[i]]]) {
        if (gap < 0) unsafe++;
        maxAbs = Math.max(maxAbs, gap);
        maxRel = Math.max(maxRel, gap / (1 + Math.abs(ref)));
      }
      minCpu = Math.min(minCpu, c.lower[i]);
      maxCpu = Math.max(maxCpu, c.upper[i]);
    }
    const row = { net: label, method, eps, images: boxes.count, maxAbsGap: maxAbs, maxRelGap: maxRel, unsafe, cpuLowerMin: minCpu, cpuUpperMax: maxCpu, gpuTimeS: gpuS };
    rows.push(row);
    process.stdout.write(`${label.padEnd(22)} max abs gap ${maxAbs.toExponential(3).padStart(10)}  max rel gap ${maxRel.toExponential(3).padStart(10)}  unsafe ${unsafe}  CPU bounds in [${minCpu.toFixed(2)}, ${maxCpu.toFixed(2)}]  gpu ${gpuS.toFixed(1)} s\n`);
  }
  await gpu.dispose();
  await cpu.dispose();
  if (values.json) fs.writeFileSync(values.json, JSON.stringify({ bench: 'gpu-gap', date: new Date().toISOString(), rows }, null, 2) + '\n');
}

main().catch((err) => {
  process.stderr.write(`gpu-gap: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
