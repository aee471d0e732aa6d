// CROWN on the WebGPU engine for every op, against the float64 CPU engine on the software
// adapter: Conv2d (strides, pads, channel counts off the tile sizes), MaxPool (overlapping and
// padded windows), AvgPool (with and without counting padding), Sigmoid; GPU bounds must enclose
// the CPU ones within TOL and hold every sampled point. Also: only the unstable neurons of ReLU
// inputs are back-substituted (as the CPU engine does), row blocks do not change results, and a
// residual net goes to the CPU engine unchanged.
import { test as uvuTest } from 'uvu';
import { guard, gpuMissing } from './helpers/requires.js';
import * as assert from 'uvu/assert';
import { createGpuEngine, GpuEngine } from '../src/kernels/index.js';
import { forward } from '../src/forward.js';
import { boundNetworkCpu, crownLayerBounds } from '../src/bounds/index.js';
import type { Network, Op } from '../src/network.js';
import { appendLayer, size, INPUT, outputSize } from '../src/network.js';
import { marginSpec, marginsOf } from '../src/spec/margins.js';
import { rng, randArray, dense, randomMlp, randomBoxes, assertEnclosesCpu, gpuEngineForTests, allOpsNet } from './gpu-helpers.js';

const test = guard(uvuTest, await gpuMissing());

let engine: GpuEngine;
// Stated tolerance (relative to 1 + |bound|): the outward error terms cost ~1e-5..1e-4 here.
const TOL = 1e-3;

test.before(async () => { engine = await gpuEngineForTests(); });
test.after(async () => { await engine?.dispose(); });

function conv(r: () => number, ic: number, oc: number, kernel: [number, number], stride: [number, number], pads: [number, number, number, number]): Op {
  const n = oc * ic * kernel[0] * kernel[1];
  return { kind: 'conv2d', inChannels: ic, outChannels: oc, kernel, stride, pads, weight: randArray(r, n, 1.5 / Math.sqrt(ic * kernel[0] * kernel[1])), bias: randArray(r, oc, 0.2) };
}

function flattenDense(net: Network, r: () => number, outs: number[]): void {
  appendLayer(net, { kind: 'reshape' }, 'flatten', [size(net.layers[net.layers.length - 1].shape)]);
  for (let i = 0; i < outs.length; i++) {
    appendLayer(net, dense(r, size(net.layers[net.layers.length - 1].shape), outs[i]));
    if (i < outs.length - 1) appendLayer(net, { kind: 'relu' });
  }
}

/** GPU CROWN with margins encloses the CPU's, and random/corner points of each box stay inside. */
async function checkNet(net: Network, boxes: ReturnType<typeof randomBoxes>, what: string, samples = 30): Promise<void> {
  const count = boxes.count;
  const m = outputSize(net);
  const labels = Array.from({ length: count }, (_, b) => (b * 3) % m);
  const spec = marginSpec(net, labels);
  const gpu = await engine.bound(net, boxes, { method: 'crown', spec });
  const cpu = boundNetworkCpu(net, boxes, { method: 'crown', spec });
  assertEnclosesCpu(gpu, cpu, TOL, what);
  // CROWN must be no looser than IBP would allow to be meaningful: at least one row tighter
  const ibp = boundNetworkCpu(net, boxes, { method: 'ibp', spec });
  assert.ok(gpu.lower.some((v, i) => v > ibp.lower[i] + 1e-6), `${what}: GPU CROWN is nowhere tighter than IBP`);
  const n = size(net.inputShape);
  const r = rng(123);
  for (let b = 0; b < count; b++) {
    for (let s = 0; s < samples; s++) {
      const x = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const lo = boxes.lower[b * n + i], hi = boxes.upper[b * n + i];
        x[i] = r() < 0.4 ? (r() < 0.5 ? lo : hi) : lo + r() * (hi - lo);
      }
      marginsOf(forward(net, x, 1), labels[b]).forEach((v, k) => {
        const i = b * spec.rows + k;
        assert.ok(gpu.lower[i] <= v && v <= gpu.upper[i], `${what}: box ${b} row ${k}: ${v} outside [${gpu.lower[i]}, ${gpu.upper[i]}]`);
      });
    }
  }
}

