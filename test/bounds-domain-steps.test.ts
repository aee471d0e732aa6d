// How many joint α,β steps a branch-and-bound batch takes (src/bounds/optimise/domains.ts,
// `target` and `maxIterations`): a batch whose domains are all proved stops at once; past the
// minimum it goes on only while the steps still close the open gap; every extra step can only
// raise a row's best bound (the first steps are the fixed schedule's), and the bounds stay sound
// (sampled and projected-gradient points in each domain's split region).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { outputSize } from '../src/network.js';
import { planOf } from '../src/bounds/plan.js';
import { crownChunk } from '../src/bounds/crown.js';
import { boundDomains, openGap, stepsEnough, type Split } from '../src/bounds/optimise/domains.js';
import { gaussian, randomBoxes, randomNetwork, seededRng } from './helpers/random-network.js';
import { checkDomainPoints, inSplits, unstableReLUs } from './helpers/domain-points.js';

test('stepsEnough: the minimum first, then a check every 4 steps of what the last 4 closed', () => {
  const gaps = [10, 9, 8, 7, 6, 5, 4, 3.9, 3.9, 3.9, 3.9, 3.9, 3.9];
  assert.is(stepsEnough([], 5, 3), false, 'no targets: the fixed schedule');
  for (let done = 1; done < 8; done++) assert.is(stepsEnough(gaps, done, 8), false, `before the minimum (${done})`);
  // after 8 steps the last 4 (gaps[3] = 7 → gaps[7] = 3.9) closed 44%: go on
  assert.is(stepsEnough(gaps, 8, 8), false);
  assert.is(stepsEnough(gaps, 9, 8), false, 'between checks');
  // after 12 steps the last 4 (3.9 → 3.9) closed nothing: stop
  assert.is(stepsEnough(gaps, 12, 8), true);
  // 1% of the gap is the line
  assert.is(stepsEnough([100, 100, 100, 100, 100, 99], 5, 5), true, '0% closed');
  assert.is(stepsEnough([100, 100, 100, 100, 100, 99], 6, 6), false, '1% closed');
});

test('openGap: a domain is proved by any one row; unreachable domains and proved ones add nothing', () => {
  const target = Float64Array.of(0, 1);
  // domain 0: row 1 passes its target (proved); domain 1: gaps 2 and 0.5 → 0.5; domain 2: unreachable;
  // domain 3: row 0's bound NaN (no proof, no gap), row 1's gap 3
  const best = Float64Array.of(-5, 1.5, -2, 0.5, -9, -9, NaN, -2);
  const got = openGap(best, target, 4, 2, Uint8Array.of(0, 0, 1, 0));
  assert.equal(got, { open: 2, gap: 0.5 + 3 });
  assert.equal(openGap(Float64Array.of(0, 0), Float64Array.of(0), 2, 1, new Uint8Array(2)), { open: 2, gap: 0 }, 'a bound equal to its target is not a proof');
});

test('with targets: all proved → no step; open → at least the fixed schedule, sound at sampled points', () => {
  let raised = 0, checked = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const rng = seededRng(900 + seed);
    const net = randomNetwork(rng, { kind: (['dense', 'conv', 'residual'] as const)[seed % 3], depth: 3, width: 6 });
    if (net.layers.some((l) => l.op.kind === 'sigmoid')) continue;
    const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.3 + 0.4 * rng() });
    const { lower, upper } = boxes;
    const plan = planOf(net);
    const { state, bounds } = crownChunk(plan, { lower, upper }, 1, 64, false);
    const m = outputSize(net), J = 2;
    const c = Float64Array.from({ length: J * m }, () => gaussian(rng));
    const unstable = unstableReLUs(plan.layers, bounds, lower, upper);
    const domains: Split[][] = Array.from({ length: 4 }, () => unstable.filter(() => rng() < 0.3).map(([layer, neuron]) => ({ layer, neuron, active: rng() < 0.5 })));
    const init = domains.map(() => undefined);
    const base = { lr: 0.2, bounds, input: { lower, upper } };
    const none = boundDomains(state, c, J, domains, init, { ...base, iterations: 0 });
    // every row already above its target after the first pass: the parameters never move
    const easy = boundDomains(state, c, J, domains, init, { ...base, iterations: 8, maxIterations: 24, target: Float64Array.of(-1e12, -1e12) });
    for (let r = 0; r < none.lb.length; r++) {
      if (Number.isFinite(none.lb[r])) assert.is(easy.lb[r], none.lb[r], `seed ${seed} row ${r}: a proved batch takes no step`);
    }
    easy.params.forEach((p) => assert.ok(p.beta.every((b) => b === 0), 'β untouched'));
    // targets just above what the fixed schedule reaches: its 8 steps prove nothing, and they are
    // the first 8 steps here, so every row's best is at least its
    const fixed = boundDomains(state, c, J, domains, init, { ...base, iterations: 8 });
    const target = Float64Array.from({ length: J }, (_, j) => Math.max(...domains.map((_, d) => fixed.lb[d * J + j]).filter(Number.isFinite)) + 1e-3);
    const more = boundDomains(state, c, J, domains, init, { ...base, iterations: 8, maxIterations: 24, target });
    for (let r = 0; r < fixed.lb.length; r++) {
      assert.ok(more.lb[r] >= fixed.lb[r], `seed ${seed} row ${r}: ${more.lb[r]} below the fixed schedule's ${fixed.lb[r]}`);
      if (more.lb[r] > fixed.lb[r] + 1e-9) raised++;
    }
    // sound at sampled and attacked points that satisfy each domain's splits
    checked += checkDomainPoints({ net, lower, upper, c, J, domains, lb: more.lb, inDomain: (sp, pts, acts, q) => inSplits(net, sp, pts, acts, q), rng, points: 60, pgdSteps: 3, label: `seed ${seed}` });
  }
  assert.ok(raised > 0, 'the extra steps raised no bound: the schedule is not exercised');
  assert.ok(checked > 300, `only ${checked} checks`);
});

test.run();
