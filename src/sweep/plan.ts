// Which epsilon to probe next for one input, given that its number of verified leading
// epsilons k is known to lie in [lo, hi]. Probing eps_j splits that into [j+1, hi] (verified)
// or [lo, j] (not). Plain bisection minimises the number of probes when every probe costs the
// same and every k is as likely; neither holds in a real sweep: CROWN on the CPU costs far more
// at a large epsilon (more unstable ReLUs) and most inputs' k cluster. So the plan is the
// decision tree of least expected cost for a prior over k and a cost per epsilon (an optimal
// search tree, O(E^3) dynamic programming), both measured on a pilot of inputs.

export interface ProbePlan {
  /** The epsilon index to probe when k ∈ [lo, hi] (lo < hi). */
  probe(lo: number, hi: number): number;
  /** Expected cost of resolving one input from [0, E] (in the units of `cost`). */
  expectedCost: number;
  /** Expected number of probes per input. */
  expectedProbes: number;
}

/**
 * The least-expected-cost plan. prior[k] (k = 0..E, not necessarily normalised) weighs how
 * likely an input verifies exactly the first k epsilons; cost[j] (j = 0..E-1) is one probe at eps_j.
 */
export function optimalPlan(prior: ArrayLike<number>, cost: ArrayLike<number>): ProbePlan {
  const E = cost.length;
  if (prior.length !== E + 1) throw new Error(`optimalPlan: prior has ${prior.length} entries for ${E} epsilons`);
  const W = E + 1;
  const mass = new Float64Array(W + 1); // prefix sums of the prior
  let total = 0;
  for (let k = 0; k <= E; k++) mass[k + 1] = mass[k] + Math.max(0, prior[k]);
  total = mass[W];
  const m = (lo: number, hi: number) => mass[hi + 1] - mass[lo];
  const T = new Float64Array(W * W); // expected cost (unnormalised) of state [lo, hi]
  const P = new Float64Array(W * W); // expected probes (unnormalised)
  const choice = new Int32Array(W * W).fill(-1);
  for (let len = 1; len <= E; len++) {
    for (let lo = 0; lo + len <= E; lo++) {
      const hi = lo + len;
      let best = Infinity, bestJ = -1, bestP = 0;
      for (let j = lo; j < hi; j++) {
        const c = cost[j] * m(lo, hi) + T[lo * W + j] + T[(j + 1) * W + hi];
        // ties (e.g. zero prior mass) go to the middle, i.e. to bisection
        if (c < best - 1e-12 * Math.abs(best) || (Math.abs(c - best) <= 1e-12 * Math.abs(best) && Math.abs(j - (lo + hi) / 2) < Math.abs(bestJ - (lo + hi) / 2))) {
          best = c; bestJ = j; bestP = m(lo, hi) + P[lo * W + j] + P[(j + 1) * W + hi];
        }
      }
      T[lo * W + hi] = best;
      P[lo * W + hi] = bestP;
      choice[lo * W + hi] = bestJ;
    }
  }
  return {
    probe(lo, hi) {
      const j = choice[lo * W + hi];
      if (!(lo < hi) || j < 0) throw new Error(`ProbePlan: no probe for [${lo}, ${hi}]`);
      return j;
    },
    expectedCost: total > 0 ? T[E] / total : 0,
    expectedProbes: total > 0 ? P[E] / total : 0,
  };
}

/**
 * Cost per epsilon from measurements at some of them (NaN where none): measured values are kept,
 * the others interpolated linearly in the index and held flat beyond the ends; all 1 when nothing
 * was measured.
 */
export function fillCosts(measured: ArrayLike<number>): Float64Array {
  const E = measured.length;
  const known: number[] = [];
  for (let j = 0; j < E; j++) if (Number.isFinite(measured[j]) && measured[j] > 0) known.push(j);
  const out = new Float64Array(E).fill(1);
  if (!known.length) return out;
  for (let j = 0; j < E; j++) {
    const right = known.find((k) => k >= j);
    const left = [...known].reverse().find((k) => k <= j);
    if (left === undefined) out[j] = measured[right!];
    else if (right === undefined) out[j] = measured[left];
    else if (left === right) out[j] = measured[j];
    else out[j] = measured[left] + ((measured[right] - measured[left]) * (j - left)) / (right - left);
  }
  return out;
}
