// The sweep's shortcuts keep CROWN's verdicts: with layer bounds carried from a larger epsilon
// to the smaller ones of the same input (scheduler.ts PriorStore, crown-chain.ts), bisection and
// the adaptive plan give the same verified counts per epsilon as bounding every (input, eps)
// pair on its own with plain CROWN, on the bundled MLP and on the 256x6 ERAN MLP of ../shared;
// the carried bounds are sound (sampled points of the smaller box stay inside its bounds), and
// they are used (probes start from them).
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { boundNetworkCpu, CpuEngine } from '../src/bounds/index.js';
import { planOf } from '../src/bounds/plan.js';
import { priorLayout } from '../src/bounds/crown-chain.js';
import { forward } from '../src/forward.js';
import { inputSize, logitNetwork, outputSize } from '../src/network.js';
import { loadNetwork } from '../src/models.js';
import { loadDataset } from '../src/data/load.js';
import { marginSpec } from '../src/spec/margins.js';
import { buildBoxes } from '../src/sweep/boxes.js';
import { predict } from '../src/sweep/classify.js';
import { runSweep, verifiedAt, verifiedCounts } from '../src/sweep/scheduler.js';
import type { Network } from '../src/network.js';
import { benchDir, guard, sharedMissing } from './helpers/requires.js';
import { pointsInBox, randomNetwork, seededRng } from './helpers/random-network.js';

const engine = new CpuEngine();

test('layer bounds of a larger box, carried into a smaller one, keep every sampled point inside', () => {
  const rng = seededRng(31);
  let used = 0;
  for (let t = 0; t < 20; t++) {
    const net = randomNetwork(rng, { kind: 'dense', depth: 3, width: 24 });
    const n = inputSize(net), m = outputSize(net);
    const count = 4;
    const centres = Float64Array.from({ length: count * n }, () => rng());
    const which = [0, 1, 2, 3];
    const big = buildBoxes(centres, n, which, [0.2, 0.1, 0.3, 0.05]);
    const small = buildBoxes(centres, n, which, [0.1, 0.1, 0.02, 0.01]);
    const P = priorLayout(planOf(net)).size;
    const keep = { lower: new Float64Array(count * P), upper: new Float64Array(count * P), has: new Uint8Array(count) };
    boundNetworkCpu(net, big, { method: 'crown', keep });
    assert.equal(Array.from(keep.has), [1, 1, 1, 1]);
    const r = boundNetworkCpu(net, small, { method: 'crown', prior: keep });
    const plain = boundNetworkCpu(net, small, { method: 'crown' });
    for (let b = 0; b < count; b++) {
      const pts = pointsInBox(rng, small, b, 30);
      const y = forward(net, pts, 30);
      for (let p = 0; p < 30; p++) {
        for (let j = 0; j < m; j++) {
          const v = y[p * m + j];
          assert.ok(v >= r.lower[b * m + j] - 1e-9 && v <= r.upper[b * m + j] + 1e-9, `trial ${t} box ${b} output ${j}: ${v} outside [${r.lower[b * m + j]}, ${r.upper[b * m + j]}]`);
        }
      }
    }
    // the prior is read: a (deliberately wrong) prior pinning every carried neuron to 0 changes the bounds
    const pinned = { lower: new Float64Array(count * P), upper: new Float64Array(count * P), has: new Uint8Array(count).fill(1) };
    const w = boundNetworkCpu(net, small, { method: 'crown', prior: pinned });
    for (let k = 0; k < w.lower.length; k++) if (!Object.is(w.lower[k], plain.lower[k])) { used++; break; }
  }
  assert.ok(used >= 15, `a pinned prior changed the bounds in ${used} of 20 trials`);
});

async function sweepEqualsPairwise(net: Network, count: number, eps: number[], where: string): Promise<void> {
  const ds = loadDataset('mnist', { split: 'test' });
  const n = inputSize(net);
  const inputs = Float64Array.from(ds.images.subarray(0, count * n));
  const labels = ds.labels.subarray(0, count);
  const { predicted } = predict(net, inputs, count);
  const candidates = [...labels.keys()].filter((i) => labels[i] === predicted[i]);
  // plain CROWN on every pair, each in its own engine call
  const brute = eps.map(() => 0);
  for (let e = 0; e < eps.length; e++) {
    const r = await engine.bound(net, buildBoxes(inputs, n, candidates, candidates.map(() => eps[e])), { method: 'crown', spec: marginSpec(net, candidates.map((i) => labels[i])) });
    candidates.forEach((_, k) => { if (verifiedAt(r, k)) brute[e]++; });
  }
  for (const schedule of ['bisect', 'adaptive'] as const) {
    const run = await runSweep(engine, { net, inputs, labels, count, eps, candidates }, { method: 'crown', schedule, pilot: 8, carryBounds: true });
    assert.equal(verifiedCounts(run, count, eps.length), brute, `${where} ${schedule}`);
    assert.ok((run.carried ?? 0) > 0, `${where} ${schedule}: some probes started from a larger epsilon's bounds`);
  }
  assert.ok(brute[0] > brute[eps.length - 1] && brute[eps.length - 1] < candidates.length, `${where}: the counts change inside the list (${brute})`);
}

test('mnist-mlp: bisection and the adaptive plan with carried bounds = plain CROWN on every pair', async () => {
  const net = logitNetwork(await loadNetwork('mnist-mlp'));
  await sweepEqualsPairwise(net, 40, Array.from({ length: 10 }, (_, k) => 0.01 * (k + 1)), 'mnist-mlp');
});

guard(test, sharedMissing())('mnist-net_256x6 (../shared): the same counts as plain CROWN on every pair', async () => {
  const net = logitNetwork(await loadNetwork(path.join(benchDir, 'mnist_fc/onnx/mnist-net_256x6.onnx')));
  await sweepEqualsPairwise(net, 16, Array.from({ length: 10 }, (_, k) => 0.005 * (k + 1)), '256x6');
});

test.run();
