// Shared checks for the bound-soundness tests: a value lies inside [lower, upper] up to a
// float64 round-off tolerance scaled by the magnitudes involved.
import * as assert from 'uvu/assert';

export const tolOf = (v: number) => 1e-9 * (1 + Math.abs(v));

/** Asserts lo − tol ≤ v ≤ hi + tol. */
export function assertInside(v: number, lo: number, hi: number, what: string): void {
  if (!(v >= lo - tolOf(v) && v <= hi + tolOf(v))) assert.unreachable(`${what}: ${v} outside [${lo}, ${hi}]`);
}