test('crown: conv nets (strides, pads, odd channel counts)', async () => {
  const r = rng(21);
  const net: Network = { name: 'conv-crown', inputShape: [3, 11, 9], layers: [], warnings: [] };
  appendLayer(net, conv(r, 3, 5, [3, 3], [1, 1], [1, 1, 1, 1]));
  appendLayer(net, { kind: 'relu' });
  appendLayer(net, conv(r, 5, 7, [3, 2], [2, 2], [0, 1, 1, 0]));
  appendLayer(net, { kind: 'relu' });
  appendLayer(net, conv(r, 7, 3, [2, 3], [1, 2], [1, 0, 0, 2]));
  appendLayer(net, { kind: 'relu' });
  flattenDense(net, r, [13, 6]);
  await checkNet(net, randomBoxes(22, 3 * 11 * 9, 3, 0.03), 'conv net');
});

test('crown: maxpool (overlapping, padded and plain windows) and avgpool (with/without pad counting)', async () => {
  const r = rng(31);
  const net: Network = { name: 'pool-crown', inputShape: [2, 10, 9], layers: [], warnings: [] };
  appendLayer(net, conv(r, 2, 4, [3, 3], [1, 1], [1, 1, 1, 1]));
  appendLayer(net, { kind: 'relu' });
  appendLayer(net, { kind: 'maxpool2d', kernel: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1] });
  appendLayer(net, conv(r, 4, 5, [2, 2], [1, 1], [0, 0, 0, 0]));
  appendLayer(net, { kind: 'avgpool2d', kernel: [3, 2], stride: [1, 2], pads: [1, 0, 1, 1], countIncludePad: false });
  appendLayer(net, { kind: 'relu' });
  appendLayer(net, { kind: 'avgpool2d', kernel: [2, 2], stride: [1, 1], pads: [0, 1, 1, 0], countIncludePad: true });
  appendLayer(net, { kind: 'maxpool2d', kernel: [2, 1], stride: [1, 1], pads: [0, 0, 0, 0] });
  flattenDense(net, r, [11, 5]);
  await checkNet(net, randomBoxes(32, 2 * 10 * 9, 3, 0.04), 'pool net');
});

test('crown: sigmoid nets (chords and tangent lines on both sides of 0)', async () => {
  const r = rng(41);
  const net: Network = { name: 'sigmoid-crown', inputShape: [14], layers: [], warnings: [] };
  for (const w of [23, 17, 9]) {
    appendLayer(net, dense(r, size(net.layers[net.layers.length - 1]?.shape ?? net.inputShape), w));
    appendLayer(net, { kind: 'sigmoid' });
  }
  appendLayer(net, dense(r, 9, 4));
  await checkNet(net, randomBoxes(42, 14, 4, 0.15), 'sigmoid net', 60);
});

test('crown: every op in one net (conv/relu/maxpool/pad/avgpool/affine/permute/sigmoid)', async () => {
  const r = rng(51);
  const net = allOpsNet('all-ops', r, conv(r, 2, 5, [3, 2], [1, 2], [1, 0, 1, 1]), (n) => Int32Array.from({ length: n }, (_, i) => (i * 7) % n));
  await checkNet(net, randomBoxes(52, 2 * 9 * 11, 3, 0.05), 'all-ops net');
});

/** Interval image of a dense layer from float64 bounds (the CPU's bounds before it tightens). */
function denseInterval(op: Extract<Op, { kind: 'dense' }>, lo: Float64Array, hi: Float64Array, b: number): { l: Float64Array; u: Float64Array } {
  const n = op.inFeatures, l = new Float64Array(op.outFeatures), u = new Float64Array(op.outFeatures);
  for (let j = 0; j < op.outFeatures; j++) {
    let c = op.bias[j], rad = 0;
    for (let i = 0; i < n; i++) {
      const w = op.weight[j * n + i], x = b * n + i;
      c += w * (lo[x] + hi[x]) / 2;
      rad += Math.abs(w) * (hi[x] - lo[x]) / 2;
    }
    l[j] = c - rad;
    u[j] = c + rad;
  }
  return { l, u };
}

