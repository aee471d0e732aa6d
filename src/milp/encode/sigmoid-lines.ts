// A piecewise-linear OUTER bound of the sigmoid σ(x) = 1/(1 + e^−x) on a pre-activation
// interval [l, u]: lines Lᵢ(x) = aᵢ·x + cᵢ with Lᵢ ≤ σ on [l, u] and lines Uⱼ ≥ σ on [l, u],
// plus σ(l) ≤ σ(x) ≤ σ(u) (σ is increasing). Together they approach the convex hull of σ's graph
// over [l, u] (the tightest a single neuron allows in an LP) as the number of tangent points grows.
//
// Lower lines (σ is convex on (−∞, 0] and concave on [0, ∞)):
//   l ≥ 0      the chord from (l, σ(l)) to (u, σ(u));
//   u ≤ 0      tangents T_t(x) = σ(t) + σ'(t)(x − t) at `points` points t spread over [l, u];
//   l < 0 < u  the chord when σ'(l) ≥ its slope, else tangents at points t spread over [l, d],
//              d ∈ [l, 0] the (bisected) point whose tangent passes through (u, σ(u)).
// Upper lines are lower lines of the mirror image, σ(x) = 1 − σ(−x): a lower line a·x' + c of σ
// on [−u, −l] gives the upper line a·x + (1 − c) on [l, u].
//
// Soundness (each claim for the real-valued σ; float rounding is covered after the list):
// - Chord, l ≥ 0: σ is concave on [l, u], so it lies above every chord there.
// - Tangent at t ≤ 0, u ≤ 0: σ is convex on (−∞, 0] ⊇ [l, u], so it lies above its tangents.
// - Tangent at t ≤ 0, u > 0, when g(t) = σ(u) − T_t(u) ≥ 0 (checked for every t used): on [l, 0]
//   as just said; on [0, u], σ − T_t is concave, so its minimum there is at an end: ≥ 0 at 0
//   (the convex part) and g(t) ≥ 0 at u. (g'(t) = −σ''(t)(u − t) < 0 for t < 0, so every
//   t ≤ d has g(t) ≥ g(d) ≥ 0; the check is kept anyway, against rounding.)
// - Chord C, l < 0 < u, when σ'(l) ≥ slope(C): σ − C is 0 at l with slope σ'(l) − slope(C) ≥ 0
//   there and convex on [l, 0], so non-decreasing and ≥ 0 on [l, 0]; on [0, u] it is concave,
//   ≥ 0 at 0 and = 0 at u, so ≥ 0.
// - Rounding: every intercept is moved outward by max(THICK, SAFETY·(1 + |l| + |u|)), far above
//   the float64 error of σ, σ' and the line arithmetic (about 1e-16 of each magnitude), and above
//   the forward pass's own rounding of σ; the bounds σ(l), σ(u) move outward by SAFETY.
// Conditioning (none of it affects soundness: it only leaves lines out or moves them outward):
// the LP solver declares thin or badly scaled models infeasible, so the region between the lower
// and upper lines is kept at least 2·THICK thick, a line whose rise over [l, u] is below FLAT
// (slopes down to 1e-37 on saturated neurons) is left to the bounds, and an interval narrower
// than MIN_WIDTH (or not finite) gets only the bounds [σ(l), σ(u)].

export interface Line { slope: number; icpt: number }

export interface SigmoidRelaxation {
  /** Bounds on σ(x) over [l, u], moved outward by the safety margin and clipped to [0, 1]. */
  lo: number;
  hi: number;
  /** Lines below σ on [l, u] (y ≥ slope·x + icpt). */
  lower: Line[];
  /** Lines above σ on [l, u] (y ≤ slope·x + icpt). */
  upper: Line[];
}

/** The float64 sigmoid of the forward pass (src/forward.ts). */
export function sigma(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function dsigma(x: number): number {
  const s = sigma(x);
  return s * (1 - s);
}

const SAFETY = 1e-10;
/** Least outward move of every line (half the least thickness of the relaxation). */
const THICK = 1e-6;
/** Lines rising less than this over [l, u] are left out (the bounds say as much, within it). */
const FLAT = 1e-7;
/** Below this width only the bounds are used (they are then within 0.25·width of σ). */
const MIN_WIDTH = 1e-4;
/**
 * Tangent points per side by default; VERIBOUND_SIGMOID_TANGENTS overrides it for experiments
 * (bench/milp-sigmoid.ts compares them on the ERAN sigmoid net).
 */
export const DEFAULT_TANGENTS = Math.max(1, Math.round(Number(process.env.VERIBOUND_SIGMOID_TANGENTS) || 4));

export function sigmoidRelaxation(l: number, u: number, points = DEFAULT_TANGENTS): SigmoidRelaxation {
  const lo = Math.max(0, sigma(l) - SAFETY), hi = Math.min(1, sigma(u) + SAFETY);
  if (!(Number.isFinite(l) && Number.isFinite(u) && u - l >= MIN_WIDTH)) return { lo, hi, lower: [], upper: [] };
  const margin = Math.max(THICK, SAFETY * (1 + Math.abs(l) + Math.abs(u)));
  const steep = (q: Line) => q.slope * (u - l) >= FLAT;
  const lower = lowerLines(l, u, points).filter(steep).map(({ slope, icpt }) => ({ slope, icpt: icpt - margin }));
  // mirror: a lower line a·x' + c on [−u, −l] is the upper line a·x + 1 − c on [l, u]
  const upper = lowerLines(-u, -l, points).filter(steep).map(({ slope, icpt }) => ({ slope, icpt: 1 - icpt + margin }));
  return { lo, hi, lower, upper };
}

/** Lines below σ on [l, u] (l < u, both finite), before the safety margin. */
function lowerLines(l: number, u: number, points: number): Line[] {
  const sl = sigma(l), su = sigma(u);
  const chordSlope = (su - sl) / (u - l);
  const chord: Line = { slope: chordSlope, icpt: sl - chordSlope * l };
  if (l >= 0) return [chord];
  if (u > 0 && dsigma(l) >= chordSlope) return [chord];
  let d = Math.min(u, 0);
  if (u > 0) {
    // g(t) = σ(u) − T_t(u) falls on [l, 0] from g(l) > 0 to g(0) < 0: keep g(lo) ≥ 0
    let a = l, b = 0;
    for (let k = 0; k < 60 && b - a > 1e-12 * (1 + Math.abs(a)); k++) {
      const m = (a + b) / 2;
      if (gap(m, u) >= 0) a = m; else b = m;
    }
    d = a;
  }
  const out: Line[] = [];
  const n = Math.max(1, points);
  for (let i = 0; i < n; i++) {
    const t = n === 1 ? d : l + ((d - l) * i) / (n - 1);
    if (u > 0 && !(gap(t, u) >= 0)) continue; // the check of the soundness argument
    const s = dsigma(t);
    out.push({ slope: s, icpt: sigma(t) - s * t });
  }
  return out;
}

/** g(t) = σ(u) − T_t(u): how far the tangent at t stays below σ at u. */
function gap(t: number, u: number): number {
  return sigma(u) - (sigma(t) + dsigma(t) * (u - t));
}
