// Zero padding of H and W: the input's expressions, constants 0 around them (exact).
import type { PadOp } from '../../../network.js';
import type { Expr } from '../../builder.js';
import { constExpr } from '../../builder.js';
import { linearEncoder } from './encoder.js';

export const padEncoder = linearEncoder<PadOp>(false, (op, [x], { inShapes }) => {
  const [c, h, w] = inShapes[0];
  const [pt, pl, pb, pr] = op.pads;
  const H = h + pt + pb, W = w + pl + pr;
  const out: Expr[] = [];
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < H; y++) {
      for (let z = 0; z < W; z++) {
        const iy = y - pt, iz = z - pl;
        out.push(iy >= 0 && iy < h && iz >= 0 && iz < w ? x[(ch * h + iy) * w + iz] : constExpr(0));
      }
    }
  }
  return out;
});
