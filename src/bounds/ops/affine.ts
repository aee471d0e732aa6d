// Element-wise y = x·scale + shift (folded normalisation). Interval: centre–radius with |scale|.
import type { AffineOp } from '../../network.js';
import type { OpRule } from './rule.js';

export const affineRule: OpRule<AffineOp> = {
  nonlinear: false,
  interval(op, [x], ctx) {
    const n = ctx.outSize;
    const lower = new Float64Array(ctx.count * n);
    const upper = new Float64Array(ctx.count * n);
    for (let b = 0; b < ctx.count; b++) {
      for (let j = 0; j < n; j++) {
        const i = b * n + j, s = op.scale[j], t = op.shift[j];
        const mid = (x.upper[i] + x.lower[i]) / 2, rad = (x.upper[i] - x.lower[i]) / 2;
        const m = mid * s + t, r = rad * Math.abs(s);
        lower[i] = m - r;
        upper[i] = m + r;
      }
    }
    return { lower, upper };
  },
  backward(op, A, rows, ctx) {
    const n = ctx.outSize;
    for (let r = 0; r < rows.n; r++) {
      let bias = 0;
      for (let j = 0; j < n; j++) {
        const a = A[r * n + j];
        bias += a * op.shift[j];
        A[r * n + j] = a * op.scale[j];
      }
      rows.bias[r] += bias;
    }
    return [A];
  },
};
