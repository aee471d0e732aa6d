// α-CROWN on the engine's one backward pass (src/bounds/optimise/alpha.ts), on random networks
// of every kind (dense, sigmoid, conv with pad/affine/maxpool/avgpool, residual): its output
// bounds never fall below CROWN's (without refined intermediate bounds the first pass is CROWN
// itself) and rise above them on some rows; no sampled point and no PGD point falls below them
// or outside the α-refined intermediate bounds; the refined bounds contain every layer's exact
// (MILP) extremes on small conv and dense nets; decided rows stop.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Network } from '../src/network.js';
import { outputSize } from '../src/network.js';
import { boundNetworkCpu, crownLayerBounds } from '../src/bounds/index.js';
import { alphaBox } from '../src/bounds/optimise/alpha.js';
import { forwardLayers } from '../src/forward.js';
import { inputGradient } from '../src/gradient.js';
import { milpMinimizeLinear } from '../src/milp/verify.js';
import { RANDOM_NET_KINDS, gaussian, randomBoxes, randomNetwork, pointsInBox, seededRng, type Rng } from './helpers/random-network.js';
import { assertInside, tolOf } from './helpers/bounds-check.js';

function instance(rng: Rng, kind: (typeof RANDOM_NET_KINDS)[number]) {
  const net = randomNetwork(rng, { kind, depth: 2 + Math.floor(rng() * 2) });
  const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.5 });
  const m = outputSize(net), R = 3;
  const c = Float64Array.from({ length: R * m }, () => gaussian(rng));
  return { net, lower: boxes.lower, upper: boxes.upper, boxes, c, R, m };
}

for (const kind of RANDOM_NET_KINDS) {
  test(`${kind} networks: α-CROWN bounds are never below CROWN's, above on some rows, and hold at sampled and PGD points (intermediate bounds too)`, () => {
    let improved = 0, rows = 0, points = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const rng = seededRng(seed * 4099 + kind.length);
      const { net, lower, upper, boxes, c, R, m } = instance(rng, kind);
      const crown = boundNetworkCpu(net, boxes, { method: 'crown', spec: { c, rows: R, shared: true } });
      const plain = alphaBox(net, lower, upper, c, R, { iterations: 30, lr: 0.1, deadline: Infinity });
      const crownLayers = crownLayerBounds(net, boxes);
      const refined = alphaBox(net, lower, upper, c, R, { iterations: 30, lr: 0.1, deadline: Infinity, intermediate: { iterations: 15, deadline: Infinity, crown: crownLayers } });
      for (let r = 0; r < R; r++) {
        rows++;
        assert.ok(plain.best[r] >= crown.lower[r] - tolOf(crown.lower[r]), `${kind} seed ${seed} row ${r}: α ${plain.best[r]} below CROWN ${crown.lower[r]}`);
        if (plain.best[r] > crown.lower[r] + 1e-6) improved++;
      }
      // intermediate bounds never looser than CROWN's (the output layer: only its interval here)
      refined.bounds.forEach((b, i) => {
        if (i === net.layers.length - 1) return;
        for (let k = 0; k < b.lower.length; k++) {
          assert.ok(b.lower[k] >= crownLayers[i].lower[k] - tolOf(b.lower[k]) && b.upper[k] <= crownLayers[i].upper[k] + tolOf(b.upper[k]), `${kind} seed ${seed} layer ${i} neuron ${k}: [${b.lower[k]}, ${b.upper[k]}] looser than CROWN [${crownLayers[i].lower[k]}, ${crownLayers[i].upper[k]}]`);
        }
      });
      // sampled points, then PGD on each row from them
      const P = 20, n = lower.length;
      for (let r = 0; r < R; r++) {
        const x = pointsInBox(rng, boxes, 0, P);
        const cr = new Float64Array(P * m);
        for (let q = 0; q < P; q++) cr.set(c.subarray(r * m, (r + 1) * m), q * m);
        for (let step = 0; step <= 8; step++) {
          const acts = forwardLayers(net, x, P);
          const y = acts[acts.length - 1];
          for (let q = 0; q < P; q++) {
            let v = 0;
            for (let o = 0; o < m; o++) v += c[r * m + o] * y[q * m + o];
            for (const [name, res] of [['α', plain], ['α with refined layers', refined]] as const) {
              if (!(v >= res.best[r] - tolOf(v))) assert.unreachable(`${kind} seed ${seed} row ${r} step ${step}: c·y = ${v} below the ${name} bound ${res.best[r]}`);
            }
            if (r === 0) acts.forEach((a, i) => {
              const size = a.length / P;
              for (let k = 0; k < size; k++) assertInside(a[q * size + k], refined.bounds[i].lower[k], refined.bounds[i].upper[k], `${kind} seed ${seed} layer ${i} (${net.layers[i].op.kind}) neuron ${k}`);
            });
            points++;
          }
          const { grad } = inputGradient(net, x, P, cr);
          for (let q = 0; q < P; q++) for (let i = 0; i < n; i++) {
            x[q * n + i] = Math.min(upper[i], Math.max(lower[i], x[q * n + i] - 0.15 * (upper[i] - lower[i]) * Math.sign(grad[q * n + i])));
          }
        }
      }
    }
    assert.ok(points > 1000, `only ${points} points`);
    assert.ok(improved > 0, `α never beat CROWN (${rows} rows)`);
  });
}

