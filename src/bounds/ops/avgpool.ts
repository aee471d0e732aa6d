// AvgPool: a linear map with non-negative weights, so the interval image is the average of the
// lower bounds and of the upper bounds, and the backward rule scatters a/divisor to the window.
import type { AvgPool2dOp } from '../../network.js';
import type { OpRule } from './rule.js';
import { poolInterval, windowsOf } from './window.js';

function divisor(op: AvgPool2dOp, start: Int32Array, o: number): number {
  return op.countIncludePad ? op.kernel[0] * op.kernel[1] : start[o + 1] - start[o];
}

export const avgpoolRule: OpRule<AvgPool2dOp> = {
  nonlinear: false,
  interval(op, [x], ctx) {
    return poolInterval(op, x, ctx, (v, xo, o, { start, idx }) => {
      let s = 0;
      for (let t = start[o]; t < start[o + 1]; t++) s += v[xo + idx[t]];
      return s / divisor(op, start, o);
    });
  },
  backward(op, A, rows, ctx) {
    const { start, idx } = windowsOf(op, ctx.inShapes[0], ctx.outShape);
    const n = ctx.inSizes[0], m = ctx.outSize;
    const out = new Float64Array(rows.n * n);
    for (let r = 0; r < rows.n; r++) {
      const ao = r * m, oo = r * n;
      for (let o = 0; o < m; o++) {
        const a = A[ao + o];
        if (a === 0) continue;
        const v = a / divisor(op, start, o);
        for (let t = start[o]; t < start[o + 1]; t++) out[oo + idx[t]] += v;
      }
    }
    return [out];
  },
};
