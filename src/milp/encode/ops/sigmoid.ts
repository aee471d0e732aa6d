// A hidden Sigmoid, relaxed: a column y ∈ [σ(l), σ(u)] with y ≥ Lᵢ(x) and y ≤ Uⱼ(x) for the
// tangent and chord lines of sigmoid-lines.ts (their soundness argument is there), over the
// pre-activation x as one column. The rows contain the graph of σ over [l, u] and more, so a
// model with them bounds soundly but its points are only candidates: every consumer replays
// them on the float64 network (bab.ts, findset.ts, verify.ts) before anything is reported.
import type { SigmoidOp } from '../../../network.js';
import type { Expr } from '../../builder.js';
import { varExpr } from '../../builder.js';
import { sigma, sigmoidRelaxation } from '../sigmoid-lines.js';
import type { OpEncoder } from './encoder.js';

export const sigmoidEncoder: OpEncoder<SigmoidOp> = {
  support: 'relaxed',
  how: 'hidden sigmoids by tangent and chord lines (an outer bound: it proves, its points are replayed)',
  weighted: false,
  encode(_op, [x], { b, lower, upper, stats }) {
    return x.map((e, i): Expr => {
      const l = lower[i], u = upper[i];
      const r = sigmoidRelaxation(l, u);
      const pre = b.materialise(e, l, u);
      const y = varExpr(b.addVar(r.lo, r.hi, (v) => sigma(b.value(pre, v))));
      for (const { slope, icpt } of r.lower) b.addRow(b.combine([1, -slope], [y, pre], 0), icpt, Infinity);
      for (const { slope, icpt } of r.upper) b.addRow(b.combine([1, -slope], [y, pre], 0), -Infinity, icpt);
      stats.sigmoid.relaxed++;
      stats.sigmoid.rows += r.lower.length + r.upper.length;
      return y;
    });
  },
};
