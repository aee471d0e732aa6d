// The reverse sweep on patch rows (src/bounds/backward.ts with the rules' reversePatches) against
// dense rows, and α-CROWN's intermediate refinement on windows (src/bounds/optimise/alpha.ts):
//  - on random CNNs (stride 1 and 2, padding, Pad ops, max and average pooling, sigmoid, residual
//    adds), rows ±e_k of every convolutional layer, with random α on every free layer below, give
//    from 1 × 1 windows the same bound (1e-9 relative) and the same d bound / d α at every neuron
//    (1e-9 relative) as the same rows given dense;
//  - the window gradients match finite differences of the bound;
//  - alphaBox with intermediate refinement on windows gives every layer's bounds and the output
//    bounds of the dense refinement (to 1e-6), and points sampled in the box stay inside them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { outputSize } from '../src/network.js';
import { forwardLayers } from '../src/forward.js';
import { planOf } from '../src/bounds/plan.js';
import { crownChunk } from '../src/bounds/crown.js';
import { backwardPass } from '../src/bounds/backward.js';
import { alphaBox } from '../src/bounds/optimise/alpha.js';
import { chwOf, toDense, unitPatches } from '../src/bounds/patches.js';
import type { LayerParams } from '../src/bounds/relax/types.js';
import { gaussian, randInt, randomBoxes, pointsInBox, seededRng } from './helpers/random-network.js';
import { randomCnn } from './helpers/random-cnn.js';
import { assertInside } from './helpers/bounds-check.js';

const close = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol * (1 + Math.abs(a) + Math.abs(b));

/** Random α in [0, 1] (some at the ends) for every free layer below `start`, for R rows. */
function randomAlpha(rng: () => number, relax: ReturnType<typeof crownChunk>['state']['relax'], sizes: number[], start: number, R: number): (LayerParams | undefined)[] {
  const layer: (LayerParams | undefined)[] = [];
  for (let j = 0; j < start; j++) {
    if (!relax[j]?.free?.some((f) => f === 1)) continue;
    layer[j] = { alpha: Float64Array.from({ length: R * sizes[j] }, () => (rng() < 0.2 ? Math.round(rng()) : rng())) };
  }
  return layer;
}

test('window rows give the dense rows\' bound and d bound / d α at every neuron (random CNNs, random α)', () => {
  let layersChecked = 0, gradsNonzero = 0;
  const kinds = new Set<string>();
  for (let seed = 1; seed <= 30; seed++) {
    const rng = seededRng(seed * 7919 + 11);
    const net = randomCnn(rng);
    const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.3 });
    const plan = planOf(net);
    const { state } = crownChunk(plan, boxes, 1, 64, false);
    const sizes = plan.layers.map((p) => p.outSize);
    plan.layers.forEach((p, i) => {
      const chw = chwOf(p.outShape);
      if (p.rule.patches === 'dense' || !chw || chw[1] * chw[2] <= 1 || i === 0) return;
      const R = 2 * randInt(rng, 1, 4);
      const at = Int32Array.from({ length: R }, (_, r) => (r % 2 ? 0 : randInt(rng, 0, p.outSize - 1)));
      for (let r = 1; r < R; r += 2) at[r] = at[r - 1];
      const sign = Float64Array.from({ length: R }, (_, r) => (r % 2 ? -1 : 1));
      const layer = randomAlpha(rng, state.relax, sizes, i, R);
      const gradOf = () => layer.map((l, j) => (l ? { alpha: new Float64Array(R * sizes[j]) } : undefined));
      const gP = gradOf(), gD = gradOf();
      const rows = () => ({ n: R, box: new Int32Array(R), bias: new Float64Array(R) });
      const P = unitPatches(chw, at, sign, R);
      const D = toDense(P);
      const lbP = backwardPass(state, i, P, rows(), { layer, grad: gP });
      const lbD = backwardPass(state, i, D, rows(), { layer, grad: gD });
      for (let r = 0; r < R; r++) assert.ok(close(lbP[r], lbD[r], 1e-9), `seed ${seed} layer ${i} row ${r}: windows ${lbP[r]}, dense ${lbD[r]}`);
      gD.forEach((g, j) => {
        if (!g) return;
        for (let q = 0; q < g.alpha!.length; q++) {
          assert.ok(close(gP[j]!.alpha![q], g.alpha![q], 1e-9), `seed ${seed} rows on layer ${i}, α of layer ${j} (${plan.layers[j].op.kind})[${q}]: windows ${gP[j]!.alpha![q]}, dense ${g.alpha![q]}`);
          if (g.alpha![q] !== 0) gradsNonzero++;
        }
        kinds.add(plan.layers[j].op.kind);
      });
      for (let j = 0; j < i; j++) if (state.relax[j]) kinds.add(`${plan.layers[j].op.kind} below`);
      layersChecked++;
    });
  }
  for (const k of ['relu', 'maxpool2d']) assert.ok(kinds.has(k), `no α of a ${k} layer was checked`);
  assert.ok(layersChecked > 40 && gradsNonzero > 500, `${layersChecked} layers, ${gradsNonzero} non-zero gradients`);
});

