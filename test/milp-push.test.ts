// "Push the output as far as possible within a budget": the best margin over the budget box
// equals an independent activation-pattern enumeration, its point replays inside the box, and a
// per-value cap or a smaller budget can only make the push weaker.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pushWithinBudget } from '../src/milp/push.js';
import { forward } from '../src/forward.js';
import { outputSize } from '../src/network.js';
import { patternMinimum, randomPoolNet, rng } from './milp-brute.js';

test('the strongest push within the budget equals pattern enumeration and replays', async () => {
  for (let seed = 1; seed <= 4; seed++) {
    const r = rng(seed);
    const net = randomPoolNet(seed, 2 + (seed % 3), 3);
    const n = net.inputShape.reduce((a, b) => a * b, 1), m = outputSize(net);
    const x = Float64Array.from({ length: n }, () => r());
    const y0 = forward(net, x, 1);
    let label = 0;
    for (let j = 1; j < m; j++) if (y0[j] > y0[label]) label = j;
    const budget = 0.3;
    const res = await pushWithinBudget(net, x, label, { budget, timeLimitS: 20 });
    const lower = x.map((v) => Math.max(0, v - budget)), upper = x.map((v) => Math.min(1, v + budget));
    let best = Infinity;
    for (let j = 0; j < m; j++) {
      if (j === label) continue;
      const c = new Float64Array(m); c[label] = 1; c[j] = -1;
      best = Math.min(best, await patternMinimum(net, lower, upper, c));
    }
    assert.ok(res.perClass.every((p) => p.status === 'optimal'), `seed ${seed}: ${JSON.stringify(res.perClass)}`);
    assert.ok(Math.abs(res.margin! - best) < 1e-6, `seed ${seed}: push ${res.margin} vs enumeration ${best}`);
    for (let i = 0; i < n; i++) assert.ok(res.input![i] >= lower[i] - 1e-9 && res.input![i] <= upper[i] + 1e-9, 'inside the budget box');
    const y = forward(net, res.input!, 1);
    assert.ok(Math.abs(y[label] - y[res.bestClass!] - res.margin!) < 1e-9, 'the point replays to its margin');
    const capped = await pushWithinBudget(net, x, label, { budget, maxChange: 0.1, timeLimitS: 20 });
    assert.ok(capped.margin! >= res.margin! - 1e-9, `a cap cannot push further: ${capped.margin} < ${res.margin}`);
  }
});

test('a target class restricts the push to that class', async () => {
  const net = randomPoolNet(9, 3, 3);
  const x = new Float64Array([0.2, 0.5, 0.7]);
  const res = await pushWithinBudget(net, x, 0, { budget: 0.2, target: 2, timeLimitS: 20 });
  assert.equal(res.perClass.map((p) => p.j), [2]);
  assert.is(res.bestClass, 2);
});

test('veribound attack --budget 0: the push is exactly the clean margin', async () => {
  const { spawnSync } = await import('node:child_process');
  const { loadNetwork } = await import('../src/models.js');
  const { loadDataset } = await import('../src/data/load.js');
  const { imageAt } = await import('../src/data/dataset.js');
  const out = spawnSync(process.execPath, ['dist/src/cli.js', 'attack', '--net', 'mnist-3v5-sigmoid', '--data', 'mnist:3v5', '--index', '2', '--budget', '0', '--timeout', '20', '--json'], { encoding: 'utf8' });
  assert.is(out.status, 0, out.stderr);
  const r = JSON.parse(out.stdout);
  const net = loadNetwork('mnist-3v5-sigmoid');
  const x = imageAt(loadDataset('mnist:3v5', { split: 'test' }), 2);
  const logit = forward({ ...net, layers: net.layers.slice(0, -1) }, x, 1)[0];
  const clean = r.originalClass === 1 ? logit : -logit;
  assert.is(r.mode, 'push');
  assert.ok(Math.abs(r.margin - clean) < 1e-6, `push ${r.margin} vs clean margin ${clean}`);
  assert.ok(r.marginLowerBound <= r.margin + 1e-9);
});

test.run();
