// MaxPool splits in branch and bound (src/bounds/optimise/domains.ts: a split orders two inputs
// of one pool output's window, x_i ≥ x_k or x_k ≥ x_i; the loser leaves the output's candidates
// and β multiplies the order constraint):
//  - domain bounds with random pool orders (chains on one output too), ReLU splits, any α ∈ [0, 1]
//    and β ≥ 0 hold at every sampled point and every PGD point that lies in the domain's region,
//    on random conv nets (overlapping and padded pools);
//  - max(x0, x1) − x1 on the domain x0 ≥ x1: β = 1 gives the exact minimum 0, the mirrored row
//    stays below its minimum −2, and the optimiser finds β (fails if β's sign is flipped);
//  - on tiny conv + max-pool nets without ReLUs (so every split is a pool order, and no leaf
//    solver), the search's proofs and counterexamples agree with the exact MILP minimum, and it
//    proves thresholds above the root's own bound.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Network } from '../src/network.js';
import { appendLayer, INPUT, outputSize } from '../src/network.js';
import { planOf } from '../src/bounds/plan.js';
import { crownChunk } from '../src/bounds/crown.js';
import { windowsOf } from '../src/bounds/ops/window.js';
import { boundDomains, type DomainParams, type Split } from '../src/bounds/optimise/domains.js';
import { generalBab } from '../src/verify/bab/search.js';
import type { MaxPool2dOp } from '../src/network.js';
import { gaussian, randInt, randomBoxes, randomNetwork, seededRng, type Rng } from './helpers/random-network.js';
import { checkDomainPoints } from './helpers/domain-points.js';
import { babAgainstExact } from './helpers/bab-exact.js';

/** Split s holds at point q (acts: every layer's outputs of the points). */
function holds(net: Network, s: Split, pts: Float64Array, acts: Float64Array[], q: number): boolean {
  const plan = planOf(net);
  const src = plan.layers[s.layer].inputs[0], n = plan.layers[s.layer].inSizes[0];
  const x = (i: number) => (src === INPUT ? pts[q * plan.inSize + i] : acts[src][q * n + i]);
  if (s.pair) return s.active ? x(s.pair[0]) >= x(s.pair[1]) : x(s.pair[1]) >= x(s.pair[0]);
  return s.active ? x(s.neuron) >= 0 : x(s.neuron) <= 0;
}

function convPoolNet(rng: Rng): Network {
  let net: Network;
  do net = randomNetwork(rng, { kind: 'conv', depth: 2, width: 6 });
  while (!net.layers.some((l) => l.op.kind === 'maxpool2d') || net.layers.some((l) => l.op.kind === 'sigmoid'));
  return net;
}

