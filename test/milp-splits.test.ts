// The MILP of a branch-and-bound domain (src/milp/encode/network.ts with `splits`, what the leaves
// of src/verify/bab/leaf.ts solve): every sampled point of the domain is feasible for it (so
// 'infeasible' proves the domain empty of counterexamples), and its points satisfy the split
// sign conditions (the splits are rows, not dropped; HiGHS's MIP here, since the default solver
// may also return any replayed point of the box, which is a counterexample all the same), on
// dense and conv nets with max-pooling.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Network } from '../src/network.js';
import { INPUT, outputSize } from '../src/network.js';
import { forwardLayers } from '../src/forward.js';
import { crownLayerBounds } from '../src/bounds/index.js';
import type { Split } from '../src/bounds/optimise/domains.js';
import { milpFindInSet } from '../src/milp/index.js';
import { gaussian, pointsInBox, randomBoxes, randomNetwork, seededRng } from './helpers/random-network.js';
import { unstableReLUs } from './helpers/domain-points.js';

/** The value feeding split s's ReLU at point q of a forwardLayers batch. */
function preValue(net: Network, acts: ArrayLike<number>[], x: Float64Array, q: number, s: Split): number {
  const src = net.layers[s.layer].inputs[0];
  const n = net.layers[s.layer].shape.reduce((a, b) => a * b, 1);
  return src === INPUT ? x[q * n + s.neuron] : acts[src][q * n + s.neuron];
}

test('domain MILPs contain every sampled point of the domain, and their points obey the splits', async () => {
  let feasible = 0, witnesses = 0;
  for (let seed = 1; seed <= 16; seed++) {
    const rng = seededRng(4100 + seed);
    let net: Network;
    do net = randomNetwork(rng, { kind: seed % 2 ? 'dense' : 'conv', depth: 2, width: 6 });
    while (net.layers.some((l) => l.op.kind === 'sigmoid'));
    const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.3 + 0.3 * rng() });
    const box = { lower: boxes.lower, upper: boxes.upper };
    const bounds = crownLayerBounds(net, { ...box, count: 1 });
    const unstable = unstableReLUs(net.layers, bounds, box.lower, box.upper);
    if (!unstable.length) continue;
    const m = outputSize(net), P = 300;
    const pts = pointsInBox(rng, { ...boxes, count: 1 }, 0, P);
    const acts = forwardLayers(net, pts, P);
    const y = acts[acts.length - 1];
    for (let d = 0; d < 3; d++) {
      // a domain some sampled point lies in: the signs at a random sample, on a random subset
      const q0 = Math.floor(rng() * P);
      const splits: Split[] = unstable.filter(() => rng() < 0.5).map(([layer, neuron]) => ({ layer, neuron, active: preValue(net, acts, pts, q0, { layer, neuron, active: true }) >= 0 }));
      const a = Float64Array.from({ length: m }, () => gaussian(rng));
      // the least a·y over the samples inside the domain: the domain's MILP must reach it
      let best = Infinity;
      for (let q = 0; q < P; q++) {
        if (!splits.every((s) => (s.active ? preValue(net, acts, pts, q, s) >= 0 : preValue(net, acts, pts, q, s) <= 0))) continue;
        let v = 0;
        for (let o = 0; o < m; o++) v += a[o] * y[q * m + o];
        best = Math.min(best, v);
      }
      assert.ok(Number.isFinite(best), 'the sample the domain was made from lies in it');
      const conj = { rows: 1, a, b: new Float64Array([best + 1e-9 * (1 + Math.abs(best))]) };
      const res = await milpFindInSet(net, box, [conj], { timeLimitS: 20, layerBounds: bounds, splits, solver: d === 2 ? 'bab' : 'mip' });
      assert.is.not(res.status, 'infeasible', `seed ${seed} domain ${d}: a sampled point of the domain reaches ${best}`);
      feasible++;
      if (res.witness && d < 2) {
        witnesses++;
        const x = res.witness.input;
        const xa = forwardLayers(net, x, 1);
        for (const s of splits) {
          const z = preValue(net, xa, x, 0, s);
          assert.ok(s.active ? z >= -1e-6 : z <= 1e-6, `seed ${seed} domain ${d}: the point breaks split ${JSON.stringify(s)} (z = ${z})`);
        }
      }
    }
  }
  assert.ok(feasible >= 30 && witnesses >= 12, `feasible ${feasible}, witnesses ${witnesses}`);
});

test.run();
