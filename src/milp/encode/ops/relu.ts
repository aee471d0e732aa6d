// ReLU after Fischetti & Jo: x − s = pre, x, s ≥ 0, binary z with x ≤ u(1 − z), s ≤ −l·z,
// where [l, u] are the tightest known pre-activation bounds. Stable neurons need no binary:
// always active is the identity, always inactive is the constant 0.
import type { ReluOp } from '../../../network.js';
import type { Expr } from '../../builder.js';
import { MilpBuilder, constExpr, varExpr } from '../../builder.js';
import type { OpEncoder, ReluStats } from './encoder.js';

export const reluEncoder: OpEncoder<ReluOp> = {
  support: 'exact',
  weighted: false,
  encode: (_op, [x], { b, lower, upper, stats }) => encodeRelu(b, x, lower, upper, stats.relu),
};

export function encodeRelu(b: MilpBuilder, pre: readonly Expr[], l: Float64Array, u: Float64Array, stats: ReluStats): Expr[] {
  return pre.map((e, i) => {
    const lo = l[i], hi = u[i];
    if (hi <= 0) { stats.inactive++; return constExpr(0); }
    if (lo >= 0) { stats.active++; return b.materialise(e, lo, hi); }
    stats.unstable++;
    const x = b.addVar(0, hi, (v) => Math.max(b.value(e, v), 0));
    const s = b.addVar(0, -lo, (v) => Math.max(-b.value(e, v), 0));
    const z = b.addVar(0, 1, (v) => (b.value(e, v) < 0 ? 1 : 0), true); // z = 1: inactive
    // x − s − Σ val·prev = c
    b.addRow({ idx: [x, s, ...e.idx], val: [1, -1, ...e.val.map((a) => -a)], c: -e.c }, 0, 0);
    b.addRow({ idx: [x, z], val: [1, hi], c: 0 }, -Infinity, hi); // x ≤ u(1 − z)
    b.addRow({ idx: [s, z], val: [1, lo], c: 0 }, -Infinity, 0); // s ≤ −l·z
    return varExpr(x);
  });
}
