// Dense y = W·x + b: each output an expression over the input's columns (exact).
import type { DenseOp } from '../../../network.js';
import type { Expr } from '../../builder.js';
import { linearEncoder } from './encoder.js';

export const denseEncoder = linearEncoder<DenseOp>(true, (op, [x], { b }) => {
  const out: Expr[] = [];
  const n = op.inFeatures;
  for (let o = 0; o < op.outFeatures; o++) out.push(b.combine(op.weight.subarray(o * n, (o + 1) * n), x, op.bias[o]));
  return out;
});
