// AvgPool: a linear map with non-negative weights, so the interval image is the average of the
// lower bounds and of the upper bounds, and the backward rule scatters a/divisor to the window
// (on patch rows, ../patches.ts, into the window below, (ph − 1)·stride + kernel wide).
import type { AvgPool2dOp } from '../../network.js';
import type { OpRule, PatchStep } from './rule.js';
import { poolInterval, windowsOf } from './window.js';
import { addAt, inside, settle, windowBelow } from '../patches.js';

function divisor(op: AvgPool2dOp, start: Int32Array, o: number): number {
  return op.countIncludePad ? op.kernel[0] * op.kernel[1] : start[o + 1] - start[o];
}

const patches: PatchStep<AvgPool2dOp> = (op, P, _rows, ctx) => {
  const { start, idx } = windowsOf(op, ctx.inShapes[0], ctx.outShape);
  const Q = windowBelow(P, ctx.inShapes[0], op.kernel, op.stride, op.pads);
  const { C, H, W, ph, pw } = P;
  for (let r = 0; r < P.n; r++) {
    const [y0, y1] = inside(P.oy[r], ph, H), [x0, x1] = inside(P.ox[r], pw, W);
    for (let c = 0; c < C; c++) {
      for (let i = y0; i < y1; i++) {
        for (let j = x0; j < x1; j++) {
          const a = P.data[((r * ph + i) * pw + j) * C + c];
          if (a === 0) continue;
          const o = (c * H + P.oy[r] + i) * W + P.ox[r] + j;
          const v = a / divisor(op, start, o);
          for (let t = start[o]; t < start[o + 1]; t++) addAt(Q, r, idx[t], v);
        }
      }
    }
  }
  return [settle(Q)];
};

export const avgpoolRule: OpRule<AvgPool2dOp> = {
  nonlinear: false,
  patches,
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
