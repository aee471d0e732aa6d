// Residual y = x1 + x2: interval sum; backward gives both inputs the same coefficients (the
// CROWN driver accumulates coefficients that reach a layer along several paths); patch rows too.
import type { AddOp } from '../../network.js';
import type { OpRule } from './rule.js';
import { clonePatches } from '../patches.js';

export const addRule: OpRule<AddOp> = {
  nonlinear: false,
  patches: (_op, P) => [P, clonePatches(P)],
  interval(_op, [x, y]) {
    const n = x.lower.length;
    const lower = new Float64Array(n);
    const upper = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      lower[i] = x.lower[i] + y.lower[i];
      upper[i] = x.upper[i] + y.upper[i];
    }
    return { lower, upper };
  },
  backward(_op, A) {
    return [A, A.slice()];
  },
};
