// Dense y = W x + b. Interval: centre–radius (μ' = Wμ + b, r' = |W| r). Backward: A·W, bias += A·b.
import type { DenseOp } from '../../network.js';
import type { OpRule } from './rule.js';
import { absOf, centreRadius, fromCentreRadius, matmulRows, transposeOf } from '../linalg.js';

export const denseRule: OpRule<DenseOp> = {
  nonlinear: false,
  interval(op, [x], ctx) {
    const { inFeatures: n, outFeatures: m, weight: W, bias } = op;
    const absW = absOf(W);
    const { mid, rad } = centreRadius(x.lower, x.upper);
    const omid = new Float64Array(ctx.count * m);
    const orad = new Float64Array(ctx.count * m);
    for (let b = 0; b < ctx.count; b++) {
      const xo = b * n, oo = b * m;
      for (let k = 0; k < m; k++) {
        const wo = k * n;
        let s = bias[k], t = 0;
        for (let j = 0; j < n; j++) {
          s += W[wo + j] * mid[xo + j];
          t += absW[wo + j] * rad[xo + j];
        }
        omid[oo + k] = s;
        orad[oo + k] = t;
      }
    }
    return fromCentreRadius(omid, orad);
  },
  backward(op, A, rows) {
    const { inFeatures: n, outFeatures: m, weight: W, bias } = op;
    const out = new Float64Array(rows.n * n);
    matmulRows(A, rows.n, m, transposeOf(W, m, n), n, out);
    for (let r = 0; r < rows.n; r++) {
      let s = 0;
      const ao = r * m;
      for (let k = 0; k < m; k++) s += A[ao + k] * bias[k];
      rows.bias[r] += s;
    }
    return [out];
  },
};
