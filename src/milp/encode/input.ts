// The input of the MILP: one column per input value, bounded by the box.
import { UserError } from '../../errors.js';
import type { Expr } from '../builder.js';
import { MilpBuilder, varExpr } from '../builder.js';

export interface Box {
  lower: Float64Array;
  upper: Float64Array;
}

/** Input columns 0 .. n−1 (the builder must be empty). */
export function encodeInput(b: MilpBuilder, box: Box, n: number): Expr[] {
  if (b.numCols !== 0) throw new Error('encodeInput: the input columns must come first');
  if (box.lower.length !== n || box.upper.length !== n) {
    throw new UserError(`MILP: the input box has ${box.lower.length}/${box.upper.length} bounds, the network takes ${n} inputs`);
  }
  const out: Expr[] = [];
  for (let i = 0; i < n; i++) {
    const l = box.lower[i], u = box.upper[i];
    if (!(l <= u) || !Number.isFinite(l) || !Number.isFinite(u)) throw new UserError(`MILP: input ${i} has an empty or unbounded range [${l}, ${u}]`);
    // the value comes from the given point (assignment() copies inputs first)
    out.push(varExpr(b.addVar(l, u, (v) => v[i])));
  }
  return out;
}
