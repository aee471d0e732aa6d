// The in-memory form of a VNN-LIB property: one or more input boxes, each with the
// unsafe set of outputs it must avoid, written as a disjunction of conjunctions of
// linear constraints a·y ≤ b. `unsat` means no input in any box reaches its unsafe set.

/** A conjunction of `rows` constraints a_r·y ≤ b_r; `a` is rows × numOutputs row-major. */
export interface Conjunction {
  a: Float64Array;
  b: Float64Array;
  rows: number;
}

/** One input box and the outputs that would be a counterexample there (any disjunct). */
export interface InputRegion {
  lower: Float64Array;
  upper: Float64Array;
  /** Disjunction: the output is unsafe when it satisfies every row of some conjunction. */
  unsafe: Conjunction[];
}

export interface Property {
  /** Where it came from (a path), for messages. */
  source: string;
  numInputs: number;
  numOutputs: number;
  regions: InputRegion[];
}

/** max_r (a_r·y − b_r): ≤ 0 exactly when y satisfies the conjunction. */
export function conjunctionViolation(conj: Conjunction, y: ArrayLike<number>): number {
  const n = y.length;
  let worst = -Infinity;
  for (let r = 0; r < conj.rows; r++) {
    let s = -conj.b[r];
    for (let j = 0; j < n; j++) s += conj.a[r * n + j] * y[j];
    if (s > worst) worst = s;
  }
  return conj.rows ? worst : 0;
}

/** Index of the first disjunct that y satisfies (within `tol`), or −1. */
export function unsafeDisjunct(region: InputRegion, y: ArrayLike<number>, tol = 0): number {
  for (let k = 0; k < region.unsafe.length; k++) {
    if (conjunctionViolation(region.unsafe[k], y) <= tol) return k;
  }
  return -1;
}

/** True when every x_i lies in [lower_i − tol, upper_i + tol]. */
export function insideBox(region: InputRegion, x: ArrayLike<number>, tol = 0): boolean {
  for (let i = 0; i < region.lower.length; i++) {
    if (!(x[i] >= region.lower[i] - tol && x[i] <= region.upper[i] + tol)) return false;
  }
  return true;
}
