// Dense on the GPU: y = W·x + b. Backward: the bias dot (rowops linearBias, paying a priori for
// back_gemm's error δ(N)·Σ|Λ||W|: V bounds |W̃|·max|z|, |W| ≤ (1 + u')|W̃|), Λ' = Λ·W by
// back_gemm's error-free products, then the stored Λ's own rounding a posteriori (rounded).
import type { DenseOp } from '../../network.js';
import { params } from '../runtime.js';
import { exactDotError, U32R } from '../fp.js';
import type { GpuOpRule } from './rule.js';
import { gemmInterval, uploadWeights } from './linear.js';

export const denseRule: GpuOpRule<DenseOp> = {
  form: 'linear',
  upload: uploadWeights,
  interval: gemmInterval,
  backward(op, c) {
    const { rt, L, R, x } = c;
    c.rowop('linearBias', L.outSize, L.bias!, c.y.v!, x, exactDotError(op.outFeatures) * (1 + 2 * U32R));
    rt.dispatch('back_gemm', c.tile, params(R, op.outFeatures, op.inFeatures), [c.lam, L.weightHi!, L.weightLo!, c.spare],
      Math.ceil(R / (16 * c.tile.TM)) * Math.ceil(op.inFeatures / (16 * c.tile.TN)));
    c.swap();
    c.rowop('rounded', op.inFeatures, c.dummy, c.dummy, x);
  },
  foldsSpec: true,
  macs: (op) => op.inFeatures * op.outFeatures,
};
