// Residual Add: the element-wise sum of the two inputs' expressions (exact).
import type { AddOp } from '../../../network.js';
import { linearEncoder } from './encoder.js';

export const addEncoder = linearEncoder<AddOp>(true, (_op, [x, y], { b }) => {
  if (!y) throw new Error('add needs two inputs');
  return x.map((e, i) => b.combine([1, 1], [e, y[i]], 0));
});
