// Same data, new shape: bounds and coefficients pass through unchanged.
import type { ReshapeOp } from '../../network.js';
import type { OpRule } from './rule.js';

export const reshapeRule: OpRule<ReshapeOp> = {
  nonlinear: false,
  interval(_op, [x]) {
    return { lower: x.lower.slice(), upper: x.upper.slice() };
  },
  backward(_op, A) {
    return [A];
  },
};
