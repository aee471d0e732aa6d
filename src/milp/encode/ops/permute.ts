// Permute (data movement): y[i] = x[perm[i]], the same expressions reordered (exact).
import type { PermuteOp } from '../../../network.js';
import { linearEncoder } from './encoder.js';

export const permuteEncoder = linearEncoder<PermuteOp>(false, (op, [x]) => Array.from(op.perm, (p) => x[p]));
