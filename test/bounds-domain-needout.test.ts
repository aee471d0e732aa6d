// The reverse sweep of branch and bound's domain bounds computes a ReLU's outputs, and a Dense
// layer's under it, only where the ReLU is not inactive on the root box (src/bounds/optimise/
// domains.ts columnNeeds, backward.ts PassParams.needOut): the bounds, parameters, minimising
// corners and branching choices are the same bits as with every column computed (allColumns).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { outputSize } from '../src/network.js';
import { planOf } from '../src/bounds/plan.js';
import { crownChunk } from '../src/bounds/crown.js';
import { boundDomains, type Split } from '../src/bounds/optimise/domains.js';
import { gaussian, randomBoxes, randomNetwork, seededRng } from './helpers/random-network.js';
import { unstableReLUs } from './helpers/domain-points.js';

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  assert.is(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} against ${b[i]}`);
};

test('needOut: the same bits as every column, on dense, conv and residual nets with inactive ReLUs', () => {
  let skipped = 0, skippedConv = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const rng = seededRng(4100 + seed);
    const net = randomNetwork(rng, { kind: (['dense', 'conv', 'residual'] as const)[seed % 3], depth: 3, width: 24 });
    if (net.layers.some((l) => l.op.kind === 'sigmoid')) continue;
    const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.05 + 0.3 * rng() });
    const { lower, upper } = boxes;
    const plan = planOf(net);
    const { state, bounds } = crownChunk(plan, { lower, upper }, 1, 64, false);
    plan.layers.forEach((p) => {
      const j = p.inputs[0];
      if (p.op.kind !== 'relu' || j < 0) return;
      const inactive = bounds[j].upper.filter((u) => u <= 0).length;
      if (plan.layers[j].op.kind === 'dense') skipped += inactive;
      else skippedConv += inactive;
    });
    const m = outputSize(net), J = 2;
    const c = Float64Array.from({ length: J * m }, () => gaussian(rng));
    const unstable = unstableReLUs(plan.layers, bounds, lower, upper);
    const domains: Split[][] = Array.from({ length: 5 }, () => unstable.filter(() => rng() < 0.3).map(([layer, neuron]) => ({ layer, neuron, active: rng() < 0.5 })));
    const init = domains.map(() => undefined);
    const o = { lr: 0.2, bounds, input: { lower, upper }, iterations: 6, topK: 2, refresh: seed % 2 === 0 };
    const all = boundDomains(state, c, J, domains, init, { ...o, allColumns: true });
    const need = boundDomains(state, c, J, domains, init, o);
    const what = `seed ${seed}`;
    sameBits(need.lb, all.lb, `${what} lb`);
    sameBits(need.corner, all.corner, `${what} corner`);
    sameBits(need.branchLayer, all.branchLayer, `${what} branchLayer`);
    sameBits(need.branchNeuron, all.branchNeuron, `${what} branchNeuron`);
    need.params.forEach((p, d) => {
      sameBits(p.beta, all.params[d].beta, `${what} domain ${d} β`);
      p.alpha.forEach((a, j) => { if (a) sameBits(a, all.params[d].alpha[j]!, `${what} domain ${d} α of layer ${j}`); });
    });
  }
  assert.ok(skipped > 20, `only ${skipped} inactive ReLUs behind Dense layers: nothing was left out`);
  assert.ok(skippedConv > 5, `only ${skippedConv} inactive ReLUs behind other layers: nothing was left out there`);
});

test.run();
