// The α family of a sigmoid's relaxation lines (α-CROWN for a smooth S-shaped activation).
// σ is convex on (−∞, 0], concave on [0, ∞), and σ' is unimodal with its peak at 0.
//
// The family of lower lines of σ on [l, u] (the upper lines are its mirror image, below) is a
// path of lines, each sound, parameterised by α ∈ [0, 1]; α = 0 is DeepPoly's line
// (ops/sigmoid.ts), so α-CROWN starts from CROWN's bound:
//  - rotation: lines through the anchor (l, σ(l)) with slope k from k0 (DeepPoly's) up to k1.
//    Such a line is below σ on [l, u] iff k ≤ every secant slope (σ(x) − σ(l)) / (x − l),
//    x ∈ (l, u]; that secant slope is the mean of σ' over [l, x], which rises and then falls
//    (σ' unimodal), so its minimum is at an end: min(σ'(l), chord). k1 is that minimum (k0 is
//    below it by DeepPoly's argument).
//  - tangents: when the tangent at l is itself a lower bound (k1 = σ'(l)), the tangents at
//    t ∈ [l, tEnd]. A tangent at t ≤ 0 lies below σ on (−∞, 0] (convexity); on [0, u], σ minus
//    it is concave, so it is non-negative there iff it is at 0 (convexity again) and at u. The
//    tangent's value at u, σ(t) + σ'(t)(u − t), grows with t (its t-derivative is
//    σ''(t)(u − t) ≥ 0), so the valid tangent points are t ≤ d, d ≤ 0 the point whose tangent
//    passes through (u, σ(u)) (found by bisection, keeping the end on the valid side). Hence
//    tEnd = u when u ≤ 0 (convex case), else d; the piece exists when l ≤ tEnd. (Tangents at t
//    outside [l, tEnd] are valid too but dominated on [l, u] by the one at the nearer end.)
// α runs over the rotation, then over the tangents ([0, ROTATION] and the rest when both exist), so the
// path is continuous: the rotation ends at slope σ'(l) through (l, σ(l)), the tangent at l.
// Upper lines: σ(x) = 1 − σ(−x), so U(x) = 1 − L(−x) for a lower line L of σ on [−u, −l]; the
// same construction with anchor u, the tangent points running down from u to tEnd ≥ 0.
// The α of a (row, neuron) picks the lower line when the row's coefficient on σ(z) is positive
// and the upper line when it is negative (relax/lines.ts): every α in [0, 1] is sound for both.

/** σ, evaluated without overflow for either sign. */
export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}
export function dsigmoid(x: number): number {
  const s = sigmoid(x);
  return s * (1 - s);
}

/**
 * The share of [0, 1] the rotation takes when the tangents follow it: the rotation only
 * connects the default line to the tangent at the anchor, which is above it on all of [l, u],
 * so a short stretch lets the optimiser leave it in a step or two.
 */
export const ROTATION = 0.1;

/** One side's family per neuron (box-major index): the path described above. */
export interface CurveSide {
  /** l for the lower lines, u for the upper ones. */
  anchor: Float64Array;
  /** σ(anchor). */
  value: Float64Array;
  /** Slope at α = 0 (the default lines) and at the end of the rotation. */
  k0: Float64Array;
  k1: Float64Array;
  /** The far end of the tangent points (NaN: no tangent piece). */
  tEnd: Float64Array;
}

export interface CurveRelax {
  lower: CurveSide;
  upper: CurveSide;
}

export function curveSide(n: number): CurveSide {
  return { anchor: new Float64Array(n), value: new Float64Array(n), k0: new Float64Array(n), k1: new Float64Array(n), tEnd: new Float64Array(n).fill(NaN) };
}

/**
 * For e > 0: a point t ∈ [−e, 0] at or below the d ≤ 0 whose tangent passes through (e, σ(e)),
 * i.e. with σ(t) + σ'(t)(e − t) ≤ σ(e) (the tangent at −e satisfies it: σ' is largest at 0,
 * so σ(e) − σ(−e) ≥ 2e·σ'(e)). Bisection, keeping the valid end.
 */
export function tangentLimit(e: number): number {
  const se = sigmoid(e);
  let lo = -e, hi = 0;
  for (let it = 0; it < 64 && hi - lo > 1e-12 * (1 + e); it++) {
    const t = 0.5 * (lo + hi);
    if (sigmoid(t) + dsigmoid(t) * (e - t) <= se) lo = t;
    else hi = t;
  }
  return lo;
}

/** True when the path of neuron k has more than one line (α changes something). */
export function curveMoves(f: CurveSide, k: number): boolean {
  return f.k1[k] > f.k0[k] || (f.tEnd[k] === f.tEnd[k] && f.tEnd[k] !== f.anchor[k]);
}

/**
 * Sets side `f`'s family of neuron k for σ on [l, u] (u − l not tiny): lower when `upper` is
 * false, else upper; k0 is the default slope (DeepPoly's) of that side.
 */
export function setCurveSide(f: CurveSide, k: number, l: number, u: number, upper: boolean, k0: number): void {
  const p = upper ? u : l;
  const chord = (sigmoid(u) - sigmoid(l)) / (u - l);
  f.anchor[k] = p;
  f.value[k] = upper ? sigmoid(u) : sigmoid(l);
  f.k0[k] = k0;
  // the tangent piece: lower, valid points [l, tEnd]; upper (mirrored), [tEnd, u]
  let tEnd = NaN;
  if (!upper && l <= 0) {
    const end = u <= 0 ? u : tangentLimit(u);
    if (l <= end) tEnd = end;
  } else if (upper && u >= 0) {
    const end = l >= 0 ? l : -tangentLimit(-l);
    if (end <= u) tEnd = end;
  }
  f.tEnd[k] = tEnd;
  // the tangent at the anchor is a member exactly when the tangent piece exists
  f.k1[k] = tEnd === tEnd ? Math.max(k0, dsigmoid(p)) : Math.max(k0, Math.min(dsigmoid(p), chord));
}

/**
 * The line of neuron k for parameter α ∈ [0, 1]: out = [slope, intercept, d slope / dα,
 * d intercept / dα] (the line: slope·z + intercept).
 */
export function curveLine(f: CurveSide, k: number, alpha: number, out: Float64Array): void {
  const p = f.anchor[k], k0 = f.k0[k], k1 = f.k1[k], tEnd = f.tEnd[k];
  const rot = k1 > k0, tan = tEnd === tEnd && tEnd !== p;
  const brk = rot ? (tan ? ROTATION : 1) : 0;
  if (!rot && !tan) {
    out[0] = k0; out[1] = f.value[k] - k0 * p; out[2] = 0; out[3] = 0;
  } else if (rot && (alpha <= brk || !tan)) {
    const ds = (k1 - k0) / brk;
    const s = k0 + (alpha / brk) * (k1 - k0);
    out[0] = s; out[1] = f.value[k] - s * p; out[2] = ds; out[3] = -p * ds;
  } else {
    const dt = (tEnd - p) / (1 - brk);
    const t = alpha === brk ? p : p + ((alpha - brk) / (1 - brk)) * (tEnd - p);
    // σ(t), σ'(t) = σ(1 − σ), σ''(t) = σ'(1 − 2σ) from one exponential
    const st = t === p ? f.value[k] : sigmoid(t);
    const s = st * (1 - st), s2 = s * (1 - 2 * st);
    out[0] = s; out[1] = st - s * t; out[2] = s2 * dt; out[3] = -s2 * t * dt;
  }
}
