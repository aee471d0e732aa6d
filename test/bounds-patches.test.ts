// Patch-form backward rows (src/bounds/patches.ts) against dense rows. Per rule: random patch
// rows on a layer's output (windows partly outside the layer, random origins and widths, zeros,
// several boxes, α of ReLU, sigmoid and max-pool) give through the rule's patch step exactly the coefficients and
// intercepts its dense backward step gives on the same rows, with and without α. Per network: on random
// convolutional networks (stride 1 and 2, padding, Pad ops, several channels, max and average
// pooling, sigmoid, residual adds of conv blocks) CROWN's layer and margin bounds with patches
// equal the all-dense ones to 1e-9 relative, and points sampled in each box (corners included)
// never fall outside them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Network, Shape } from '../src/network.js';
import { INPUT, appendLayer, outputSize } from '../src/network.js';
import { boundNetworkCpu, crownLayerBounds } from '../src/bounds/index.js';
import type { LayerBounds } from '../src/bounds/index.js';
import { ctxOf, planOf } from '../src/bounds/plan.js';
import { clipToLayer, clonePatches, denseOf, isPatches, newPatches, toDense, unitPatches, type Patches } from '../src/bounds/patches.js';
import { forwardLayers } from '../src/forward.js';
import { marginSpec, marginsOf } from '../src/spec/margins.js';
import { gaussian, randInt, randomBoxes, pointsInBox, seededRng, type Rng } from './helpers/random-network.js';
import { conv, randomCnn } from './helpers/random-cnn.js';
import { assertInside } from './helpers/bounds-check.js';

const close = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol * (1 + Math.abs(b));

/** Random patch rows on a [C, H, W] layer: windows 1–5 wide, origins from 2 before to past the layer. */
function randomPatches(rng: Rng, [C, H, W]: Shape, n: number): Patches {
  const P = newPatches(n, C, H, W, randInt(rng, 1, 5), randInt(rng, 1, 5));
  for (let r = 0; r < n; r++) {
    P.oy[r] = randInt(rng, -2, H - 1);
    P.ox[r] = randInt(rng, -2, W - 1);
  }
  for (let i = 0; i < P.data.length; i++) P.data[i] = rng() < 0.2 ? 0 : gaussian(rng);
  return clipToLayer(P);
}

test('every patch step equals its rule\'s dense step on random patch rows (α of ReLU, sigmoid and max-pool, several boxes)', () => {
  let checked = 0;
  const kinds = new Set<string>();
  for (let seed = 1; seed <= 40; seed++) {
    const rng = seededRng(seed * 104729);
    const net = randomCnn(rng);
    const count = 2;
    const { boxes } = randomBoxes(rng, net, count, { maxRadius: 0.3 });
    const bounds = crownLayerBounds(net, boxes);
    const plan = planOf(net);
    plan.layers.forEach((p, j) => {
      if (p.rule.patches === 'dense' || p.outShape.length !== 3) return;
      const ins: LayerBounds[] = p.inputs.map((src) => (src === INPUT ? boxes : bounds[src]));
      const ctx = ctxOf(p, count);
      const relax = p.rule.relax?.(p.op, ins, ctx);
      const n = randInt(rng, 1, 6);
      const P = randomPatches(rng, p.outShape, n);
      const box = Int32Array.from({ length: n }, () => randInt(rng, 0, count - 1));
      // α (ReLU slopes, sigmoid line families, max-pool mixes) on half of the checks
      const param = ['relu', 'sigmoid', 'maxpool2d'].includes(p.op.kind) && rng() < 0.5 ? { alpha: Float64Array.from({ length: n * p.outSize }, () => rng()) } : undefined;
      const dRows = { n, box, bias: new Float64Array(n) }, pRows = { n, box, bias: new Float64Array(n) };
      const dense = p.rule.backward(p.op, toDense(P), dRows, ctx, relax, param);
      const viaPatches = p.rule.patches(p.op, clonePatches(P), pRows, ctx, relax, param);
      assert.is(viaPatches.length, dense.length);
      dense.forEach((d, k) => {
        const q = denseOf(viaPatches[k]);
        assert.is(q.length, d.length, `seed ${seed} layer ${j} (${p.op.kind}) input ${k} length`);
        for (let i = 0; i < d.length; i++) assert.ok(close(q[i], d[i], 1e-12), `seed ${seed} layer ${j} (${p.op.kind}) input ${k} coefficient ${i}: patches ${q[i]} vs dense ${d[i]}`);
      });
      for (let r = 0; r < n; r++) assert.ok(close(pRows.bias[r], dRows.bias[r], 1e-12), `seed ${seed} layer ${j} (${p.op.kind}) row ${r} bias ${pRows.bias[r]} vs ${dRows.bias[r]}`);
      kinds.add(p.op.kind);
      checked++;
    });
  }
  for (const k of ['conv2d', 'relu', 'maxpool2d', 'avgpool2d', 'pad', 'affine', 'add', 'sigmoid']) assert.ok(kinds.has(k), `no ${k} layer was checked`);
  assert.ok(checked > 100, `only ${checked} steps checked`);
});

