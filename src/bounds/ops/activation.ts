// What the element-wise activations (ReLU, Sigmoid) share: both are non-decreasing, so the
// interval image applies f to each end, and both relax to a lower and an upper line per neuron,
// so a backward row scales each coefficient by one line's slope and adds its intercept.
import type { LayerBounds } from '../types.js';
import type { Rows } from './rule.js';

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

/** Per neuron of every box: lowSlope·z + lowIcpt ≤ f(z) ≤ upSlope·z + upIcpt (no lowIcpt: 0). */
export interface NeuronLines {
  lowSlope: Float64Array;
  lowIcpt?: Float64Array;
  upSlope: Float64Array;
  upIcpt: Float64Array;
}

/**
 * The backward step through the lines, in place on A (rows.n × n): rows are lower bounds, so a
 * positive coefficient takes the lower line and a negative one the upper line.
 */
export function backwardThroughLines(A: Float64Array, rows: Rows, n: number, lines: NeuronLines): Float64Array[] {
  const { lowSlope, lowIcpt, upSlope, upIcpt } = lines;
  for (let r = 0; r < rows.n; r++) {
    const ao = r * n, ro = rows.box[r] * n;
    let bias = 0;
    for (let j = 0; j < n; j++) {
      const a = A[ao + j];
      if (a > 0) {
        A[ao + j] = a * lowSlope[ro + j];
        if (lowIcpt) bias += a * lowIcpt[ro + j];
      } else if (a < 0) {
        A[ao + j] = a * upSlope[ro + j];
        bias += a * upIcpt[ro + j];
      }
    }
    rows.bias[r] += bias;
  }
  return [A];
}
