// The probe plan: the dynamic programme against an exhaustive search over all decision trees,
// and its reduction to bisection when costs and the prior are flat.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fillCosts, optimalPlan } from '../src/sweep/plan.js';

/** Least expected (unnormalised) cost of resolving k ∈ [lo, hi], by trying every probe recursively. */
function exhaustive(prior: number[], cost: number[], lo: number, hi: number): number {
  if (lo === hi) return 0;
  let mass = 0;
  for (let k = lo; k <= hi; k++) mass += prior[k];
  let best = Infinity;
  for (let j = lo; j < hi; j++) best = Math.min(best, cost[j] * mass + exhaustive(prior, cost, lo, j) + exhaustive(prior, cost, j + 1, hi));
  return best;
}

/** Follows the plan for an input whose true boundary is k; returns the cost paid and checks the answer. */
function walk(plan: ReturnType<typeof optimalPlan>, E: number, k: number, cost: number[]): { paid: number; probes: number } {
  let lo = 0, hi = E, paid = 0, probes = 0;
  while (lo < hi) {
    const j = plan.probe(lo, hi);
    assert.ok(j >= lo && j < hi, `probe ${j} outside [${lo}, ${hi})`);
    paid += cost[j];
    probes++;
    if (j < k) lo = j + 1; else hi = j;
  }
  assert.is(lo, k);
  return { paid, probes };
}

test('optimal plan matches the exhaustive search and finds every boundary', () => {
  let seed = 1;
  const rand = () => ((seed = (Math.imul(seed, 48271) + 11) >>> 0) / 2 ** 32);
  for (let trial = 0; trial < 60; trial++) {
    const E = 1 + (trial % 7);
    const prior = Array.from({ length: E + 1 }, () => (rand() < 0.2 ? 0 : rand()));
    prior[Math.floor(rand() * (E + 1))] += 0.1;
    const cost = Array.from({ length: E }, () => 0.1 + rand() * 5);
    const plan = optimalPlan(prior, cost);
    const total = prior.reduce((a, b) => a + b, 0);
    const best = exhaustive(prior, cost, 0, E) / total;
    assert.ok(Math.abs(plan.expectedCost - best) <= 1e-9 * best, `trial ${trial}: ${plan.expectedCost} vs ${best}`);
    // walking the tree for every k reproduces the expected cost and probe count
    let paid = 0, probes = 0;
    for (let k = 0; k <= E; k++) {
      const w = walk(plan, E, k, cost);
      paid += (prior[k] / total) * w.paid;
      probes += (prior[k] / total) * w.probes;
    }
    assert.ok(Math.abs(paid - plan.expectedCost) < 1e-9 * Math.max(1, paid));
    assert.ok(Math.abs(probes - plan.expectedProbes) < 1e-9 * Math.max(1, probes));
  }
});

test('flat prior and costs give bisection depth; cheap small epsilons pull probes down', () => {
  const E = 10;
  const flat = optimalPlan(new Array(E + 1).fill(1), new Array(E).fill(1));
  for (let k = 0; k <= E; k++) assert.ok(walk(flat, E, k, new Array(E).fill(1)).probes <= Math.ceil(Math.log2(E + 1)));
  // nearly everything verifies everywhere: probe the largest epsilon first
  const robust = optimalPlan([...new Array(E).fill(0.01), 1], new Array(E).fill(1));
  assert.is(robust.probe(0, E), E - 1);
  // nearly nothing verifies: probe the smallest first
  const fragile = optimalPlan([1, ...new Array(E).fill(0.01)], new Array(E).fill(1));
  assert.is(fragile.probe(0, E), 0);
  // steep costs: the first probe sits below the middle
  const steep = optimalPlan(new Array(E + 1).fill(1), Array.from({ length: E }, (_, j) => (j + 1) ** 3));
  assert.ok(steep.probe(0, E) < 5);
});

test('fillCosts interpolates between measured epsilons and holds the ends', () => {
  assert.equal(Array.from(fillCosts([NaN, 2, NaN, NaN, 8, NaN])), [2, 2, 4, 6, 8, 8]);
  assert.equal(Array.from(fillCosts([NaN, NaN])), [1, 1]);
  assert.equal(Array.from(fillCosts([3])), [3]);
});

test.run();
