// The exactness check of the branch-and-bound tests: for a·y ≤ b at thresholds b around the exact
// MILP minimum of a·y over the box, generalBab may prove only where the minimum is above b and
// find a counterexample only where it is at most b.
import * as assert from 'uvu/assert';
import type { Network } from '../../src/network.js';
import { forward } from '../../src/forward.js';
import { generalBab } from '../../src/verify/bab/search.js';
import { milpMinimizeLinear } from '../../src/milp/index.js';

export interface BabTally {
  proved: number;
  cexes: number;
  /** Proofs where the root bound alone did not prove. */
  beyondRoot: number;
}

/** Adds one instance's answers to `tally`; nothing when the MILP does not finish in 20 s. */
export async function babAgainstExact(net: Network, lower: Float64Array, upper: Float64Array, a: Float64Array, thresholds: (min: number) => number[], tally: BabTally, label: string, extra: { refresh?: boolean; filter?: number } = {}): Promise<void> {
  const exact = await milpMinimizeLinear(net, { lower, upper }, a, { timeLimitS: 20, solver: 'mip' });
  if (exact.status !== 'optimal') return;
  const min = exact.value!;
  for (const b of thresholds(min)) {
    const res = await generalBab(net, lower, upper, [{ a, b }], {
      deadline: Date.now() + 3000, batch: 8, ...extra,
      candidate: (x) => x.every((v, i) => v >= lower[i] && v <= upper[i]) && forward(net, x, 1).reduce((s, v, o) => s + a[o] * v, 0) <= b,
    });
    if (res.status === 'proved') {
      tally.proved++;
      assert.ok(min > b - 1e-7, `${label}: proved min > ${b}, exact minimum ${min}`);
      if (res.rootMargin <= 0) tally.beyondRoot++;
    }
    if (res.status === 'counterexample') {
      tally.cexes++;
      assert.ok(min <= b + 1e-7, `${label}: counterexample below ${b} but the exact minimum is ${min}`);
    }
  }
}
