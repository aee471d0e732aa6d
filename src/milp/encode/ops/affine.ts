// Affine normalisation y = x·scale + shift, element-wise (exact).
import type { AffineOp } from '../../../network.js';
import { linearEncoder } from './encoder.js';

export const affineEncoder = linearEncoder<AffineOp>(false, (op, [x], { b }) => x.map((e, i) => b.combine([op.scale[i]], [e], op.shift[i])));
