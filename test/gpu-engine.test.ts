// The WebGPU engine against the float64 CPU engine on the software adapter: random dense ReLU
// nets with widths that are not multiples of the workgroup/tile sizes, IBP and CROWN, with and
// without a margin spec, several chunks; plus sampled points inside the GPU bounds.
import { test as uvuTest } from 'uvu';
import { guard, gpuMissing } from './helpers/requires.js';
import * as assert from 'uvu/assert';
import { createGpuEngine } from '../src/kernels/index.js';
import { boundNetworkCpu } from '../src/bounds/index.js';
import type { BoundEngine, BoundMethod, Spec } from '../src/bounds/types.js';
import { marginSpec, marginsOf } from '../src/spec/margins.js';
import { outputSize } from '../src/network.js';
import { forward } from '../src/forward.js';
import { randomMlp, randomBoxes, assertEnclosesCpu, rng, gpuEngineForTests } from './gpu-helpers.js';

const test = guard(uvuTest, await gpuMissing());

let engine: BoundEngine;
// Stated tolerance: the outward error terms (≈ 2γ_n·Σ|terms| per layer) cost ~1e-4 relative on these nets.
const TOL = 1e-3;

test.before(async () => { engine = await gpuEngineForTests(); });
test.after(async () => { await engine?.dispose(); });

test('describe names the adapter', () => {
  assert.match(engine.describe(), /^gpu: .+ \((software|hardware)\)$/);
});

for (const method of ['ibp', 'crown'] as BoundMethod[]) {
  test(`${method}: random dense nets enclose the CPU bounds (no spec and margins)`, async () => {
    for (const [seed, widths, count, eps] of [[1, [13, 70, 9], 7, 0.05], [2, [29, 67, 33, 10], 3, 0.02], [3, [5, 3, 4], 3, 0.3]] as const) {
      const net = randomMlp(seed, [...widths]);
      const boxes = randomBoxes(seed + 10, widths[0], count, eps);
      const labels = Array.from({ length: count }, (_, b) => b % outputSize(net));
      for (const spec of [undefined, marginSpec(net, labels)] as (Spec | undefined)[]) {
        const gpu = await engine.bound(net, boxes, { method, spec });
        const cpu = boundNetworkCpu(net, boxes, { method, spec });
        assertEnclosesCpu(gpu, cpu, TOL, `${method} ${net.name} spec=${!!spec}`);
      }
    }
  });

  test(`${method}: sampled points lie inside the GPU bounds`, async () => {
    const net = randomMlp(7, [11, 20, 20, 6]);
    const count = 5;
    const boxes = randomBoxes(8, 11, count, 0.1);
    const labels = Array.from({ length: count }, (_, b) => b % 6);
    const res = await engine.bound(net, boxes, { method, spec: marginSpec(net, labels) });
    const r = rng(99);
    for (let b = 0; b < count; b++) {
      for (let s = 0; s < 200; s++) {
        const x = new Float64Array(11);
        for (let i = 0; i < 11; i++) {
          const lo = boxes.lower[b * 11 + i], hi = boxes.upper[b * 11 + i];
          x[i] = s < 2 ? (s === 0 ? lo : hi) : r() < 0.3 ? (r() < 0.5 ? lo : hi) : lo + r() * (hi - lo);
        }
        const m = marginsOf(forward(net, x, 1), labels[b]);
        m.forEach((v, k) => {
          assert.ok(res.lower[b * 5 + k] <= v && v <= res.upper[b * 5 + k], `box ${b} row ${k}: ${v} outside [${res.lower[b * 5 + k]}, ${res.upper[b * 5 + k]}]`);
        });
      }
    }
  });
}

test('chunking does not change the results', async () => {
  const net = randomMlp(4, [17, 33, 12]);
  const boxes = randomBoxes(5, 17, 23, 0.04);
  const small = await createGpuEngine({ allowSoftware: true, maxChunk: 4 });
  try {
    for (const method of ['ibp', 'crown'] as BoundMethod[]) {
      const a = await engine.bound(net, boxes, { method });
      const b = await small!.bound(net, boxes, { method });
      assert.equal(Array.from(b.lower), Array.from(a.lower), `${method} lower`);
      assert.equal(Array.from(b.upper), Array.from(a.upper), `${method} upper`);
    }
  } finally {
    await small?.dispose();
  }
});

test.run();
