// Kernel-level checks of the WebGPU engine on the software adapter: outward f32 conversion, and
// the interval kernels of every op (Conv2d as implicit GEMM, MaxPool, AvgPool, Pad, Affine,
// Permute, Reshape, Sigmoid) against the float64 CPU engine on random shapes that are not
// multiples of the workgroup or tile sizes; CROWN through Affine/Permute/Pad; sampled points.
// (CROWN through Conv2d, pools and Sigmoid: gpu-crown.test.ts.)
import { test as uvuTest } from 'uvu';
import { guard, gpuMissing } from './helpers/requires.js';
import * as assert from 'uvu/assert';
import { f32Down, f32Up, gamma } from '../src/kernels/fp.js';
import { boundNetworkCpu } from '../src/bounds/index.js';
import type { BoundEngine, BoundMethod } from '../src/bounds/types.js';
import type { Network, Op } from '../src/network.js';
import { appendLayer } from '../src/network.js';
import { forward } from '../src/forward.js';
import { rng, randArray, dense, randomBoxes, assertEnclosesCpu, gpuEngineForTests, allOpsNet } from './gpu-helpers.js';

const test = guard(uvuTest, await gpuMissing());

let engine: BoundEngine;
test.before(async () => { engine = await gpuEngineForTests(); });
test.after(async () => { await engine?.dispose(); });

uvuTest('f32Down / f32Up give the nearest f32 on the right side', () => {
  const r = rng(1);
  for (let i = 0; i < 2000; i++) {
    const x = (r() - 0.5) * 10 ** Math.floor(r() * 12 - 6);
    const d = f32Down(x), u = f32Up(x);
    assert.ok(d <= x && x <= u, `${x}: [${d}, ${u}]`);
    assert.is(Math.fround(d), d);
    assert.is(Math.fround(u), u);
    if (d !== x) assert.ok(u > d && Math.abs(u - d) <= Math.abs(x) * 2 ** -22, `${x}: step too large`);
  }
  assert.is(f32Down(0.1) < 0.1, true);
  assert.is(f32Up(0.1) > 0.1, true);
  assert.ok(gamma(1000) > 1000 * 2 ** -24);
});

/** Every op in one chain (allOpsNet), conv weights and the permutation drawn from `seed`. */
function convNet(seed: number): Network {
  const r = rng(seed);
  const [ic, oc, kh, kw] = [2, 5, 3, 2];
  const conv: Op = { kind: 'conv2d', inChannels: ic, outChannels: oc, kernel: [kh, kw], stride: [1, 2], pads: [1, 0, 1, 1], weight: randArray(r, oc * ic * kh * kw, 0.5), bias: randArray(r, oc, 0.2) };
  return allOpsNet('conv-random', r, conv, (n) => Int32Array.from({ length: n }, (_, i) => i).sort(() => r() - 0.5));
}

test('ibp: every interval kernel encloses the CPU bounds (conv/pool/pad/affine/permute/sigmoid)', async () => {
  const net = convNet(3);
  const boxes = randomBoxes(4, 2 * 9 * 11, 7, 0.05);
  const gpu = await engine.bound(net, boxes, { method: 'ibp' });
  const cpu = boundNetworkCpu(net, boxes, { method: 'ibp' });
  assertEnclosesCpu(gpu, cpu, 1e-3, 'ibp conv net');
  // points of the box stay inside
  const r = rng(5);
  const n = 2 * 9 * 11;
  for (let b = 0; b < 7; b++) {
    for (let s = 0; s < 20; s++) {
      const x = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const lo = boxes.lower[b * n + i], hi = boxes.upper[b * n + i];
        x[i] = r() < 0.5 ? (r() < 0.5 ? lo : hi) : lo + r() * (hi - lo);
      }
      forward(net, x, 1).forEach((v, k) => {
        assert.ok(gpu.lower[b * 7 + k] <= v && v <= gpu.upper[b * 7 + k], `box ${b} out ${k}: ${v}`);
      });
    }
  }
});

test('crown through affine, permute and pad encloses the CPU bounds', async () => {
  const r = rng(8);
  const net: Network = { name: 'affine-permute', inputShape: [1, 4, 5], layers: [], warnings: [] };
  appendLayer(net, { kind: 'pad', pads: [1, 2, 0, 1] });
  appendLayer(net, { kind: 'affine', scale: randArray(r, 40, 3), shift: randArray(r, 40, 1) });
  appendLayer(net, { kind: 'permute', perm: Int32Array.from({ length: 40 }, (_, i) => (i * 7) % 40) });
  appendLayer(net, { kind: 'reshape' }, 'flatten', [40]);
  appendLayer(net, dense(r, 40, 23));
  appendLayer(net, { kind: 'relu' });
  appendLayer(net, dense(r, 23, 5));
  const boxes = randomBoxes(9, 20, 6, 0.08);
  for (const method of ['ibp', 'crown'] as BoundMethod[]) {
    const gpu = await engine.bound(net, boxes, { method });
    const cpu = boundNetworkCpu(net, boxes, { method });
    assertEnclosesCpu(gpu, cpu, 1e-3, `${method} affine/permute/pad net`);
  }
});

test.run();
