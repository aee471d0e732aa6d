// Same data, new shape: bounds and coefficients pass through unchanged.
import type { ReshapeOp } from '../../network.js';
import type { OpRule } from './rule.js';
import { toDense } from '../patches.js';

export const reshapeRule: OpRule<ReshapeOp> = {
  nonlinear: false,
  // patch rows keep their form when the shape does not change (an Identity), else go dense
  patches: (_op, P, _rows, ctx) => [ctx.inShapes[0].length === 3 && ctx.inShapes[0].every((d, i) => d === ctx.outShape[i]) ? P : toDense(P)],
  interval(_op, [x]) {
    return { lower: x.lower.slice(), upper: x.upper.slice() };
  },
  backward(_op, A) {
    return [A];
  },
};
