// CROWN on dense ReLU chains through crown-chain.ts (one box at a time, over the live neurons
// only) gives the same bits as the general backward pass, on random chains (narrow and wide,
// shallow and deep, boxes from tiny to large, so from all-stable to all-unstable ReLUs), on the
// bundled MLP at the sweep's epsilons, and with a per-box spec; networks that are not such
// chains are left to the general pass.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { boundNetworkCpu } from '../src/bounds/index.js';
import { planOf } from '../src/bounds/plan.js';
import { chainOf } from '../src/bounds/crown-chain.js';
import { loadNetwork } from '../src/models.js';
import { inputSize, logitNetwork, outputSize } from '../src/network.js';
import { loadDataset } from '../src/data/load.js';
import { marginSpec } from '../src/spec/margins.js';
import { buildBoxes } from '../src/sweep/boxes.js';
import { randInt, randomBoxes, randomNetwork, seededRng } from './helpers/random-network.js';

function sameBits(a: Float64Array, b: Float64Array, what: string): void {
  assert.is(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.unreachable(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

test('random dense ReLU chains: the chain path equals the general pass bit for bit', () => {
  const rng = seededRng(2612);
  let unstableSeen = 0;
  for (let t = 0; t < 40; t++) {
    const net = randomNetwork(rng, { kind: 'dense', depth: randInt(rng, 1, 5), width: t % 3 === 0 ? randInt(rng, 20, 70) : 0 });
    assert.ok(chainOf(planOf(net)), `trial ${t}: a dense ReLU MLP is a chain`);
    const { boxes } = randomBoxes(rng, net, randInt(rng, 1, 9), { maxRadius: [0.001, 0.05, 0.3, 1][t % 4] });
    const labels = Array.from({ length: boxes.count }, () => randInt(rng, 0, outputSize(net) - 1));
    for (const spec of [undefined, marginSpec(net, labels)]) {
      const chain = boundNetworkCpu(net, boxes, { method: 'crown', spec });
      const general = boundNetworkCpu(net, boxes, { method: 'crown', spec, chainPath: false });
      sameBits(chain.lower, general.lower, `trial ${t} lower`);
      sameBits(chain.upper, general.upper, `trial ${t} upper`);
      for (let i = 0; i < chain.lower.length; i++) if (chain.lower[i] < 0 && chain.upper[i] > 0) unstableSeen++;
    }
  }
  assert.ok(unstableSeen > 0, 'some outputs were undecided (the tests reach the unstable ReLUs)');
});

test('small row blocks and memory budgets do not change the chain path', () => {
  const rng = seededRng(77);
  const net = randomNetwork(rng, { kind: 'dense', depth: 4, width: 40 });
  const { boxes } = randomBoxes(rng, net, 5, { maxRadius: 0.2 });
  const a = boundNetworkCpu(net, boxes, { method: 'crown' });
  const b = boundNetworkCpu(net, boxes, { method: 'crown', blockRows: 2, chunkBoxes: 2 });
  const c = boundNetworkCpu(net, boxes, { method: 'crown', chainPath: false, blockRows: 6 });
  sameBits(a.lower, b.lower, 'blockRows 2');
  sameBits(a.lower, c.lower, 'general');
  sameBits(a.upper, c.upper, 'general upper');
});

test('the bundled MLP at sweep epsilons: same bits, same verdicts', async () => {
  const net = logitNetwork(await loadNetwork('mnist-mlp'));
  assert.ok(chainOf(planOf(net)));
  const ds = loadDataset('mnist', { split: 'test' });
  const n = inputSize(net);
  const N = 12;
  const inputs = Float64Array.from(ds.images.subarray(0, N * n));
  const which = Array.from({ length: N }, (_, i) => i);
  for (const eps of [0.005, 0.03, 0.1]) {
    const boxes = buildBoxes(inputs, n, which, which.map(() => eps));
    const spec = marginSpec(net, which.map((i) => ds.labels[i]));
    const chain = boundNetworkCpu(net, boxes, { method: 'crown', spec });
    const general = boundNetworkCpu(net, boxes, { method: 'crown', spec, chainPath: false });
    sameBits(chain.lower, general.lower, `eps ${eps}`);
    sameBits(chain.upper, general.upper, `eps ${eps} upper`);
  }
});

test('networks that are not dense ReLU chains take the general pass', () => {
  const rng = seededRng(9);
  for (const kind of ['conv', 'sigmoid', 'residual'] as const) {
    const net = randomNetwork(rng, { kind, depth: 2 });
    assert.is(chainOf(planOf(net)), null, kind);
  }
});

test.run();