test('crown back-substitutes only the unstable ReLU inputs, as the CPU engine does', async () => {
  const net = randomMlp(61, [30, 60, 60, 60, 8]);
  const boxes = randomBoxes(62, 30, 4, 0.01);
  const before = engine.stats.refineRows;
  await engine.bound(net, boxes, { method: 'crown' });
  const gpuNeurons = (engine.stats.refineRows - before) / 2;
  // The CPU's selection: neurons of each Dense after the first (the first is exact by IBP,
  // and the GPU skips it) with l < 0 < u in its interval image of the tightened bounds before it.
  const cpu = crownLayerBounds(net, boxes);
  let cpuNeurons = 0, all = 0;
  net.layers.forEach((layer, k) => {
    if (layer.op.kind !== 'dense' || k === 0 || k === net.layers.length - 1) return;
    for (let b = 0; b < boxes.count; b++) {
      const { l, u } = denseInterval(layer.op, cpu[k - 1].lower, cpu[k - 1].upper, b);
      for (let j = 0; j < l.length; j++) if (l[j] < 0 && u[j] > 0) cpuNeurons++;
      all += l.length;
    }
  });
  assert.ok(cpuNeurons > 0 && cpuNeurons < all / 2, `test set-up: ${cpuNeurons} of ${all} unstable`);
  // GPU bounds enclose the CPU's, so it may see a few more unstable neurons, never fewer
  assert.ok(gpuNeurons >= cpuNeurons && gpuNeurons <= cpuNeurons * 1.05 + 2, `GPU tightened ${gpuNeurons} neurons, CPU ${cpuNeurons} (of ${all})`);
});

test('row blocks do not change the results', async () => {
  const r = rng(71);
  const net: Network = { name: 'blocks', inputShape: [1, 8, 8], layers: [], warnings: [] };
  appendLayer(net, conv(r, 1, 3, [3, 3], [1, 1], [1, 1, 1, 1]));
  appendLayer(net, { kind: 'relu' });
  appendLayer(net, { kind: 'maxpool2d', kernel: [2, 2], stride: [2, 2], pads: [0, 0, 0, 0] });
  appendLayer(net, conv(r, 3, 4, [3, 3], [1, 1], [0, 0, 0, 0]));
  appendLayer(net, { kind: 'relu' });
  flattenDense(net, r, [9, 10]);
  const boxes = randomBoxes(72, 64, 5, 0.05);
  const spec = marginSpec(net, [0, 1, 2, 3, 4]);
  const small = await createGpuEngine({ allowSoftware: true, maxBlockRows: 18, maxChunk: 2 });
  try {
    const a = await engine.bound(net, boxes, { method: 'crown', spec });
    const b = await small!.bound(net, boxes, { method: 'crown', spec });
    assert.equal(Array.from(b.lower), Array.from(a.lower), 'lower');
    assert.equal(Array.from(b.upper), Array.from(a.upper), 'upper');
  } finally {
    await small?.dispose();
  }
});

test('a residual net (Add) runs on the CPU engine with its results', async () => {
  const r = rng(81);
  const net: Network = { name: 'residual', inputShape: [6], layers: [], warnings: [] };
  appendLayer(net, dense(r, 6, 6));
  appendLayer(net, { kind: 'relu' });
  net.layers.push({ name: 'add', op: { kind: 'add' }, inputs: [1, INPUT], shape: [6] });
  appendLayer(net, dense(r, 6, 3));
  const boxes = randomBoxes(82, 6, 3, 0.1);
  const gpu = await engine.bound(net, boxes, { method: 'crown' });
  const cpu = boundNetworkCpu(net, boxes, { method: 'crown' });
  assert.equal(Array.from(gpu.lower), Array.from(cpu.lower));
  assert.equal(Array.from(gpu.upper), Array.from(cpu.upper));
});

test.run();