test('α-refined intermediate bounds contain the exact (MILP) extremes of every neuron (small conv and dense nets)', async () => {
  let checked = 0, unsolved = 0;
  for (let seed = 1; seed <= 4; seed++) {
    const rng = seededRng(seed * 131 + 7);
    let net: Network;
    do net = randomNetwork(rng, { kind: seed % 2 ? 'conv' : 'dense', depth: 2, width: 5 });
    while (net.layers.some((l) => l.op.kind === 'sigmoid'));
    const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.6 });
    const box = { lower: boxes.lower, upper: boxes.upper };
    const res = alphaBox(net, box.lower, box.upper, new Float64Array(outputSize(net)), 1, { iterations: 0, lr: 0.1, deadline: Infinity, intermediate: { iterations: 20, deadline: Infinity, batch: 8 } });
    for (let i = 0; i < net.layers.length - 1; i++) {
      const kind = net.layers[i].op.kind;
      if (kind !== 'dense' && kind !== 'conv2d') continue;
      const cut: Network = { ...net, layers: net.layers.slice(0, i + 1) };
      const b = res.bounds[i];
      for (let k = 0; k < b.lower.length; k++) {
        if (!(b.lower[k] < 0 && b.upper[k] > 0)) continue; // stable ones cannot be refined
        const e = new Float64Array(b.lower.length);
        e[k] = 1;
        const min = await milpMinimizeLinear(cut, box, e, { timeLimitS: 5, solver: 'mip' });
        e[k] = -1;
        const max = await milpMinimizeLinear(cut, box, e, { timeLimitS: 5, solver: 'mip' });
        if (min.status !== 'optimal' || max.status !== 'optimal') { unsolved++; continue; }
        assert.ok(b.lower[k] <= min.value! + 1e-7 && b.upper[k] >= -max.value! - 1e-7, `seed ${seed} layer ${i} neuron ${k}: [${b.lower[k]}, ${b.upper[k]}] vs exact [${min.value}, ${-max.value!}]`);
        checked++;
      }
    }
  }
  assert.ok(checked > 10 && unsolved <= checked / 5, `only ${checked} neurons checked (${unsolved} MILPs unsolved in time)`);
});

test('rows already decided stop: no Adam step when every row starts above stopAbove', () => {
  const rng = seededRng(3);
  const { net, lower, upper, c, R } = instance(rng, 'conv');
  const res = alphaBox(net, lower, upper, c, R, { iterations: 50, lr: 0.1, deadline: Infinity, stopAbove: new Float64Array(R).fill(-1e9) });
  assert.is(res.iterations, 0);
  const all = alphaBox(net, lower, upper, c, R, { iterations: 5, lr: 0.1, deadline: Infinity });
  assert.is(all.iterations, 5);
});

test.run();
