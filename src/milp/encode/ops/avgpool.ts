// AvgPool on CHW: the mean of each window (padded positions count as zeros only when
// countIncludePad), with the bound engine's window geometry; exact.
import type { AvgPool2dOp } from '../../../network.js';
import type { Expr } from '../../builder.js';
import { windowsOf } from '../../../bounds/ops/window.js';
import { linearEncoder } from './encoder.js';

export const avgpoolEncoder = linearEncoder<AvgPool2dOp>(true, (op, [x], { b, inShapes, outShape }) => {
  const { start, idx } = windowsOf(op, inShapes[0], outShape);
  const out: Expr[] = [];
  for (let o = 0; o + 1 < start.length; o++) {
    const es = Array.from(idx.subarray(start[o], start[o + 1]), (i) => x[i]);
    const count = op.countIncludePad ? op.kernel[0] * op.kernel[1] : es.length;
    out.push(b.combine(es.map(() => 1 / count), es, 0));
  }
  return out;
});
