// ReLU. Interval: [max(l,0), max(u,0)]. Relaxation (CROWN, as auto_LiRPA): stable neurons are
// exact (slope 1 when l ≥ 0, 0 when u ≤ 0); an unstable one (l < 0 < u) has the upper line
// through (l,0) and (u,u) and the adaptive lower line y = x when u ≥ −l, else y = 0.
import type { ReluOp } from '../../network.js';
import type { OpRule } from './rule.js';

interface ReluRelax {
  lowSlope: Float64Array;
  upSlope: Float64Array;
  upIcpt: Float64Array;
}

export const reluRule: OpRule<ReluOp> = {
  nonlinear: true,
  onlyUnstable: true,
  interval(_op, [x]) {
    const n = x.lower.length;
    const lower = new Float64Array(n);
    const upper = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      lower[i] = x.lower[i] > 0 ? x.lower[i] : 0;
      upper[i] = x.upper[i] > 0 ? x.upper[i] : 0;
    }
    return { lower, upper };
  },
  relax(_op, [x]): ReluRelax {
    const n = x.lower.length;
    const lowSlope = new Float64Array(n);
    const upSlope = new Float64Array(n);
    const upIcpt = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const l = x.lower[i], u = x.upper[i];
      if (l >= 0) {
        lowSlope[i] = 1;
        upSlope[i] = 1;
      } else if (u > 0) {
        const s = u / (u - l);
        upSlope[i] = s;
        upIcpt[i] = -s * l;
        lowSlope[i] = u >= -l ? 1 : 0;
      }
    }
    return { lowSlope, upSlope, upIcpt };
  },
  backward(_op, A, rows, ctx, relax) {
    const { lowSlope, upSlope, upIcpt } = relax as ReluRelax;
    const n = ctx.outSize;
    for (let r = 0; r < rows.n; r++) {
      const ao = r * n, ro = rows.box[r] * n;
      let bias = 0;
      for (let j = 0; j < n; j++) {
        const a = A[ao + j];
        if (a > 0) A[ao + j] = a * lowSlope[ro + j];
        else if (a < 0) {
          A[ao + j] = a * upSlope[ro + j];
          bias += a * upIcpt[ro + j];
        }
      }
      rows.bias[r] += bias;
    }
    return [A];
  },
};