test('window gradients match finite differences of the bound', () => {
  let checked = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const rng = seededRng(seed * 104723 + 5);
    const net = randomCnn(rng);
    const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.3 });
    const plan = planOf(net);
    const { state } = crownChunk(plan, boxes, 1, 64, false);
    const sizes = plan.layers.map((p) => p.outSize);
    // the deepest convolutional layer with windows
    let i = -1;
    plan.layers.forEach((p, j) => { const chw = chwOf(p.outShape); if (p.rule.patches !== 'dense' && chw && chw[1] * chw[2] > 1 && j > 0) i = j; });
    if (i < 0) continue;
    const chw = chwOf(plan.layers[i].outShape)!;
    const R = 2, k = randInt(rng, 0, plan.layers[i].outSize - 1);
    const at = Int32Array.of(k, k), sign = Float64Array.of(1, -1);
    const layer = randomAlpha(rng, state.relax, sizes, i, R);
    const bound = (l: (LayerParams | undefined)[], grad?: (LayerParams | undefined)[]) =>
      backwardPass(state, i, unitPatches(chw, at, sign, R), { n: R, box: new Int32Array(R), bias: new Float64Array(R) }, { layer: l, grad });
    const grad = layer.map((l, j) => (l ? { alpha: new Float64Array(R * sizes[j]) } : undefined));
    bound(layer, grad);
    const h = 1e-6;
    layer.forEach((l, j) => {
      if (!l) return;
      const a = l.alpha!;
      // a few entries with a gradient, and a few without
      // (α ∈ {0, 1} can sit on a kink: a coefficient that is exactly 0 there changes sign on either side)
      const idx = [...a.keys()].filter((q) => grad[j]!.alpha![q] !== 0 && a[q] > 0 && a[q] < 1);
      for (const q of [...idx.slice(0, 6), randInt(rng, 0, a.length - 1)]) {
        const r = Math.floor(q / sizes[j]), v = a[q];
        const lo = Math.max(0, v - h), hi = Math.min(1, v + h);
        a[q] = hi; const up = bound(layer)[r];
        a[q] = v; const mid = bound(layer)[r];
        a[q] = lo; const down = bound(layer)[r];
        a[q] = v;
        const right = hi > v ? (up - mid) / (hi - v) : NaN, left = v > lo ? (mid - down) / (v - lo) : NaN;
        const g = grad[j]!.alpha![q];
        const ok = (fd: number) => Math.abs(g - fd) <= 1e-5 * (1 + Math.abs(fd));
        assert.ok(ok(right) || ok(left), `seed ${seed} rows on layer ${i}, α of layer ${j} (${plan.layers[j].op.kind})[${q}]: gradient ${g}, finite differences ${left} / ${right}`);
        checked++;
      }
    });
  }
  assert.ok(checked > 60, `only ${checked} entries checked`);
});

test('α-CROWN with intermediate refinement on windows equals the dense refinement, and sampled points stay inside', () => {
  let compared = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const rng = seededRng(seed * 611953 + 3);
    const net = randomCnn(rng);
    const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.2 + 0.2 * rng() });
    const { lower, upper } = boxes;
    const m = outputSize(net);
    const c = Float64Array.from({ length: 2 * m }, () => gaussian(rng));
    const opts = (dense: boolean) => ({ iterations: 6, lr: 0.1, deadline: Infinity, intermediate: { iterations: 4, deadline: Infinity, dense } });
    const win = alphaBox(net, lower, upper, c, 2, opts(false));
    const den = alphaBox(net, lower, upper, c, 2, opts(true));
    for (let r = 0; r < 2; r++) assert.ok(close(win.best[r], den.best[r], 1e-6), `seed ${seed} row ${r}: windows ${win.best[r]}, dense ${den.best[r]}`);
    win.bounds.forEach((b, j) => {
      for (let k = 0; k < b.lower.length; k++) {
        assert.ok(close(b.lower[k], den.bounds[j].lower[k], 1e-6) && close(b.upper[k], den.bounds[j].upper[k], 1e-6), `seed ${seed} layer ${j}[${k}]: windows [${b.lower[k]}, ${b.upper[k]}], dense [${den.bounds[j].lower[k]}, ${den.bounds[j].upper[k]}]`);
        compared++;
      }
    });
    const P = 200;
    const pts = pointsInBox(rng, { lower, upper, count: 1 }, 0, P);
    const acts = forwardLayers(net, pts, P);
    win.bounds.forEach((b, j) => {
      const n = b.lower.length;
      for (let q = 0; q < P; q++) for (let k = 0; k < n; k++) assertInside(acts[j][q * n + k], b.lower[k], b.upper[k], `seed ${seed} layer ${j}[${k}] point ${q}`);
    });
    const y = acts[acts.length - 1];
    for (let q = 0; q < P; q++) for (let r = 0; r < 2; r++) {
      let v = 0;
      for (let o = 0; o < m; o++) v += c[r * m + o] * y[q * m + o];
      assert.ok(v >= win.best[r] - 1e-9 * (1 + Math.abs(v)), `seed ${seed} row ${r} point ${q}: ${v} below ${win.best[r]}`);
    }
  }
  assert.ok(compared > 1000, `only ${compared} bounds compared`);
});

test.run();
