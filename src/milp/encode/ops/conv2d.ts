// Conv2d on CHW: each output a weighted sum of its window's inputs (zero padding drops out), exact.
import type { Conv2dOp } from '../../../network.js';
import type { Expr } from '../../builder.js';
import { linearEncoder } from './encoder.js';

export const conv2dEncoder = linearEncoder<Conv2dOp>(true, (op, [x], { b, inShapes, outShape }) => {
  const [ic, h, w] = inShapes[0];
  const [oc, oh, ow] = outShape;
  const [kh, kw] = op.kernel, [sh, sw] = op.stride, [pt, pl] = op.pads;
  const out: Expr[] = [];
  for (let o = 0; o < oc; o++) {
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++) {
        const ws: number[] = [], es: Expr[] = [];
        for (let c = 0; c < ic; c++) {
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh - pt + ky;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - pl + kx;
              if (ix < 0 || ix >= w) continue;
              ws.push(op.weight[((o * ic + c) * kh + ky) * kw + kx]);
              es.push(x[(c * h + iy) * w + ix]);
            }
          }
        }
        out.push(b.combine(ws, es, op.bias[o]));
      }
    }
  }
  return out;
});
