// Networks and inputs for the bound benchmarks: the bundled MNIST MLP (or, until it is trained,
// a random 784-50-50-50-10 ReLU net of the same shape) and the VNN-COMP mnist-net_256x6.
import fs from 'node:fs';
import path from 'node:path';
import type { Network } from '../src/network.js';
import { appendLayer } from '../src/network.js';
import { loadOnnxFile } from '../src/onnx/load.js';
import { loadMnist } from '../src/data/mnist.js';
import type { Boxes } from '../src/bounds/index.js';
import { epsBoxes } from '../src/bench/throughput.js';
import { gaussian, seededRng } from '../test/helpers/random-network.js';

export interface BenchNet {
  label: string;
  net: Network;
}

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

function randomMlp(widths: number[], seed: number): Network {
  const rng = seededRng(seed);
  const net: Network = { name: `random ${widths.join('-')}`, inputShape: [widths[0]], layers: [], warnings: [] };
  for (let i = 1; i < widths.length; i++) {
    const [n, m] = [widths[i - 1], widths[i]];
    const weight = Float64Array.from({ length: n * m }, () => gaussian(rng) * Math.sqrt(2 / n));
    const bias = Float64Array.from({ length: m }, () => gaussian(rng) * 0.05);
    appendLayer(net, { kind: 'dense', inFeatures: n, outFeatures: m, weight, bias });
    if (i < widths.length - 1) appendLayer(net, { kind: 'relu' });
  }
  return net;
}

export function benchNets(which: string[]): BenchNet[] {
  const out: BenchNet[] = [];
  for (const w of which) {
    if (w === 'mlp') {
      const file = path.join(root, 'models', 'mnist-mlp.onnx');
      if (fs.existsSync(file)) out.push({ label: 'mnist-mlp (bundled)', net: loadOnnxFile(file) });
      else out.push({ label: 'random 784-50-50-50-10', net: randomMlp([784, 50, 50, 50, 10], 1) });
    } else if (w === '256x6') {
      const file = path.join(root, '..', 'shared', 'benchmarks', 'mnist_fc', 'onnx', 'mnist-net_256x6.onnx');
      if (fs.existsSync(file)) out.push({ label: 'mnist-net_256x6', net: loadOnnxFile(file) });
      else process.stderr.write(`bench: ${file} not found, skipped\n`);
    } else throw new Error(`unknown bench net '${w}' (mlp, 256x6)`);
  }
  return out;
}

/** B MNIST test images (labels too) × E epsilons, boxes [x − ε, x + ε] ∩ [0, 1], input-major. */
export function mnistBoxes(b: number, eps: number[]): { boxes: Boxes; labels: number[] } {
  const ds = loadMnist('test');
  const n = 784;
  const idx = Array.from({ length: b }, (_, i) => i % ds.count);
  const inputs = new Float64Array(b * n);
  idx.forEach((k, i) => inputs.set(ds.images.subarray(k * n, (k + 1) * n), i * n));
  return epsBoxes(inputs, idx.map((k) => ds.labels[k]), n, eps);
}
