// Element-wise y = x·scale + shift (folded normalisation). Interval: centre–radius with |scale|.
// Backward (dense or patch rows, ../patches.ts): a·scale per entry, bias += a·shift.
import type { AffineOp } from '../../network.js';
import type { OpRule, PatchStep } from './rule.js';
import { inside } from '../patches.js';

const patches: PatchStep<AffineOp> = (op, P, rows) => {
  const { C, H, W, ph, pw, data } = P;
  for (let r = 0; r < P.n; r++) {
    const [y0, y1] = inside(P.oy[r], ph, H), [x0, x1] = inside(P.ox[r], pw, W);
    let bias = 0;
    for (let c = 0; c < C; c++) {
      for (let i = y0; i < y1; i++) {
        for (let j = x0; j < x1; j++) {
          const k = ((r * ph + i) * pw + j) * C + c, e = (c * H + P.oy[r] + i) * W + P.ox[r] + j;
          bias += data[k] * op.shift[e];
          data[k] *= op.scale[e];
        }
      }
    }
    rows.bias[r] += bias;
  }
  return [P];
};

export const affineRule: OpRule<AffineOp> = {
  nonlinear: false,
  patches,
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
