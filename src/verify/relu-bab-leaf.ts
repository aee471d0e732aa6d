// The leaves of relu-bab.ts: on a domain where every unstable ReLU is split the chain is
// affine in x, so one LP over the split sign conditions and the property rows decides it.
import type { Highs } from 'highs';
import type { DenseChain } from './dense-chain.js';
import type { BabRow, Ctx } from './relu-bab-bounds.js';

/**
 * The LP of a fully split domain: x in the box, every split's sign condition on its
 * pre-activation and every row a_j·y ≤ b_j, all affine in x under the domain's activation
 * pattern (stable ReLUs follow `pre`, which holds on the whole box). Every constraint is
 * loosened by a small tolerance, so 'infeasible' (HiGHS's answer on a larger set) proves
 * the leaf empty; a feasible point is only a candidate for the replay.
 */
export function leafLp(highs: Highs, chain: DenseChain, ctx: Ctx, splits: Int32Array, rows: BabRow[]): { infeasible: boolean; x?: Float64Array } {
  const n0 = ctx.n0, K = ctx.K, W = n0 + 1;
  const state = ctx.alive.map((a) => new Int8Array(a.length));
  for (let t = 0; t < splits.length; t++) {
    const g = splits[t] >> 1;
    state[ctx.ugLayer[g]][ctx.ugPos[g]] = splits[t] & 1 ? 1 : -1;
  }
  // affine forms (coefficients on x, constant last) of each layer's output, full width
  let H: Float64Array = new Float64Array(n0 * W); // h = x
  for (let i = 0; i < n0; i++) H[i * W + i] = 1;
  const cons: { coef: Float64Array; rhs: number }[] = [];
  const tol = (v: number) => 1e-7 * (1 + Math.abs(v));
  for (let k = 0; k <= K; k++) {
    const { w, b, out, in: inn } = chain.maps[k];
    const Z = new Float64Array(out * W);
    for (let o = 0; o < out; o++) {
      Z[o * W + n0] = b[o];
      for (let j = 0; j < inn; j++) {
        const v = w[o * inn + j];
        if (v === 0) continue;
        for (let t = 0; t < W; t++) Z[o * W + t] += v * H[j * W + t];
      }
    }
    if (k === K) { H = Z; break; }
    const alive = ctx.alive[k], next = new Float64Array(out * W);
    alive.forEach((o, p) => {
      const st = ctx.l[k][p] >= 0 ? 1 : state[k][p];
      const z = Z.subarray(o * W, (o + 1) * W);
      if (st === 1) {
        next.set(z, o * W);
        if (ctx.l[k][p] < 0) cons.push({ coef: z.map((v) => -v).subarray(0, n0), rhs: z[n0] + tol(z[n0]) }); // z ≥ 0
      } else if (st === -1) cons.push({ coef: z.slice(0, n0), rhs: -z[n0] + tol(z[n0]) }); // z ≤ 0
      else throw new Error('leafLp: an unstable ReLU is not split');
    });
    H = next;
  }
  const m = chain.maps[K].out;
  const obj = new Float64Array(W);
  rows.forEach((row, j) => {
    const f = new Float64Array(W);
    for (let o = 0; o < m; o++) if (row.a[o] !== 0) for (let t = 0; t < W; t++) f[t] += row.a[o] * H[o * W + t];
    cons.push({ coef: f.subarray(0, n0), rhs: row.b - f[n0] + tol(row.b) });
    if (j === 0) obj.set(f);
  });
  const starts = [0], indices: number[] = [], values: number[] = [];
  for (const c of cons) { for (let t = 0; t < n0; t++) if (c.coef[t] !== 0) { indices.push(t); values.push(c.coef[t]); } starts.push(indices.length); }
  const model = highs.createModel({
    numCols: n0, numRows: cons.length, colCost: obj.subarray(0, n0), offset: obj[n0], colLower: ctx.lower, colUpper: ctx.upper,
    rowLower: cons.map(() => -Infinity), rowUpper: cons.map((c) => c.rhs),
    matrix: { format: 'csr', numRows: cons.length, numCols: n0, starts, indices, values },
  });
  try {
    model.options.set({ output_flag: false });
    model.run();
    const st = model.getModelStatus();
    if (st === highs.constants.modelStatus.infeasible) return { infeasible: true };
    if (st !== highs.constants.modelStatus.optimal) return { infeasible: false };
    const col = model.getSolution().colValue;
    const x = new Float64Array(n0);
    for (let i = 0; i < n0; i++) x[i] = Math.min(ctx.upper[i], Math.max(ctx.lower[i], col[i]));
    return { infeasible: false, x };
  } finally {
    model.dispose();
  }
}
