// Applying a checkpoint's facts (checkpoint.ts) to a sweep that may differ from the one that
// wrote them: other samples (facts are keyed by the input's index in its source), other
// epsilons (facts are about epsilon values, carried to the new list by monotonicity: verified
// at e ⇒ at every new eps ≤ e; a counterexample at e ⇒ at every new eps ≥ e), a larger budget
// (a pair given up on within a smaller --timeout is tried again).
import type { Fact } from './checkpoint.js';
import type { PairTable } from './pairs.js';

export interface Resumed {
  /** Per method: per input, the bounds' known bracket on the new eps list. */
  lo: Map<string, Int32Array>;
  hi: Map<string, Int32Array>;
  /** Inputs whose attack search covered every new epsilon. */
  attacked: Set<number>;
  /** Pairs the cascade gave up on within at least the new budget (not retried). */
  gaveUp: Set<number>;
  /** Facts applied. */
  facts: number;
}

/** Number of eps in the ascending list that are ≤ e. */
function countAtMost(eps: readonly number[], e: number): number {
  let k = 0;
  while (k < eps.length && eps[k] <= e) k++;
  return k;
}

/** Index of the first eps ≥ e (eps.length when none). */
function firstAtLeast(eps: readonly number[], e: number): number {
  let k = 0;
  while (k < eps.length && eps[k] < e) k++;
  return k;
}

export function applyFacts(facts: Fact[], table: PairTable, indices: readonly number[], methods: readonly string[], timeoutS: number): Resumed {
  const eps = table.eps;
  const E = eps.length;
  const pos = new Map<number, number>();
  indices.forEach((index, i) => pos.set(index, i));
  const res: Resumed = { lo: new Map(), hi: new Map(), attacked: new Set(), gaveUp: new Set(), facts: 0 };
  for (const m of methods) {
    res.lo.set(m, new Int32Array(table.count));
    res.hi.set(m, new Int32Array(table.count).fill(E));
  }
  for (const f of facts) {
    const i = pos.get(f.index);
    if (i === undefined || table.status[i * E] === 3 /* misclassified */) continue;
    res.facts++;
    switch (f.t) {
      case 'bounds': {
        const lo = res.lo.get(f.method), hi = res.hi.get(f.method);
        if (!lo || !hi) break;
        if (f.verifiedEps !== null) lo[i] = Math.max(lo[i], countAtMost(eps, f.verifiedEps));
        if (f.notVerifiedEps !== null) hi[i] = Math.min(hi[i], firstAtLeast(eps, f.notVerifiedEps));
        if (hi[i] < lo[i]) hi[i] = lo[i];
        break;
      }
      case 'cex': {
        const k = firstAtLeast(eps, f.eps);
        if (k < E) table.falsified(i, k, Float64Array.from(f.x), f.by, eps[k] === f.eps ? f.timeS : 0);
        break;
      }
      case 'verified': {
        const k = countAtMost(eps, f.eps) - 1;
        if (k >= 0) table.verified(i, k, f.by, eps[k] === f.eps ? f.timeS : 0);
        break;
      }
      case 'open': {
        const k = eps.indexOf(f.eps);
        if (k >= 0 && f.timeoutS >= timeoutS) {
          table.open(i, k, f.reason, f.timeS);
          res.gaveUp.add(i * E + k);
        }
        break;
      }
      case 'attacked':
        if (eps.every((e) => f.eps.includes(e))) res.attacked.add(i);
        break;
    }
  }
  return res;
}
