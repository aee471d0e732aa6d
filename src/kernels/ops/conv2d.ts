// Conv2d on the GPU: ibp_gemm over im2col windows forward; backward the bias dot per output
// element (biasFull), then each input element gathers its ≤ OC·⌈KH/SH⌉·⌈KW/SW⌉ terms by
// error-free products (conv_back, as back_gemm), then the stored Λ's rounding (rounded).
import type { Conv2dOp } from '../../network.js';
import { groups, params } from '../runtime.js';
import { exactDotError, U32R } from '../fp.js';
import type { GpuOpRule } from './rule.js';
import { gemmInterval, uploadWeights } from './linear.js';
import { windowParams, windowTerms } from './window.js';

export const conv2dRule: GpuOpRule<Conv2dOp> = {
  form: 'linear',
  upload(op, c) {
    uploadWeights(op, c);
    // per output element, for the backward pass's constant (rowops reads a bias per column)
    const plane = c.g.outSize / op.outChannels;
    c.g.biasFull = c.f32(Float64Array.from({ length: c.g.outSize }, (_, e) => op.bias[Math.floor(e / plane)]));
  },
  interval: gemmInterval,
  backward(op, c) {
    const { rt, L, R, x } = c;
    const [ch, h, w, oh, ow, kh, kw, sh, sw, pt, pl] = windowParams(L);
    const terms = op.outChannels * windowTerms(op);
    c.rowop('linearBias', L.outSize, L.biasFull!, c.y.v!, x, exactDotError(terms, op.outChannels) * (1 + 2 * U32R));
    const total = R * L.inSize;
    rt.dispatch('conv_back', {}, params(total, ch, h, w, op.outChannels, oh, ow, kh, kw, sh, sw, pt, pl),
      [c.lam, L.weightHi!, L.weightLo!, c.spare], groups(total));
    c.swap();
    c.rowop('rounded', L.inSize, c.dummy, c.dummy, x);
  },
  foldsSpec: false,
  macs: (op, L) => L.outSize * op.inChannels * op.kernel[0] * op.kernel[1],
};
