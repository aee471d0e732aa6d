// Relaxations as data: what every nonlinear operator rule's `relax` returns from its input
// bounds, and the parameters that shape it. The one backward pass (../backward.ts) and its
// reverse sweep read only these types, so CROWN, α-CROWN and β-CROWN (branch and bound) all
// bound a network through the same code whatever its operators.
//
// Sound families chosen (any member gives a sound bound, so the optimiser may move freely in them):
// - ReLU: lower line α·z with α ∈ [0, 1] per (row, neuron) on unstable neurons (l < 0 < u):
//   for z ≥ 0, α·z ≤ z = relu(z); for z ≤ 0, α·z ≤ 0 = relu(z). Upper line: the chord.
// - Sigmoid: α ∈ [0, 1] per (row, neuron) picks a line on a path of sound lower lines (rotations
//   about (l, σ(l)) from DeepPoly's slope up to the largest valid one, then the tangents at
//   t ∈ [l, tEnd], tEnd the last point whose tangent stays below σ at u) and the mirrored path
//   of upper lines; α = 0 is DeepPoly's pair. The argument is in curve.ts.
// - MaxPool: m ≥ α·x_i + (1 − α)·x_k with α ∈ [0, 1] per (row, output): the max is at least
//   either input, so at least any convex combination of them. i is DeepPoly's choice (largest
//   lower bound; α = 1 is its line), k the input with the largest upper bound (or the second
//   largest lower bound): one parameter per output keeps the family inside the box [0, 1] that
//   projected Adam keeps α in, and those two are the inputs most likely to win. A full simplex
//   over the window would need a projection per output for little more. (A MaxPool split orders
//   two inputs of a window and recomputes these lines over the candidates left; why that form,
//   in ../optimise/domains.ts.)
// - Splits (β-CROWN): a split is data on the bounds, not on the relaxation — a ReLU fixed
//   active has l ≥ 0, inactive u ≤ 0, so its relaxation is exact; a sigmoid's input cut at p
//   has [l, p] or [p, u], and its lines are rebuilt on that interval; a MaxPool order x_i ≥ x_k
//   drops x_k from the output's candidates — plus a multiplier β ≥ 0
//   on the split constraint, carried as a signed coefficient on the activation's input
//   (LayerParams.beta) and, for a cut, ±β·p in the row's constant (../optimise/domains.ts).

import type { CurveRelax } from './curve.js';

/** Per neuron of every box: lowSlope·z + lowIcpt ≤ f(z) ≤ upSlope·z + upIcpt (no lowIcpt: 0). */
export interface LineRelax {
  kind: 'lines';
  lowSlope: Float64Array;
  lowIcpt?: Float64Array;
  upSlope: Float64Array;
  upIcpt: Float64Array;
  /**
   * 1 where α ∈ [0, 1] shapes the lines: without `curve`, α replaces the lower slope (unstable
   * ReLUs; no lowIcpt there); with it, α picks the lower or upper line from the neuron's family.
   */
  free?: Uint8Array;
  /** Smooth activations: each neuron's α family (curve.ts); α = 0 gives the lines above. */
  curve?: CurveRelax;
}

/**
 * Per output of every box, a max over a window: m ≥ x[lowIdx] and
 * m ≤ upSlope·x[upIdx] + upIcpt (indices into the op's input, per box).
 */
export interface MaxRelax {
  kind: 'max';
  lowIdx: Int32Array;
  /** Where free: the second input of the lower line m ≥ α·x[lowIdx] + (1 − α)·x[lowIdx2]. */
  lowIdx2?: Int32Array;
  /** 1 where the lower line has a parameter (default α = 1: m ≥ x[lowIdx]). */
  free?: Uint8Array;
  upIdx: Int32Array;
  upSlope: Float64Array;
  upIcpt: Float64Array;
}

export type Relaxation = LineRelax | MaxRelax;

/**
 * Free parameters of one layer for a block of backward rows: alpha (rows.n × the layer's size):
 * lower slopes on the neurons the relaxation marks free (values outside [0, 1] are the caller's
 * bug: they are unsound); beta: coefficients added to rows' coefficients on the layer's input,
 * ±β for split constraints (see ../backward.ts for the argument), as a list of terms: a domain
 * has a few splits, and a dense rows.n × input array of them cost more than the layer's step.
 */
export interface LayerParams {
  alpha?: Float64Array;
  beta?: SplitTerms;
}

/**
 * Term t adds value[t] to row row[t]'s coefficient on input at[t]; no two terms share a
 * position. As a gradient (PassParams.grad), value[t] receives d bound / d coefficient there:
 * the input's value at the bound's minimiser.
 */
export interface SplitTerms {
  row: Int32Array;
  at: Int32Array;
  value: Float64Array;
}

/** The α that gives a relaxation's default lines, per neuron (or max output) of every box. */
export function defaultAlpha(r: Relaxation): Float64Array {
  if (r.kind === 'max') return new Float64Array(r.lowIdx.length).fill(1);
  return r.curve ? new Float64Array(r.lowSlope.length) : r.lowSlope;
}

/** True when some neuron of the relaxation has a free parameter. */
export function hasFree(r: Relaxation | undefined): boolean {
  return r?.free?.some((f) => f === 1) ?? false;
}
