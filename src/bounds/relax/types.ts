// Relaxations as data: what every nonlinear operator rule's `relax` returns from its input
// bounds, and the parameters that shape it. The one backward pass (../backward.ts) and its
// reverse sweep read only these types, so CROWN, α-CROWN and β-CROWN (branch and bound) all
// bound a network through the same code whatever its operators.
//
// Sound families chosen (any member gives a sound bound, so the optimiser may move freely in them):
// - ReLU: lower line α·z with α ∈ [0, 1] per (row, neuron) on unstable neurons (l < 0 < u):
//   for z ≥ 0, α·z ≤ z = relu(z); for z ≤ 0, α·z ≤ 0 = relu(z). Upper line: the chord.
// - Sigmoid: DeepPoly's fixed lines (ops/sigmoid.ts), not parameterised this round: its family
//   (tangent lines at a point t ∈ [l, u] on the convex/concave side) needs the tangent's
//   validity range per point, left for later.
// - MaxPool: DeepPoly's fixed lines (ops/maxpool.ts), not parameterised: its natural family,
//   m ≥ Σ w_i·x_i with w on the simplex (max ≥ any average), is left for later.
// - Splits (β-CROWN): a split is data on the bounds, not on the relaxation — a ReLU fixed
//   active has l ≥ 0, inactive u ≤ 0, so its relaxation is exact — plus a multiplier β ≥ 0 on
//   the split constraint, carried as a signed coefficient on the ReLU's input (LayerParams.beta).

/** Per neuron of every box: lowSlope·z + lowIcpt ≤ f(z) ≤ upSlope·z + upIcpt (no lowIcpt: 0). */
export interface LineRelax {
  kind: 'lines';
  lowSlope: Float64Array;
  lowIcpt?: Float64Array;
  upSlope: Float64Array;
  upIcpt: Float64Array;
  /** 1 where the lower slope may be replaced by any α ∈ [0, 1] (unstable ReLUs; no lowIcpt there). */
  free?: Uint8Array;
}

/**
 * Per output of every box, a max over a window: m ≥ x[lowIdx] and
 * m ≤ upSlope·x[upIdx] + upIcpt (indices into the op's input, per box).
 */
export interface MaxRelax {
  kind: 'max';
  lowIdx: Int32Array;
  upIdx: Int32Array;
  upSlope: Float64Array;
  upIcpt: Float64Array;
}

export type Relaxation = LineRelax | MaxRelax;

/**
 * Free parameters of one layer for a block of backward rows (both rows.n × the layer's size):
 * alpha: lower slopes on the neurons the relaxation marks free (values outside [0, 1] are the
 * caller's bug: they are unsound); beta: a coefficient added to the row's coefficient on the
 * layer's input, ±β for a split constraint (see ../backward.ts for the argument).
 */
export interface LayerParams {
  alpha?: Float64Array;
  beta?: Float64Array;
}
