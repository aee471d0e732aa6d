// The adaptive schedule's evidence-conditioned plans (src/sweep/plan-evidence.ts): the margin
// bins, a plan that follows strong evidence (a probe that failed by a little: the boundary is just
// below), and sparse evidence falling back to the per-hi plan.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EvidencePlans, marginBin, type Evidence } from '../src/sweep/plan-evidence.js';

test('margin bins: relative to the clean margin, none without one', () => {
  assert.is(marginBin(-1, 0), -1);
  assert.is(marginBin(-1, -2), -1);
  assert.is(marginBin(NaN, 3), -1);
  assert.is(marginBin(-0.5, 1), 5);
  assert.is(marginBin(-5000, 1), 0);
  assert.is(marginBin(0.1, 1), 6);
  assert.is(marginBin(0.99, 1), 12);
});

test('strong evidence steers the next probe; none leaves the per-hi plan', () => {
  const E = 10;
  const prior = new Float64Array(E + 1).fill(1);
  const cost = new Float64Array(E).fill(1);
  // the pilot: inputs that started at hi = 10 with boundaries spread over 0..9
  const ends: [number, number][] = Array.from({ length: 40 }, (_, q) => [10, q % 10]);
  // every probe at index 6 that failed by a little had its boundary at 6 (verified through 5)
  const evidence: Evidence[] = Array.from({ length: 20 }, () => ({ j: 6, bin: 5, hi: 10, k: 6 }));
  const plans = new EvidencePlans(prior, cost);
  plans.add(ends, evidence);
  // after failing at 6 by a little, k ∈ [0, 6]: probe 5, which most likely settles it
  assert.is(plans.planAfter(6, 5, 10).probe(0, 6), 5);
  // bisection-like without evidence for that bin
  const plain = plans.planFor(10);
  for (let lo = 0; lo < E; lo++) for (let hi = lo + 1; hi <= E; hi++) assert.is(plans.planAfter(6, 0, 10).probe(lo, hi), plain.probe(lo, hi), `[${lo}, ${hi}]`);
  assert.is(plans.planAfter(6, -1, 10), plain);
});

test.run();