test('domain bounds with MaxPool orders (chains too), ReLU splits, random α and β hold at sampled and PGD points of each domain', () => {
  let checked = 0, orders = 0;
  for (let seed = 1; seed <= 30; seed++) {
    const rng = seededRng(8100 + seed);
    const net = convPoolNet(rng);
    const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.2 + 0.5 * rng() });
    const { lower, upper } = boxes;
    const plan = planOf(net);
    const { state, bounds } = crownChunk(plan, { lower, upper }, 1, 64, false);
    const m = outputSize(net), J = 2;
    const c = Float64Array.from({ length: J * m }, () => gaussian(rng));
    const inB = (j: number) => { const src = plan.layers[j].inputs[0]; return src === INPUT ? { lower, upper } : bounds[src]; };
    const domains: Split[][] = [];
    const init: (DomainParams | undefined)[] = [];
    for (let d = 0; d < 6; d++) {
      const splits: Split[] = [];
      plan.layers.forEach((p, j) => {
        const b = inB(j);
        if (p.op.kind === 'relu') {
          for (let i = 0; i < p.outSize; i++) if (rng() < 0.2 && b.lower[i] < 0 && b.upper[i] > 0) splits.push({ layer: j, neuron: i, active: rng() < 0.5 });
        }
        if (p.op.kind === 'maxpool2d') {
          const { start, idx } = windowsOf(p.op as MaxPool2dOp, p.inShapes[0], p.outShape);
          for (let o = 0; o < p.outSize; o++) {
            const w = start[o + 1] - start[o];
            if (w < 2 || rng() > 0.3) continue;
            // a chain of orders on this output: pairs of its window, sometimes with a dropped input again
            for (let t = 0; t < randInt(rng, 1, 3); t++) {
              const i = idx[start[o] + randInt(rng, 0, w - 1)];
              let k = idx[start[o] + randInt(rng, 0, w - 1)];
              if (k === i) k = idx[start[o] + ((idx.indexOf(i, start[o]) - start[o] + 1) % w)];
              splits.push({ layer: j, neuron: o, active: rng() < 0.5, pair: [i, k] });
              orders++;
            }
          }
        }
      });
      domains.push(splits);
      const alpha: (Float64Array | undefined)[] = [];
      plan.layers.forEach((p, j) => { if (state.relax[j]?.free && rng() < 0.8) alpha[j] = Float64Array.from({ length: J * p.outSize }, () => (rng() < 0.2 ? Math.round(rng()) : rng())); });
      init.push({ alpha, beta: Float64Array.from({ length: J * splits.length }, () => 3 * rng()) });
    }
    const res = boundDomains(state, c, J, domains, init, { iterations: 2, lr: 0.2, bounds, input: { lower, upper } });
    checked += checkDomainPoints({ net, lower, upper, c, J, domains, lb: res.lb, inDomain: (splits, pts, acts, q) => splits.every((s) => holds(net, s, pts, acts, q)), rng, points: 150, pgdSteps: 6, label: `seed ${seed}` });
  }
  assert.ok(checked > 3000 && orders > 100, `only ${checked} checks, ${orders} orders`);
});

/** y = [max(x0, x1), x1]: [x0, x1, x1] as a 1×1×3 image, pooled in pairs (the last with the padding, so exactly x1). */
function maxMinusNet(): Network {
  const net: Network = { name: 'max-pair', inputShape: [2], layers: [], warnings: [] };
  appendLayer(net, { kind: 'dense', inFeatures: 2, outFeatures: 3, weight: Float64Array.of(1, 0, 0, 1, 0, 1), bias: new Float64Array(3) });
  appendLayer(net, { kind: 'reshape' }, 'to-image', [1, 1, 3]);
  appendLayer(net, { kind: 'maxpool2d', kernel: [1, 2], stride: [1, 2], pads: [0, 0, 0, 1] });
  appendLayer(net, { kind: 'reshape' }, 'flat', [2]);
  return net;
}

