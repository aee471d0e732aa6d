// Data movement y[i] = x[perm[i]]: bounds are gathered, coefficients scattered back.
import type { PermuteOp } from '../../network.js';
import type { OpRule } from './rule.js';

export const permuteRule: OpRule<PermuteOp> = {
  nonlinear: false,
  patches: 'dense', // every output reads the whole input
  interval(op, [x], ctx) {
    const n = ctx.inSizes[0], m = ctx.outSize;
    const lower = new Float64Array(ctx.count * m);
    const upper = new Float64Array(ctx.count * m);
    for (let b = 0; b < ctx.count; b++) {
      for (let i = 0; i < m; i++) {
        lower[b * m + i] = x.lower[b * n + op.perm[i]];
        upper[b * m + i] = x.upper[b * n + op.perm[i]];
      }
    }
    return { lower, upper };
  },
  backward(op, A, rows, ctx) {
    const n = ctx.inSizes[0], m = ctx.outSize;
    const out = new Float64Array(rows.n * n);
    for (let r = 0; r < rows.n; r++) {
      for (let i = 0; i < m; i++) out[r * n + op.perm[i]] += A[r * m + i];
    }
    return [out];
  },
};
