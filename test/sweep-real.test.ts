// The sweep scheduler on the real CPU engine: on random networks of every kind, bisection's
// verified counts equal those of bounding every (input, eps) pair on its own, for IBP and CROWN,
// and misclassified inputs are never verified.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Network } from '../src/network.js';
import { inputSize } from '../src/network.js';
import { CpuEngine } from '../src/bounds/index.js';
import type { BoundMethod } from '../src/bounds/types.js';
import { marginSpec } from '../src/spec/margins.js';
import { buildBoxes } from '../src/sweep/boxes.js';
import { predict } from '../src/sweep/classify.js';
import { runSweep, verifiedAt, verifiedCounts } from '../src/sweep/scheduler.js';
import { RANDOM_NET_KINDS, randomNetwork, seededRng } from './helpers/random-network.js';

const engine = new CpuEngine();

/** Every verified pair keeps its label at sampled corners and interior points of its box. */
async function checkSampled(net: Network, inputs: Float64Array, labels: Int32Array, eps: number[], verified: Uint8Array, count: number, where: string) {
  const n = inputSize(net);
  const rng = seededRng(5);
  const K = 40;
  for (let i = 0; i < count; i++) {
    for (let e = 0; e < eps.length; e++) {
      if (!verified[i * eps.length + e]) continue;
      const b = buildBoxes(inputs, n, [i], [eps[e]]);
      const pts = Float64Array.from({ length: K * n }, (_, k) => {
        const j = k % n, lo = b.lower[j], hi = b.upper[j];
        return k < (K / 2) * n ? (rng() < 0.5 ? lo : hi) : lo + rng() * (hi - lo);
      });
      const { predicted } = predict(net, pts, K);
      assert.ok(predicted.every((c) => c === labels[i]), `${where}: input ${i} verified at eps ${eps[e]} but a point in its box changes class`);
    }
  }
}

/** Each pair bounded in its own engine call. */
async function pairwise(net: Network, inputs: Float64Array, labels: Int32Array, candidates: number[], eps: number[], method: BoundMethod) {
  const n = inputSize(net);
  const counts = eps.map(() => 0);
  for (const i of candidates) {
    for (let e = 0; e < eps.length; e++) {
      const r = await engine.bound(net, buildBoxes(inputs, n, [i], [eps[e]]), { method, spec: marginSpec(net, [labels[i]]) });
      if (verifiedAt(r, 0)) counts[e]++;
    }
  }
  return counts;
}

for (const kind of RANDOM_NET_KINDS.filter((k) => k !== 'mixed')) {
  test(`bisection = every pair on random ${kind} networks (IBP and CROWN)`, async () => {
    let boundaries = 0; // (seed, method) runs whose counts change inside the eps list: the test bites
    for (let seed = 1; seed <= 4; seed++) {
      const rng = seededRng(seed * 101 + kind.length);
      const net = randomNetwork(rng, { kind, weightScale: kind === 'sigmoid' ? 4 : 1 });
      const n = inputSize(net);
      const count = 24;
      const inputs = Float64Array.from({ length: count * n }, () => rng());
      const { predicted } = predict(net, inputs, count);
      // mostly the predicted class (so that something verifies), some other label (misclassified)
      const labels = Int32Array.from(predicted, (p, i) => (i % 5 === 4 ? (p + 1) % Math.max(2, net.layers.at(-1)!.shape[0]) : p));
      const candidates = [...labels.keys()].filter((i) => labels[i] === predicted[i]);
      const eps = [0.001, 0.003, 0.01, 0.02, 0.04, 0.08, 0.15, 0.3, 0.6, 1];
      for (const method of ['ibp', 'crown'] as const) {
        const run = await runSweep(engine, { net, inputs, labels, count, eps, candidates }, { method, schedule: 'bisect' });
        const adaptive = await runSweep(engine, { net, inputs, labels, count, eps, candidates }, { method, pilot: 8 });
        const all = await runSweep(engine, { net, inputs, labels, count, eps, candidates }, { method, schedule: 'all' });
        const brute = await pairwise(net, inputs, labels, candidates, eps, method);
        const where = `${kind} seed ${seed} ${method}`;
        assert.equal(verifiedCounts(run, count, eps.length), brute, where);
        assert.equal(verifiedCounts(all, count, eps.length), brute, where);
        assert.equal(verifiedCounts(adaptive, count, eps.length), brute, where);
        assert.is(all.nonMonotone, 0, where);
        await checkSampled(net, inputs, labels, eps, run.verified, count, where);
        assert.ok(run.pairsBounded <= all.pairsBounded);
        if (brute[0] > brute[brute.length - 1]) boundaries++;
        if (process.env.SWEEP_DEBUG) console.log(where, brute.join(' '));
        for (let i = 0; i < count; i++) {
          if (labels[i] !== predicted[i]) for (let e = 0; e < eps.length; e++) assert.is(run.verified[i * eps.length + e], 0);
        }
      }
    }
    assert.ok(boundaries >= 4, `only ${boundaries} of 8 runs have a boundary inside the eps list`);
  });
}

test('bisection bounds far fewer pairs than every pair when most inputs verify everywhere', async () => {
  const rng = seededRng(77);
  const net = randomNetwork(rng, { kind: 'dense', depth: 2, width: 8 });
  const n = inputSize(net);
  const count = 40;
  const inputs = Float64Array.from({ length: count * n }, () => rng());
  const { predicted } = predict(net, inputs, count);
  const eps = Array.from({ length: 10 }, (_, k) => 1e-6 * (k + 1));
  const candidates = [...predicted.keys()];
  const run = await runSweep(engine, { net, inputs, labels: predicted, count, eps, candidates }, { method: 'crown' });
  assert.equal(verifiedCounts(run, count, eps.length), await pairwise(net, inputs, predicted, candidates, eps, 'crown'));
  assert.ok(run.pairsBounded <= count * 4, `${run.pairsBounded} pairs`);
});

test.run();
