// MaxPool: y ≥ xᵢ, y ≤ xᵢ + Mᵢ(1 − aᵢ), Σ aᵢ = 1 with binary aᵢ. Inputs that can never be the
// maximum (uᵢ < maxⱼ lⱼ) are left out, Mᵢ = maxⱼ≠ᵢ uⱼ − lᵢ over the survivors, and a window with
// one survivor is that input itself. Padded positions never win.
import type { MaxPool2dOp, Shape } from '../../../network.js';
import type { Expr } from '../../builder.js';
import { MilpBuilder, varExpr } from '../../builder.js';
import { windowsOf } from '../../../bounds/ops/window.js';
import type { OpEncoder, PoolStats } from './encoder.js';

export const maxpoolEncoder: OpEncoder<MaxPool2dOp> = {
  support: 'exact',
  weighted: false,
  encode: (op, [x], { b, inShapes, outShape, lower, upper, stats }) => encodeMaxPool(b, op, x, inShapes[0], outShape, lower, upper, stats.pool),
};

export function encodeMaxPool(
  b: MilpBuilder, op: MaxPool2dOp, x: readonly Expr[], inShape: Shape, outShape: Shape,
  l: Float64Array, u: Float64Array, stats: PoolStats,
): Expr[] {
  // the same window geometry the bound engine uses (padded positions never win)
  const { start, idx } = windowsOf(op, inShape, outShape);
  const out: Expr[] = [];
  for (let o = 0; o + 1 < start.length; o++) {
    out.push(encodeWindow(b, Array.from(idx.subarray(start[o], start[o + 1])), x, l, u, stats));
  }
  return out;
}

function encodeWindow(b: MilpBuilder, cand: number[], x: readonly Expr[], l: Float64Array, u: Float64Array, stats: PoolStats): Expr {
  stats.windows++;
  let maxL = -Infinity;
  for (const i of cand) maxL = Math.max(maxL, l[i]);
  const keep = cand.filter((i) => u[i] >= maxL);
  if (keep.length === 1) { stats.decided++; return x[keep[0]]; }
  let maxU = -Infinity;
  for (const i of keep) maxU = Math.max(maxU, u[i]);
  const yVal = (v: Float64Array): number => Math.max(...keep.map((i) => b.value(x[i], v)));
  const y = b.addVar(maxL, maxU, yVal);
  const a = keep.map((i, k) => b.addVar(0, 1, (v) => {
    // the first input that reaches the maximum is the chosen one
    const vals = keep.map((j) => b.value(x[j], v));
    return vals.indexOf(Math.max(...vals)) === k ? 1 : 0;
  }, true));
  keep.forEach((i, k) => {
    let mOther = -Infinity;
    keep.forEach((j, t) => { if (t !== k) mOther = Math.max(mOther, u[j]); });
    const m = Math.max(mOther - l[i], 0);
    const xi = x[i];
    // y − xᵢ ≥ 0
    b.addRow({ idx: [y, ...xi.idx], val: [1, ...xi.val.map((q) => -q)], c: -xi.c }, 0, Infinity);
    // y − xᵢ + Mᵢ aᵢ ≤ Mᵢ
    b.addRow({ idx: [y, a[k], ...xi.idx], val: [1, m, ...xi.val.map((q) => -q)], c: -xi.c }, -Infinity, m);
  });
  b.addRow({ idx: a, val: a.map(() => 1), c: 0 }, 1, 1);
  return varExpr(y);
}
