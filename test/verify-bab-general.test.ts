// Branch and bound on the engine (src/verify/bab/search.ts, domains bounded by
// src/bounds/optimise/domains.ts) on random dense, conv (pad/affine/maxpool/avgpool) and
// residual networks: domain bounds with any inherited α ∈ [0, 1] and β ≥ 0 hold at every
// sampled point that satisfies the domain's splits; proofs agree with the exact MILP minimum,
// counterexamples replay and lie below the threshold, with BaBSR alone and with filtered smart
// branching (half the seeds each).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Network } from '../src/network.js';
import { INPUT, appendLayer, outputSize } from '../src/network.js';
import { forwardLayers } from '../src/forward.js';
import { planOf } from '../src/bounds/plan.js';
import { crownChunk } from '../src/bounds/crown.js';
import { boundDomains, type DomainParams, type Split } from '../src/bounds/optimise/domains.js';
import { gaussian, randomBoxes, randomNetwork, pointsInBox, seededRng, type Rng } from './helpers/random-network.js';
import { tolOf } from './helpers/bounds-check.js';
import { babAgainstExact } from './helpers/bab-exact.js';
import { unstableReLUs } from './helpers/domain-points.js';

function instance(rng: Rng, seed: number): { net: Network; lower: Float64Array; upper: Float64Array } {
  const kinds = ['dense', 'conv', 'residual'] as const;
  let net: Network;
  do net = randomNetwork(rng, { kind: kinds[seed % 3], depth: 2, width: 6 });
  while (net.layers.some((l) => l.op.kind === 'sigmoid'));
  const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.2 + 0.4 * rng() });
  return { net, lower: boxes.lower, upper: boxes.upper };
}

test('domain bounds (random splits, random α and β) hold at sampled points satisfying the splits', () => {
  let checked = 0;
  for (let seed = 1; seed <= 24; seed++) {
    const rng = seededRng(500 + seed);
    const { net, lower, upper } = instance(rng, seed);
    const plan = planOf(net);
    const { state, bounds } = crownChunk(plan, { lower, upper }, 1, 64, false);
    const m = outputSize(net), J = 2;
    const c = Float64Array.from({ length: J * m }, () => gaussian(rng));
    const unstable = unstableReLUs(plan.layers, bounds, lower, upper);
    const domains: Split[][] = [];
    const init: (DomainParams | undefined)[] = [];
    for (let d = 0; d < 4; d++) {
      const splits: Split[] = unstable.filter(() => rng() < 0.4).map(([layer, neuron]) => ({ layer, neuron, active: rng() < 0.5 }));
      domains.push(splits);
      const alpha: (Float64Array | undefined)[] = [];
      plan.layers.forEach((p, j) => { if (p.op.kind === 'relu' && rng() < 0.7) alpha[j] = Float64Array.from({ length: J * p.outSize }, () => rng()); });
      init.push({ alpha, beta: Float64Array.from({ length: J * splits.length }, () => 2 * rng()) });
    }
    const res = boundDomains(state, c, J, domains, init, { iterations: 3, lr: 0.1, bounds, input: { lower, upper } });
    const P = 200, n = lower.length;
    const pts = pointsInBox(rng, { lower, upper, count: 1 }, 0, P);
    const acts = forwardLayers(net, pts, P);
    const y = acts[acts.length - 1];
    domains.forEach((splits, d) => {
      for (let q = 0; q < P; q++) {
        const inside = splits.every((s) => {
          const src = plan.layers[s.layer].inputs[0];
          const z = src === INPUT ? pts[q * n + s.neuron] : acts[src][q * plan.layers[s.layer].outSize + s.neuron];
          return s.active ? z >= 0 : z <= 0;
        });
        if (!inside) continue;
        for (let j = 0; j < J; j++) {
          let v = 0;
          for (let o = 0; o < m; o++) v += c[j * m + o] * y[q * m + o];
          assert.ok(v >= res.lb[d * J + j] - tolOf(v), `seed ${seed} domain ${d} (${splits.length} splits) row ${j}: ${v} below ${res.lb[d * J + j]}`);
          checked++;
        }
      }
    });
  }
  assert.ok(checked > 500, `only ${checked} checks`);
});

test('proofs agree with the exact MILP minimum; counterexamples replay (dense, conv, residual)', async () => {
  const tally = { proved: 0, cexes: 0, beyondRoot: 0 };
  for (let seed = 1; seed <= 12; seed++) {
    const rng = seededRng(900 + seed);
    const { net, lower, upper } = instance(rng, seed);
    const m = outputSize(net);
    const a = Float64Array.from({ length: m }, () => gaussian(rng));
    await babAgainstExact(net, lower, upper, a, (min) => [min - 0.2 * (1 + Math.abs(min)), min - 1e-5, min + 1e-5, min + 0.3 * (1 + Math.abs(min))], tally, `seed ${seed}`, { filter: seed % 2 ? 3 : 1 });
  }
  const { proved, cexes } = tally;
  assert.ok(proved >= 6 && cexes >= 6, `proved ${proved}, counterexamples ${cexes}`);
});

test('a row that vanishes on its domain (both output ReLUs split inactive) still gets branching candidates below', () => {
  // y_0 − y_1 is the constant 0 on the domain: no BaBSR candidate (every coefficient below is 0),
  // yet the domain is decided only by splits below (or by finding it empty), not by a leaf MILP
  let tried = 0;
  for (let seed = 1; seed <= 30 && tried < 8; seed++) {
    const rng = seededRng(1300 + seed);
    const net = randomNetwork(rng, { kind: 'dense', depth: 2, width: 6, outputs: 2 });
    appendLayer(net, { kind: 'relu' });
    const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.5 });
    const plan = planOf(net);
    const { state, bounds } = crownChunk(plan, boxes, 1, 64, false);
    const last = plan.layers.length - 1, z = bounds[plan.layers[last].inputs[0]];
    const unstable = (j: number) => { const b = bounds[plan.layers[j].inputs[0]]; return Array.from(b.lower).filter((l, i) => l < 0 && b.upper[i] > 0).length; };
    // both output ReLUs unstable, and some ReLU below them too
    if (!(z.lower[0] < 0 && z.upper[0] > 0 && z.lower[1] < 0 && z.upper[1] > 0)) continue;
    const below = plan.layers.map((p, j) => (p.op.kind === 'relu' && j !== last ? unstable(j) : 0)).reduce((a, b) => a + b, 0);
    if (below === 0) continue;
    tried++;
    const splits: Split[] = [{ layer: last, neuron: 0, active: false }, { layer: last, neuron: 1, active: false }];
    const res = boundDomains(state, Float64Array.of(1, -1), 1, [splits], [undefined], { iterations: 2, lr: 0.1, bounds, input: boxes, topK: 2 });
    if (res.lb[0] === Infinity) continue; // found empty: decided without a split
    assert.ok(res.branchLayer[0] >= 0 && res.branchLayer[0] !== last, `seed ${seed}: no candidate below the output (${res.branchLayer[0]})`);
    const b = bounds[plan.layers[res.branchLayer[0]].inputs[0]], i = res.branchNeuron[0];
    assert.ok(b.lower[i] < 0 && b.upper[i] > 0, `seed ${seed}: candidate ${res.branchLayer[0]}:${i} is not unstable`);
  }
  assert.ok(tried >= 4, `only ${tried} networks had unstable outputs and neurons below`);
});

test.run();
