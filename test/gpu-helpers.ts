// Test helpers for the GPU engine tests: the engine on the software adapter, seeded random
// networks and boxes, and the comparison with the CPU engine.
import * as assert from 'uvu/assert';
import { createGpuEngine } from '../src/kernels/index.js';
import type { GpuEngine } from '../src/kernels/index.js';
import type { Network, Op } from '../src/network.js';
import { appendLayer, size } from '../src/network.js';
import type { BoundResult, Boxes } from '../src/bounds/types.js';

// the project's one seeded generator (mulberry32), under the name these tests use
import { seededRng as rng } from './helpers/random-network.js';
export { rng };

export function randArray(r: () => number, n: number, scale: number): Float64Array {
  return Float64Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

export function dense(r: () => number, inF: number, outF: number): Op {
  return { kind: 'dense', inFeatures: inF, outFeatures: outF, weight: randArray(r, inF * outF, 1 / Math.sqrt(inF) * 1.7), bias: randArray(r, outF, 0.3) };
}

/** A random dense ReLU chain with the given widths. */
export function randomMlp(seed: number, widths: number[]): Network {
  const r = rng(seed);
  const net: Network = { name: `mlp${widths.join('-')}`, inputShape: [widths[0]], layers: [], warnings: [] };
  for (let i = 1; i < widths.length; i++) {
    appendLayer(net, dense(r, widths[i - 1], widths[i]));
    if (i < widths.length - 1) appendLayer(net, { kind: 'relu' });
  }
  return net;
}

/** Boxes [x − eps, x + eps] ∩ [0, 1] around random centres. */
export function randomBoxes(seed: number, n: number, count: number, eps: number): Boxes & { centres: Float64Array } {
  const r = rng(seed);
  const centres = Float64Array.from({ length: n * count }, () => r());
  const lower = centres.map((x) => Math.max(0, x - eps));
  const upper = centres.map((x) => Math.min(1, x + eps));
  return { lower, upper, count, centres };
}

/** The GPU engine the GPU suites share; the software adapter will do (SwiftShader in CI). */
export async function gpuEngineForTests(): Promise<GpuEngine> {
  const e = await createGpuEngine({ allowSoftware: true });
  if (!e) throw new Error('no WebGPU adapter (SwiftShader expected at /usr/lib/chromium/vk_swiftshader_icd.json)');
  return e as GpuEngine;
}

/**
 * Every op the GPU engine has, in one chain on 2×9×11 inputs: `conv` (2 → 5 channels, kernel
 * [3, 2], stride [1, 2], pads [1, 0, 1, 1]) → relu → maxpool → pad → avgpool → affine → `perm`
 * → flatten → dense → sigmoid → dense. `r` draws the affine and dense weights.
 */
export function allOpsNet(name: string, r: () => number, conv: Op, perm: (n: number) => Int32Array): Network {
  const net: Network = { name, inputShape: [2, 9, 11], layers: [], warnings: [] };
  appendLayer(net, conv);
  appendLayer(net, { kind: 'relu' });
  appendLayer(net, { kind: 'maxpool2d', kernel: [2, 2], stride: [2, 1], pads: [0, 0, 1, 0] });
  appendLayer(net, { kind: 'pad', pads: [1, 0, 0, 1] });
  appendLayer(net, { kind: 'avgpool2d', kernel: [2, 2], stride: [1, 1], pads: [0, 1, 0, 0], countIncludePad: false });
  const n = size(net.layers[net.layers.length - 1].shape);
  appendLayer(net, { kind: 'affine', scale: randArray(r, n, 2), shift: randArray(r, n, 0.5) });
  appendLayer(net, { kind: 'permute', perm: perm(n) });
  appendLayer(net, { kind: 'reshape' }, 'flatten', [n]);
  appendLayer(net, dense(r, n, 19));
  appendLayer(net, { kind: 'sigmoid' });
  appendLayer(net, dense(r, 19, 7));
  return net;
}

/**
 * GPU bounds must contain the CPU float64 ones (lower ≤ CPU lower, upper ≥ CPU upper) and be
 * within `tol` (relative to 1 + |value|) of them.
 */
export function assertEnclosesCpu(gpu: BoundResult, cpu: BoundResult, tol: number, what: string): number {
  assert.is(gpu.rows, cpu.rows, `${what}: rows`);
  assert.is(gpu.lower.length, cpu.lower.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < cpu.lower.length; i++) {
    const gl = gpu.lower[i], cl = cpu.lower[i], gu = gpu.upper[i], cu = cpu.upper[i];
    if (!(gl <= cl)) assert.unreachable(`${what}: GPU lower ${gl} > CPU lower ${cl} at ${i}`);
    if (!(gu >= cu)) assert.unreachable(`${what}: GPU upper ${gu} < CPU upper ${cu} at ${i}`);
    const d = Math.max((cl - gl) / (1 + Math.abs(cl)), (gu - cu) / (1 + Math.abs(cu)));
    worst = Math.max(worst, d);
  }
  assert.ok(worst <= tol, `${what}: GPU bounds are ${worst} (relative) looser than the CPU ones, above ${tol}`);
  return worst;
}