test('a conv step keeps narrow rows as windows (k×k after one 3×3 conv) and goes dense once a window covers the layer', () => {
  const rng = seededRng(3);
  const net: Network = { name: 'conv12', inputShape: [2, 12, 12], layers: [], warnings: [] };
  appendLayer(net, conv(rng, 2, 3, 3, 1, 1));
  appendLayer(net, conv(rng, 3, 2, 3, 2, 1));
  const plan = planOf(net);
  const rows = { n: 2, box: new Int32Array(2), bias: new Float64Array(2) };
  const P = unitPatches([2, 6, 6], Int32Array.of(1 * 36 + 2 * 6 + 3, 0), Float64Array.of(1, -1), 2);
  const step = plan.layers[1].rule.patches;
  assert.ok(step !== 'dense');
  const [Q] = step(plan.layers[1].op, P, rows, ctxOf(plan.layers[1], 1), undefined);
  assert.ok(isPatches(Q));
  assert.equal([Q.C, Q.H, Q.W, Q.ph, Q.pw, Q.oy[0], Q.ox[0], Q.oy[1], Q.ox[1]], [3, 12, 12, 3, 3, 3, 5, -1, -1]);
  // a window as large as the layer is dense rows
  const wide = newPatches(1, 3, 12, 12, 10, 10); // 12 × 12 after a 3 × 3 conv
  const [D] = plan.layers[0].rule.patches === 'dense' ? [] : plan.layers[0].rule.patches(plan.layers[0].op, wide, { n: 1, box: new Int32Array(1), bias: new Float64Array(1) }, ctxOf(plan.layers[0], 1), undefined);
  assert.ok(D instanceof Float64Array && D.length === 2 * 12 * 12, 'a 10 × 10 window through a 3 × 3 conv covers the 12 × 12 input: expected dense rows');
});

function compareNet(net: Network, seed: number, clip01: boolean): number {
  const rng = seededRng(seed);
  const count = randInt(rng, 1, 3);
  const { boxes } = randomBoxes(rng, net, count, { maxRadius: rng() < 0.5 ? 0.05 : 0.4, clip01 });
  const withP = crownLayerBounds(net, boxes, { patches: true });
  const dense = crownLayerBounds(net, boxes, { patches: false });
  withP.forEach((b, i) => {
    for (let k = 0; k < b.lower.length; k++) {
      assert.ok(close(b.lower[k], dense[i].lower[k], 1e-9), `seed ${seed} layer ${i} (${net.layers[i].op.kind}) [${k}] lower: patches ${b.lower[k]} vs dense ${dense[i].lower[k]}`);
      assert.ok(close(b.upper[k], dense[i].upper[k], 1e-9), `seed ${seed} layer ${i} (${net.layers[i].op.kind}) [${k}] upper: patches ${b.upper[k]} vs dense ${dense[i].upper[k]}`);
    }
  });
  const labels = Array.from({ length: count }, () => randInt(rng, 0, outputSize(net) - 1));
  const spec = marginSpec(net, labels);
  const mP = boundNetworkCpu(net, boxes, { method: 'crown', spec, patches: true });
  const mD = boundNetworkCpu(net, boxes, { method: 'crown', spec, patches: false });
  for (let k = 0; k < mP.lower.length; k++) {
    assert.ok(close(mP.lower[k], mD.lower[k], 1e-9) && close(mP.upper[k], mD.upper[k], 1e-9), `seed ${seed} margin ${k}: patches [${mP.lower[k]}, ${mP.upper[k]}] vs dense [${mD.lower[k]}, ${mD.upper[k]}]`);
  }
  // sampled points (half of them corners) stay inside the patch bounds
  const P = 16, m = outputSize(net), rows = mP.rows;
  for (let b = 0; b < count; b++) {
    const pts = pointsInBox(rng, boxes, b, P);
    const vals = forwardLayers(net, pts, P);
    vals.forEach((v, i) => {
      const sz = v.length / P;
      for (let p = 0; p < P; p++) for (let j = 0; j < sz; j++) assertInside(v[p * sz + j], withP[i].lower[b * sz + j], withP[i].upper[b * sz + j], `seed ${seed} box ${b} point ${p} layer ${i} (${net.layers[i].op.kind}) neuron ${j}`);
    });
    const out = vals[vals.length - 1];
    for (let p = 0; p < P; p++) {
      marginsOf(out.subarray(p * m, (p + 1) * m), labels[b]).forEach((v, k) => assertInside(v, mP.lower[b * rows + k], mP.upper[b * rows + k], `seed ${seed} box ${b} point ${p} margin ${k}`));
    }
  }
  return count;
}

test('random CNNs: CROWN with patch rows equals all-dense CROWN (1e-9 relative), and sampled points stay inside', () => {
  let residual = 0, strided = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const net = randomCnn(seededRng(seed * 7727));
    if (net.layers.some((l) => l.op.kind === 'add')) residual++;
    if (net.layers.some((l) => l.op.kind === 'conv2d' && l.op.stride[0] === 2)) strided++;
    compareNet(net, seed, seed % 2 === 0);
  }
  assert.ok(residual >= 5 && strided >= 5, `too few residual (${residual}) or strided (${strided}) networks`);
});

test.run();
