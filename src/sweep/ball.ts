// The L∞ ball of a sweep pair seen from the refuting side. A proof must cover the real ball, so
// proof boxes (boxes.ts) round x ± eps outward; a counterexample must lie inside the real ball,
// so here the ends are rounded inward, exactly (TwoSum gives the rounding error of x ± eps).
// replayCounterexample is the one gate every falsified pair of the sweep passes.
import type { Network } from '../network.js';
import { forward } from '../forward.js';
import { marginsOf } from '../spec/margins.js';
import type { BoxDomain } from './boxes.js';
import { nextDown, nextUp, UNIT_DOMAIN } from './boxes.js';

export interface Ball {
  lower: Float64Array;
  upper: Float64Array;
}

/** s = fl(a + b) and err with a + b = s + err exactly (Knuth's TwoSum; no overflow here). */
function twoSum(a: number, b: number): [number, number] {
  const s = a + b;
  const bb = s - a;
  return [s, (a - (s - bb)) + (b - bb)];
}

/** The largest float box inside [x − eps, x + eps] ∩ domain (per coordinate). */
export function innerBall(x: ArrayLike<number>, eps: number, domain: BoxDomain = UNIT_DOMAIN): Ball {
  const n = x.length;
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const [su, eu] = twoSum(x[i], eps);
    const [sl, el] = twoSum(x[i], -eps);
    const u = eu >= 0 ? su : nextDown(su);
    const l = el <= 0 ? sl : nextUp(sl);
    lower[i] = l < domain.lo ? domain.lo : l;
    upper[i] = u > domain.hi ? domain.hi : u;
  }
  return { lower, upper };
}

/**
 * x0 + (x − x0)·scale: a counterexample x of a larger ball (|x − x0| ≤ eps_c) shrunk toward x0,
 * with scale = eps_k/eps_c, lies within eps_k of x0 (up to rounding; attacks project their
 * start points onto the inner ball, and replayCounterexample checks whatever they report).
 */
export function shrunkToward(x0: ArrayLike<number>, x: ArrayLike<number>, scale: number): Float64Array {
  return Float64Array.from(x0, (v, d) => v + (x[d] - v) * scale);
}

/** True when every x_i lies in [ball.lower_i, ball.upper_i]. */
export function insideBall(ball: Ball, x: ArrayLike<number>): boolean {
  for (let i = 0; i < ball.lower.length; i++) if (!(x[i] >= ball.lower[i] && x[i] <= ball.upper[i])) return false;
  return true;
}

/** The smallest margin y_label − y_j (j ≠ label) of the float64 forward pass at x. */
export function minMargin(net: Network, x: Float64Array, label: number): number {
  return Math.min(...marginsOf(forward(net, x, 1), label));
}

/**
 * A counterexample for (x0, label, eps) that replays: `x` itself when it lies in the ball and
 * some margin is negative on the float64 network; else x clipped into the ball when that one
 * does (solver points sit on the outward-rounded proof box, an ulp outside); else null.
 * Ties (margin 0) do not count, as they do not count as verified either.
 */
export function replayCounterexample(net: Network, x0: ArrayLike<number>, label: number, eps: number, x: Float64Array): Float64Array | null {
  const ball = innerBall(x0, eps);
  if (x.length !== ball.lower.length) return null;
  const inside = insideBall(ball, x);
  const p = inside ? x : x.map((v, i) => Math.min(Math.max(v, ball.lower[i]), ball.upper[i]));
  if (!insideBall(ball, p)) return null; // NaN
  return minMargin(net, p, label) < 0 ? p : null;
}
