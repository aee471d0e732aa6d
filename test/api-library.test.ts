// The library functions (src/index.ts) on small random networks: α-CROWN bounds are sound (every
// sampled point of the box lies inside) and never looser than CROWN; verify() of an in-memory
// robustness property agrees with the sampled points (sat only with a replayed counterexample,
// unsat never contradicted by a sample); sweep() never verifies more than the clean accuracy and
// is monotone in ε; attack() returns an example of another class at its reported distance.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { attack, bound, boxesAround, forward, inputSize, marginSpec, outputSize, predictedClass, robustnessProperty, sweep, verify } from '../src/index.js';
import { randomNetwork, seededRng } from './helpers/random-network.js';

const rng = seededRng(2); // a net whose classes vary over these inputs
const net = randomNetwork(rng, { kind: 'dense', depth: 2, width: 8, outputs: 3 });
const n = inputSize(net);
const xs = Array.from({ length: 6 }, () => Array.from({ length: n }, () => rng()));

test('bound: alpha-crown and ibp are sound, alpha-crown at least as tight as crown', async () => {
  for (const x of xs) {
    const boxes = boxesAround(x, 1, 0.1);
    const ibp = await bound(net, boxes, { method: 'ibp' });
    const crown = await bound(net, boxes, { method: 'crown' });
    const alpha = await bound(net, boxes, { method: 'alpha-crown', iterations: 20 });
    assert.is(alpha.rows, outputSize(net));
    for (let r = 0; r < alpha.rows; r++) {
      assert.ok(alpha.lower[r] >= crown.lower[r] - 1e-12 && alpha.upper[r] <= crown.upper[r] + 1e-12, `row ${r}`);
    }
    for (let s = 0; s < 200; s++) {
      const p = Array.from({ length: n }, (_, i) => boxes.lower[i] + rng() * (boxes.upper[i] - boxes.lower[i]));
      const y = forward(net, p);
      for (const b of [alpha, ibp]) {
        for (let r = 0; r < b.rows; r++) assert.ok(y[r] >= b.lower[r] - 1e-9 && y[r] <= b.upper[r] + 1e-9, `row ${r}: ${y[r]} outside [${b.lower[r]}, ${b.upper[r]}]`);
      }
    }
  }
});

test('bound with a margin spec: the lower bounds hold at the centre', async () => {
  const labels = xs.map((x) => predictedClass(forward(net, x)));
  const r = await bound(net, boxesAround(xs.flat(), xs.length, 0.05), { spec: marginSpec(net, labels) });
  xs.forEach((x, b) => {
    const y = forward(net, x);
    let row = 0;
    for (let j = 0; j < y.length; j++) if (j !== labels[b]) assert.ok(r.lower[b * r.rows + row++] <= y[labels[b]] - y[j] + 1e-9);
  });
});

test('verify: an in-memory robustness property, answers checked against samples', async () => {
  for (const eps of [0.001, 0.3]) {
    for (const x of xs.slice(0, 3)) {
      const label = predictedClass(forward(net, x));
      const prop = robustnessProperty(net, x, label, eps);
      const out = await verify(net, prop, { timeoutS: 20 });
      assert.ok(['sat', 'unsat'].includes(out.answer), out.answer);
      if (out.answer === 'sat') {
        const cex = out.counterexample!;
        const y = forward(net, cex.x);
        assert.ok(Array.from(y).some((v, j) => j !== label && y[label] - v <= 1e-9), 'another class scores at least as high');
        cex.x.forEach((v, i) => assert.ok(v >= prop.regions[0].lower[i] && v <= prop.regions[0].upper[i]));
      } else {
        for (let s = 0; s < 200; s++) {
          const p = x.map((v) => Math.min(1, Math.max(0, v + eps * (2 * rng() - 1))));
          assert.is(predictedClass(forward(net, p)), label);
        }
      }
    }
  }
});

test('sweep: monotone in eps, never above the clean accuracy', async () => {
  const labels = xs.map((x, i) => (i === 0 ? (predictedClass(forward(net, x)) + 1) % 3 : predictedClass(forward(net, x))));
  const r = await sweep(net, xs.flat(), labels, { eps: [0, 0.01, 0.05, 0.2], schedule: 'all' });
  assert.is(r.correct, xs.length - 1);
  assert.is(r.robustAccuracy[0], r.correct / xs.length);
  for (let k = 1; k < r.eps.length; k++) assert.ok(r.robustAccuracy[k] <= r.robustAccuracy[k - 1]);
});

test('attack: an example changes the class at the reported distance; infeasible means no sample does', async () => {
  let found = 0;
  for (const x of xs) {
    const label = predictedClass(forward(net, x));
    const r = await attack(net, x, { timeoutS: 20 });
    if (r.adversarial) {
      found++;
      assert.is.not(predictedClass(forward(net, r.adversarial)), label);
      const d = Math.max(...x.map((v, i) => Math.abs(v - r.adversarial![i])));
      assert.ok(Math.abs(d - r.distance!) <= 1e-9);
      assert.ok(r.lowerBound <= r.distance! + 1e-12);
    } else {
      assert.is(r.status, 'infeasible');
      for (let s = 0; s < 200; s++) assert.is(predictedClass(forward(net, x.map(() => rng()))), label);
    }
  }
  assert.ok(found > 0, 'some input can be attacked');
});

test.run();
