// CROWN's live columns (src/bounds/live.ts: a box's stably inactive ReLUs get no coefficient
// columns, the first Dense layer's product goes straight into the concretisation) and the
// upper-rows-first tightening (crown.ts tightenUpperFirst) give the same bits as computing every
// column and both rows of every unstable neuron (liveColumns: false): on random dense ReLU nets
// (narrow and wide, shallow and deep, boxes from tiny to large, so from all-stable to
// all-unstable ReLUs), on random CNNs with dense heads and residual nets, with tiny row blocks,
// on the bundled MLP at the sweep's epsilons, and with a per-box spec. And the shortcut is taken:
// a dense step with live columns computes fewer products than without.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { boundNetworkCpu } from '../src/bounds/index.js';
import { planOf } from '../src/bounds/plan.js';
import { crownChunk } from '../src/bounds/crown.js';
import { liveNeurons } from '../src/bounds/live.js';
import { loadNetwork } from '../src/models.js';
import { inputSize, logitNetwork, outputSize, type Network } from '../src/network.js';
import { loadDataset } from '../src/data/load.js';
import { marginSpec } from '../src/spec/margins.js';
import { buildBoxes } from '../src/sweep/boxes.js';
import type { Boxes } from '../src/bounds/types.js';
import { randInt, randomBoxes, randomNetwork, seededRng, type Rng } from './helpers/random-network.js';

function sameBits(a: Float64Array, b: Float64Array, what: string): void {
  assert.is(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.unreachable(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

/** Live-column CROWN vs the every-column reference on these boxes, with and without a margin spec; returns outputs left undecided. */
function compare(rng: Rng, net: Network, boxes: Boxes, what: string, extra: { blockRows?: number; chunkBoxes?: number } = {}): number {
  const labels = Array.from({ length: boxes.count }, () => randInt(rng, 0, outputSize(net) - 1));
  let open = 0;
  for (const spec of [undefined, marginSpec(net, labels)]) {
    const live = boundNetworkCpu(net, boxes, { method: 'crown', spec, ...extra });
    const full = boundNetworkCpu(net, boxes, { method: 'crown', spec, liveColumns: false });
    sameBits(live.lower, full.lower, `${what} lower`);
    sameBits(live.upper, full.upper, `${what} upper`);
    for (let i = 0; i < live.lower.length; i++) if (live.lower[i] < 0 && live.upper[i] > 0) open++;
  }
  return open;
}

test('random dense ReLU nets: live columns equal every column bit for bit', () => {
  const rng = seededRng(2612);
  let open = 0;
  for (let t = 0; t < 40; t++) {
    const net = randomNetwork(rng, { kind: 'dense', depth: randInt(rng, 1, 5), width: t % 3 === 0 ? randInt(rng, 20, 70) : 0 });
    const { boxes } = randomBoxes(rng, net, randInt(rng, 1, 9), { maxRadius: [0.001, 0.05, 0.3, 1][t % 4] });
    open += compare(rng, net, boxes, `trial ${t}`);
  }
  assert.ok(open > 0, 'some outputs were undecided (the tests reach the unstable ReLUs)');
});

test('random CNNs (dense heads) and residual nets: the same bits', () => {
  const rng = seededRng(515);
  for (let t = 0; t < 24; t++) {
    const kind = (['conv', 'residual', 'sigmoid'] as const)[t % 3];
    const net = randomNetwork(rng, { kind, depth: randInt(rng, 1, 4), width: randInt(rng, 8, 30) });
    const { boxes } = randomBoxes(rng, net, randInt(rng, 1, 5), { maxRadius: [0.01, 0.1, 0.5][t % 3] });
    compare(rng, net, boxes, `${kind} trial ${t}`);
  }
});

test('small row blocks and chunks do not change the bits', () => {
  const rng = seededRng(77);
  const net = randomNetwork(rng, { kind: 'dense', depth: 4, width: 40 });
  const { boxes } = randomBoxes(rng, net, 5, { maxRadius: 0.2 });
  compare(rng, net, boxes, 'blockRows 2', { blockRows: 2, chunkBoxes: 2 });
  compare(rng, net, boxes, 'blockRows 7', { blockRows: 7 });
});

test('the bundled MLP at sweep epsilons: same bits, and the live sets are what the shortcut skips', async () => {
  const net = logitNetwork(await loadNetwork('mnist-mlp'));
  const ds = loadDataset('mnist', { split: 'test' });
  const n = inputSize(net);
  const N = 12;
  const inputs = Float64Array.from(ds.images.subarray(0, N * n));
  const which = Array.from({ length: N }, (_, i) => i);
  const rng = seededRng(3);
  for (const eps of [0.005, 0.03, 0.1]) {
    const boxes = buildBoxes(inputs, n, which, which.map(() => eps));
    compare(rng, net, boxes, `eps ${eps}`);
  }
  // at eps 0.005 most ReLUs are stably inactive: the live sets are proper subsets, and exactly
  // the neurons whose relaxation lines are not both 0
  const plan = planOf(net);
  const boxes = buildBoxes(inputs, n, which, which.map(() => 0.005));
  const { state } = crownChunk(plan, boxes, N, 256, false);
  let dead = 0, checked = 0;
  plan.layers.forEach((p, j) => {
    const r = state.relax[j];
    if (p.op.kind !== 'relu' || !r || r.kind !== 'lines') return;
    for (let b = 0; b < N; b++) {
      const live = liveNeurons(r, b, p.outSize);
      const set = new Set(live ?? Array.from({ length: p.outSize }, (_, i) => i));
      for (let i = 0; i < p.outSize; i++) {
        const f = b * p.outSize + i;
        const zero = r.lowSlope[f] === 0 && r.upSlope[f] === 0 && r.upIcpt[f] === 0;
        assert.is(set.has(i), !zero, `layer ${j} box ${b} neuron ${i}`);
        if (zero) dead++;
        checked++;
      }
    }
  });
  assert.ok(dead > checked / 4, `many dead neurons at eps 0.005 (${dead} of ${checked})`);
});



test('lowerOnly: the same lower bounds bit for bit, upper bounds +Infinity', () => {
  const rng = seededRng(41);
  for (let t = 0; t < 6; t++) {
    const net = randomNetwork(rng, { kind: t % 2 ? 'dense' : 'conv', depth: 3, width: 20 });
    const { boxes } = randomBoxes(rng, net, 4, { maxRadius: 0.2 });
    const spec = marginSpec(net, Array.from({ length: boxes.count }, () => randInt(rng, 0, outputSize(net) - 1)));
    for (const method of ['crown', 'ibp'] as const) {
      const both = boundNetworkCpu(net, boxes, { method, spec, blockRows: 7 });
      const low = boundNetworkCpu(net, boxes, { method, spec, lowerOnly: true, blockRows: 7 });
      sameBits(low.lower, both.lower, `${method} trial ${t}`);
      assert.ok(low.upper.every((u) => u === Infinity), `${method} trial ${t}: upper +Infinity`);
    }
  }
});
test.run();
