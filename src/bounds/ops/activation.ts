// What the element-wise activations (ReLU, Sigmoid) share: both are non-decreasing, so the
// interval image applies f to each end (their relaxations are per-neuron lines, ../relax/lines.ts).
import type { LayerBounds } from '../types.js';

/** [f(l), f(u)] elementwise, for a non-decreasing f. */
export function monotoneInterval(x: LayerBounds, f: (v: number) => number): LayerBounds {
  const n = x.lower.length;
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    lower[i] = f(x.lower[i]);
    upper[i] = f(x.upper[i]);
  }
  return { lower, upper };
}
