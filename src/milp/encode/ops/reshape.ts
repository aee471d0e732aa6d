// Reshape / Flatten: the same expressions in the same order (exact).
import type { ReshapeOp } from '../../../network.js';
import { linearEncoder } from './encoder.js';

export const reshapeEncoder = linearEncoder<ReshapeOp>(false, (_op, [x]) => x.slice());