test('max(x0, x1) − x1 on x0 ≥ x1: β = 1 gives the exact 0, the mirrored row stays below −2, and the optimiser finds β', () => {
  const net = maxMinusNet();
  const lower = Float64Array.of(-1, -1), upper = Float64Array.of(1, 1);
  const plan = planOf(net);
  const { state, bounds } = crownChunk(plan, { lower, upper }, 1, 8, false);
  const pool = net.layers.findIndex((l) => l.op.kind === 'maxpool2d');
  // rows: m − x1 (minimum 0 on the domain) and x1 − m (minimum −2 there)
  const c = Float64Array.of(1, -1, -1, 1), J = 2;
  const split: Split = { layer: pool, neuron: 0, active: true, pair: [0, 1] };
  for (const beta of [0, 0.5, 1, 3]) {
    const res = boundDomains(state, c, J, [[split]], [{ alpha: [], beta: Float64Array.of(beta, beta) }], { iterations: 0, lr: 0.1, bounds, input: { lower, upper } });
    // the domain's pool is exact (one candidate), so the bound is min over the box of (1 − β)(x0 − x1)
    assert.ok(Math.abs(res.lb[0] - -2 * Math.abs(1 - beta)) < 1e-12, `β ${beta}: row m − x1 bound ${res.lb[0]}`);
    assert.ok(res.lb[0] <= 1e-12, `β ${beta}: bound ${res.lb[0]} above the minimum 0`);
    assert.ok(res.lb[1] <= -2 + 1e-12, `β ${beta}: row x1 − m bound ${res.lb[1]} above the minimum −2`);
  }
  const opt = boundDomains(state, c, J, [[split]], [undefined], { iterations: 40, lr: 0.1, bounds, input: { lower, upper } });
  assert.ok(opt.lb[0] > -0.05 && opt.lb[0] <= 1e-12, `optimised β: ${opt.lb[0]}`);
  // the other side x1 ≥ x0 drops x0: m = x1 exactly, so m − x1 = 0
  const other = boundDomains(state, c, J, [[{ ...split, active: false }]], [undefined], { iterations: 0, lr: 0.1, bounds, input: { lower, upper } });
  assert.ok(Math.abs(other.lb[0]) < 1e-12, `x1 ≥ x0: ${other.lb[0]}`);
  // the unsplit root: CROWN's bound of max(x0, x1) − x1 over the box is below 0
  const root = boundDomains(state, c, J, [[]], [undefined], { iterations: 0, lr: 0.1, bounds, input: { lower, upper } });
  assert.ok(root.lb[0] < -0.5, `root ${root.lb[0]}`);
  // the search splits the pool to prove m − x1 > −0.5 (no ReLU, no leaf solver; β must reach 0.75)
  const bab = generalBab(net, lower, upper, [{ a: Float64Array.of(1, -1), b: -0.5 }], { deadline: Date.now() + 10_000, batch: 4 });
  return bab.then((r) => assert.is(r.status, 'proved', `search: ${r.status} ${r.why ?? ''}`));
});

/** input [1, h, w] → conv (2 channels) → max-pool → flatten → dense 3: no ReLU, so only pool orders split. */
function convPoolOnly(rng: Rng): Network {
  const h = randInt(rng, 3, 5), w = randInt(rng, 3, 5);
  const net: Network = { name: 'conv-pool', inputShape: [1, h, w], layers: [], warnings: [] };
  const randn = (n: number, s: number) => Float64Array.from({ length: n }, () => s * gaussian(rng));
  appendLayer(net, { kind: 'conv2d', inChannels: 1, outChannels: 2, kernel: [2, 2], stride: [1, 1], pads: [0, 0, 0, 0], weight: randn(8, 0.8), bias: randn(2, 0.3) });
  const s = randInt(rng, 1, 2);
  appendLayer(net, { kind: 'maxpool2d', kernel: [2, 2], stride: [s, s], pads: [0, 0, 0, 0] });
  const [C, H, W] = net.layers[net.layers.length - 1].shape;
  appendLayer(net, { kind: 'reshape' }, 'flatten', [C * H * W]);
  appendLayer(net, { kind: 'dense', inFeatures: C * H * W, outFeatures: 3, weight: randn(3 * C * H * W, 0.8), bias: randn(3, 0.3) });
  return net;
}

test('conv + max-pool nets without ReLUs: pool-order proofs and counterexamples agree with the exact MILP, beyond the root bound', async () => {
  const tally = { proved: 0, cexes: 0, beyondRoot: 0 };
  for (let seed = 1; seed <= 10; seed++) {
    const rng = seededRng(8600 + seed);
    const net = convPoolOnly(rng);
    const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.3 + 0.3 * rng() });
    const { lower, upper } = boxes;
    const m = outputSize(net);
    const a = Float64Array.from({ length: m }, () => gaussian(rng));
    await babAgainstExact(net, lower, upper, a, (min) => [min - 0.2 * (1 + Math.abs(min)), min - 0.02 * (1 + Math.abs(min)), min + 1e-5, min + 0.3 * (1 + Math.abs(min))], tally, `seed ${seed}`);
  }
  const { proved, cexes, beyondRoot } = tally;
  console.log(`proved ${proved} (${beyondRoot} beyond the root), counterexamples ${cexes}`);
  assert.ok(proved >= 6 && cexes >= 6 && beyondRoot >= 3, `proved ${proved} (${beyondRoot} beyond the root bound), counterexamples ${cexes}`);
});

test.run();
