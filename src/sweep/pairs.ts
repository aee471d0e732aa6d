// What the sweep knows about each (input, eps) pair beyond the bound methods' own verdicts:
// misclassified inputs, counterexamples (attack, cascade) and exact proofs (cascade), each with
// what decided it, its time and, for an undecided pair that was tried, why it stayed open.
// These facts do not depend on the bound method, so one table serves every --method.
// Monotonicity is applied here, once: a proof at eps_k covers every smaller eps of the input
// (its ball lies inside), a replayed counterexample at eps_k lies in every larger ball. A proof
// and a counterexample that disagree (a bug, or solver tolerance) are counted as conflicts and
// the counterexample wins: it is a concrete input that replays.
export const UNDECIDED = 0;
export const VERIFIED = 1;
export const FALSIFIED = 2;
export const MISCLASSIFIED = 3;
export type Verdict = 'undecided' | 'verified' | 'falsified' | 'misclassified';
export const VERDICTS: readonly Verdict[] = ['undecided', 'verified', 'falsified', 'misclassified'];

export interface Counterexample {
  /** The input, replayed on the float64 network: some margin is negative and it lies in the ball of eps[k]. */
  x: Float64Array;
  /** Index of the smallest epsilon it was found at (it holds for every larger one). */
  k: number;
  by: string;
}

export class PairTable {
  readonly status: Uint8Array;
  /** What decided each pair directly or by monotonicity ('' when undecided). */
  readonly by: string[];
  /** Seconds spent on the pair itself (0 when it followed from another pair). */
  readonly timeS: Float64Array;
  /** Why a tried pair is still undecided (timeout, unknown, memory, interrupted). */
  readonly reason: (string | undefined)[];
  /** Per input: its counterexample at the smallest falsified eps. */
  readonly cex = new Map<number, Counterexample>();
  conflicts = 0;

  constructor(readonly count: number, readonly eps: readonly number[]) {
    const n = count * eps.length;
    this.status = new Uint8Array(n);
    this.by = new Array<string>(n).fill('');
    this.timeS = new Float64Array(n);
    this.reason = new Array(n);
  }

  get E(): number {
    return this.eps.length;
  }

  misclassified(i: number, x: Float64Array): void {
    const E = this.E;
    for (let k = 0; k < E; k++) { this.status[i * E + k] = MISCLASSIFIED; this.by[i * E + k] = 'misclassified'; }
    this.cex.set(i, { x, k: 0, by: 'misclassified' });
  }

  /** A replayed counterexample at eps[k]: falsifies k and every larger eps. */
  falsified(i: number, k: number, x: Float64Array, by: string, timeS = 0): void {
    const E = this.E;
    if (this.status[i * E] === MISCLASSIFIED) return;
    const old = this.cex.get(i);
    if (old && old.k <= k) return;
    for (let q = k; q < E; q++) {
      const p = i * E + q;
      if (this.status[p] === VERIFIED) this.conflicts++;
      if (this.status[p] === FALSIFIED && q >= (old?.k ?? E)) break;
      this.status[p] = FALSIFIED;
      this.by[p] = by;
      this.reason[p] = undefined;
    }
    this.timeS[i * E + k] += timeS;
    this.cex.set(i, { x, k, by });
  }

  /** An exact proof at eps[k]: verifies k and every smaller eps (a falsified pair stays falsified). */
  verified(i: number, k: number, by: string, timeS = 0): void {
    const E = this.E;
    for (let q = k; q >= 0; q--) {
      const p = i * E + q;
      if (this.status[p] === VERIFIED) break;
      if (this.status[p] === FALSIFIED || this.status[p] === MISCLASSIFIED) { this.conflicts++; continue; }
      this.status[p] = VERIFIED;
      this.by[p] = by;
      this.reason[p] = undefined;
    }
    this.timeS[i * E + k] += timeS;
  }

  /** A pair that was tried and stays open. */
  open(i: number, k: number, reason: string, timeS = 0): void {
    const p = i * this.E + k;
    if (this.status[p] !== UNDECIDED) return;
    this.reason[p] = reason;
    this.timeS[p] += timeS;
  }

  /** Per input: index of the first falsified (or misclassified) eps, E when none. */
  firstFalsified(i: number): number {
    const c = this.cex.get(i);
    return c ? c.k : this.E;
  }

  /** Per input: the number of leading eps known verified by exact proofs. */
  verifiedPrefix(i: number): number {
    const E = this.E;
    let k = E;
    while (k > 0 && this.status[i * E + k - 1] !== VERIFIED) k--;
    return k;
  }
}
