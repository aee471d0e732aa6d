// Dense y = W x + b. Interval: centre–radius (μ' = Wμ + b, r' = |W| r). Backward: A·W, bias += A·b.
import type { DenseOp } from '../../network.js';
import type { OpRule } from './rule.js';
import { absOf, centreRadius, fromCentreRadius, matmulRows, transposeOf } from '../linalg.js';

export const denseRule: OpRule<DenseOp> = {
  nonlinear: false,
  patches: 'dense', // every output reads the whole input
  interval(op, [x], ctx) {
    const { inFeatures: n, outFeatures: m, weight: W, bias } = op;
    const { mid, rad } = centreRadius(x.lower, x.upper);
    // boxes × n times Wᵀ: matmulRows takes the transposed right factor, which is W itself
    const omid = new Float64Array(ctx.count * m);
    const orad = new Float64Array(ctx.count * m);
    matmulRows(mid, ctx.count, n, W, m, omid);
    matmulRows(rad, ctx.count, n, absOf(W), m, orad);
    for (let b = 0; b < ctx.count; b++) for (let k = 0; k < m; k++) omid[b * m + k] += bias[k];
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
  reverse(op, G, _A, rows) {
    // linear: the derivative on the output is the forward map of the input's, W·G + b
    const { inFeatures: n, outFeatures: m, weight: W, bias } = op;
    const out = new Float64Array(rows.n * m);
    matmulRows(G, rows.n, n, W, m, out);
    for (let r = 0; r < rows.n; r++) for (let k = 0; k < m; k++) out[r * m + k] += bias[k];
    return out;
  },
};
