// Branch and bound with sigmoid input cuts (src/bounds/optimise/domains.ts, src/verify/bab/search.ts)
// on random sigmoid MLPs and conv nets (ReLU, pooling, a sigmoid after the pool):
//  - domain bounds with random cuts (nested ones on the same neuron too), ReLU splits, any
//    α ∈ [0, 1] and β ≥ 0 hold at every sampled point and every PGD point that lies in the
//    domain's region;
//  - the search's proofs are never contradicted by the smallest value sampling and PGD find,
//    its counterexamples replay below the threshold, and cutting proves thresholds above the
//    root's own bound.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Network } from '../src/network.js';
import { INPUT, outputSize } from '../src/network.js';
import { forward } from '../src/forward.js';
import { inputGradient } from '../src/gradient.js';
import { planOf } from '../src/bounds/plan.js';
import { crownChunk } from '../src/bounds/crown.js';
import { boundDomains, cutPoint, type DomainParams, type Split } from '../src/bounds/optimise/domains.js';
import { generalBab } from '../src/verify/bab/search.js';
import { gaussian, randomBoxes, randomNetwork, pointsInBox, seededRng, type Rng } from './helpers/random-network.js';
import { checkDomainPoints, inSplits } from './helpers/domain-points.js';

function instance(rng: Rng, seed: number): { net: Network; lower: Float64Array; upper: Float64Array } {
  let net: Network;
  do net = randomNetwork(rng, { kind: seed % 3 === 0 ? 'conv' : 'sigmoid', depth: 2, width: 6, weightScale: 2 });
  while (!net.layers.some((l) => l.op.kind === 'sigmoid'));
  const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.3 + 0.5 * rng() });
  return { net, lower: boxes.lower, upper: boxes.upper };
}

test('domain bounds with sigmoid cuts (nested too), ReLU splits, random α and β hold at sampled and PGD points of each domain', () => {
  let checked = 0, cuts = 0;
  for (let seed = 1; seed <= 24; seed++) {
    const rng = seededRng(7000 + seed);
    const { net, lower, upper } = instance(rng, seed);
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
        for (let i = 0; i < p.outSize; i++) {
          if (rng() > 0.35) continue;
          if (p.op.kind === 'relu' && b.lower[i] < 0 && b.upper[i] > 0) splits.push({ layer: j, neuron: i, active: rng() < 0.5 });
          if (p.op.kind === 'sigmoid' && b.upper[i] - b.lower[i] > 1e-3) {
            // one cut, and sometimes a second one inside the chosen side
            let l = b.lower[i], u = b.upper[i];
            for (let t = 0; t < (rng() < 0.3 ? 2 : 1); t++) {
              const point = rng() < 0.5 ? cutPoint(l, u) : l + (0.1 + 0.8 * rng()) * (u - l);
              const active = rng() < 0.5;
              splits.push({ layer: j, neuron: i, active, point });
              if (active) l = point; else u = point;
              cuts++;
            }
          }
        }
      });
      domains.push(splits);
      const alpha: (Float64Array | undefined)[] = [];
      plan.layers.forEach((p, j) => { if (state.relax[j]?.free && rng() < 0.8) alpha[j] = Float64Array.from({ length: J * p.outSize }, () => (rng() < 0.2 ? Math.round(rng()) : rng())); });
      init.push({ alpha, beta: Float64Array.from({ length: J * splits.length }, () => 2 * rng()) });
    }
    const res = boundDomains(state, c, J, domains, init, { iterations: 2, lr: 0.2, bounds, input: { lower, upper } });
    checked += checkDomainPoints({ net, lower, upper, c, J, domains, lb: res.lb, inDomain: (splits, pts, acts, q) => inSplits(net, splits, pts, acts, q), rng, points: 120, pgdSteps: 6, label: `seed ${seed}` });
  }
  assert.ok(checked > 3000 && cuts > 100, `only ${checked} checks, ${cuts} cuts`);
});

test('search with sigmoid cuts: proofs hold against sampling and PGD, counterexamples replay, and cuts prove more than the root', async () => {
  let proved = 0, beyondRoot = 0, cexes = 0;
  for (let seed = 1; seed <= 10; seed++) {
    const rng = seededRng(9300 + seed);
    const net = randomNetwork(rng, { kind: 'sigmoid', depth: 2, width: 5, weightScale: 2.5 });
    const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.6 });
    const { lower, upper } = boxes;
    const m = outputSize(net), n0 = lower.length;
    const a = Float64Array.from({ length: m }, () => gaussian(rng));
    // the smallest a·y that sampling and PGD find
    const P = 400;
    const pts = pointsInBox(rng, boxes, 0, P);
    const cr = new Float64Array(P * m);
    for (let q = 0; q < P; q++) cr.set(a, q * m);
    let min = Infinity;
    for (let step = 0; step <= 30; step++) {
      const y = forward(net, pts, P);
      for (let q = 0; q < P; q++) { let v = 0; for (let o = 0; o < m; o++) v += a[o] * y[q * m + o]; min = Math.min(min, v); }
      const { grad } = inputGradient(net, pts, P, cr);
      for (let q = 0; q < P; q++) for (let i = 0; i < n0; i++) pts[q * n0 + i] = Math.min(upper[i], Math.max(lower[i], pts[q * n0 + i] - 0.05 * (upper[i] - lower[i]) * Math.sign(grad[q * n0 + i])));
    }
    // the root's own (α,β-optimised) bound: the margin of a threshold it clears
    const probe = await generalBab(net, lower, upper, [{ a, b: min - 100 }], { deadline: Date.now() + 1000 });
    const rootBound = probe.rootMargin + min - 100;
    for (const frac of [0.2, 0.5, 0.8, 0.95]) {
      // thresholds between the root's bound and the smallest value found
      const b = rootBound + frac * (min - rootBound);
      const res = await generalBab(net, lower, upper, [{ a, b }], {
        deadline: Date.now() + 3000, batch: 8,
        candidate: (x) => x.every((v, i) => v >= lower[i] && v <= upper[i]) && forward(net, x, 1).reduce((s, v, o) => s + a[o] * v, 0) <= b,
      });
      if (res.status === 'proved') {
        proved++;
        assert.ok(min > b - 1e-9, `seed ${seed}: proved a·y > ${b}, but a point reaches ${min}`);
        if (b > rootBound + 1e-6 && res.rootMargin <= 0) beyondRoot++;
      }
      if (res.status === 'counterexample') {
        cexes++;
        assert.ok(res.x && forward(net, res.x, 1).reduce((s, v, o) => s + a[o] * v, 0) <= b, `seed ${seed}: counterexample does not reach ${b}`);
      }
    }
    // above the attack's minimum: never proved
    const over = await generalBab(net, lower, upper, [{ a, b: min + 1e-6 }], { deadline: Date.now() + 1000, batch: 8 });
    assert.ok(over.status !== 'proved', `seed ${seed}: proved a·y > ${min + 1e-6}, but a point reaches ${min}`);
  }
  assert.ok(proved >= 8 && beyondRoot >= 3, `proved ${proved} (${beyondRoot} beyond the root's own bound), counterexamples ${cexes}`);
});

test.run();
