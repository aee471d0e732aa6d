// Conv2d on CHW: each output a weighted sum of its window's inputs (zero padding drops out), exact.
import type { Conv2dOp } from '../../../network.js';
import type { Expr } from '../../builder.js';
import { linearEncoder } from './encoder.js';
import { convTaps } from '../../../bounds/ops/window.js';

export const conv2dEncoder = linearEncoder<Conv2dOp>(true, (op, [x], { b, inShapes, outShape }) => {
  const [ic, h, w] = inShapes[0];
  const oc = outShape[0];
  const { off, taps: kk, positions } = convTaps(op, inShapes[0], outShape);
  const out: Expr[] = [];
  for (let o = 0; o < oc; o++) {
    for (let p = 0; p < positions; p++) {
      const ws: number[] = [], es: Expr[] = [];
      for (let c = 0; c < ic; c++) {
        for (let t = 0; t < kk; t++) {
          const i = off[p * kk + t];
          if (i < 0) continue;
          ws.push(op.weight[(o * ic + c) * kk + t]);
          es.push(x[c * h * w + i]);
        }
      }
      out.push(b.combine(ws, es, op.bias[o]));
    }
  }
  return out;
});
