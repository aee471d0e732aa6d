// MaxPool (any kernel, stride and padding; padded positions never win). Interval: the max of
// the lower bounds and the max of the upper bounds over each window.
// Relaxation of m = max(x_1..x_k) over one window, with j* the input of largest upper bound u*
// and u2 the largest upper bound among the others:
//   lower: m ≥ x_i for the input i of largest lower bound (DeepPoly's choice);
//   upper: m ≤ max(x_j*, u2) = u2 + relu(x_j* − u2), and that ReLU's chord on [l_j*, u*] gives
//          m ≤ u2 + s (x_j* − l_j*), s = (u* − u2) / (u* − l_j*); when l_j* ≥ u2 the input j*
//          always wins and m = x_j* exactly. This plane is never above the constant u*.
// α family (relax/types.ts): the lower line m ≥ α·x_i + (1 − α)·x_k, i DeepPoly's choice (α = 1)
// and k the input j* of largest upper bound (when j* = i, the input of second largest lower
// bound); sound for any α ∈ [0, 1] since m ≥ x_i and m ≥ x_k. Free unless the window has one
// input or j* always wins (then m ≥ x_j* is exact).
import type { MaxPool2dOp } from '../../network.js';
import type { OpRule } from './rule.js';
import { poolInterval, windowsOf } from './window.js';
import type { MaxRelax } from '../relax/types.js';

export const maxpoolRule: OpRule<MaxPool2dOp> = {
  nonlinear: true,
  interval(op, [x], ctx) {
    return poolInterval(op, x, ctx, (v, xo, o, { start, idx }) => {
      let best = -Infinity;
      for (let t = start[o]; t < start[o + 1]; t++) if (v[xo + idx[t]] > best) best = v[xo + idx[t]];
      return best;
    });
  },
  relax(op, [x], ctx): MaxRelax {
    const { start, idx } = windowsOf(op, ctx.inShapes[0], ctx.outShape);
    const n = ctx.inSizes[0], m = ctx.outSize;
    const lowIdx = new Int32Array(ctx.count * m);
    const lowIdx2 = new Int32Array(ctx.count * m);
    const free = new Uint8Array(ctx.count * m);
    const upIdx = new Int32Array(ctx.count * m);
    const upSlope = new Float64Array(ctx.count * m);
    const upIcpt = new Float64Array(ctx.count * m);
    for (let b = 0; b < ctx.count; b++) {
      const xo = b * n;
      for (let o = 0; o < m; o++) {
        let bestL = -Infinity, li = -1, bestU = -Infinity, ui = -1, u2 = -Infinity, l2 = -Infinity, li2 = -1;
        for (let t = start[o]; t < start[o + 1]; t++) {
          const i = idx[t];
          const l = x.lower[xo + i], u = x.upper[xo + i];
          if (l > bestL || li < 0) { l2 = bestL; li2 = li; bestL = l; li = i; } else if (l > l2 || li2 < 0) { l2 = l; li2 = i; }
          if (u > bestU || ui < 0) { u2 = bestU; bestU = u; ui = i; } else if (u > u2) u2 = u;
        }
        const k = b * m + o;
        lowIdx[k] = li;
        lowIdx2[k] = ui !== li ? ui : li2 >= 0 ? li2 : li;
        upIdx[k] = ui;
        const lStar = x.lower[xo + ui];
        if (lStar >= u2) {
          upSlope[k] = 1; // j* always wins
          lowIdx2[k] = li; // j* always wins: no parameter
        } else {
          free[k] = lowIdx2[k] !== li ? 1 : 0;
          const s = (bestU - u2) / (bestU - lStar);
          upSlope[k] = s;
          upIcpt[k] = u2 - s * lStar;
        }
      }
    }
    return { kind: 'max', lowIdx, lowIdx2, free, upIdx, upSlope, upIcpt };
  },
  backward(_op, A, rows, ctx, relax, param) {
    const { lowIdx, lowIdx2, free, upIdx, upSlope, upIcpt } = relax as MaxRelax;
    const alpha = free && lowIdx2 ? param?.alpha : undefined;
    const n = ctx.inSizes[0], m = ctx.outSize;
    const out = new Float64Array(rows.n * n);
    for (let r = 0; r < rows.n; r++) {
      const ao = r * m, oo = r * n, ro = rows.box[r] * m;
      let bias = 0;
      for (let o = 0; o < m; o++) {
        const a = A[ao + o];
        if (a > 0) {
          if (alpha && free![ro + o]) {
            const al = alpha[ao + o];
            out[oo + lowIdx[ro + o]] += a * al;
            out[oo + lowIdx2![ro + o]] += a * (1 - al);
          } else out[oo + lowIdx[ro + o]] += a;
        } else if (a < 0) {
          out[oo + upIdx[ro + o]] += a * upSlope[ro + o];
          bias += a * upIcpt[ro + o];
        }
      }
      rows.bias[r] += bias;
    }
    return [out];
  },
  reverse(_op, G, A, rows, ctx, relax, param, grad) {
    // the derivative of the bound with respect to output coefficient o is the line the
    // backward step chose for it, evaluated at G; with α, a·(G_i − G_k) is d bound / d α
    const { lowIdx, lowIdx2, free, upIdx, upSlope, upIcpt } = relax as MaxRelax;
    const alpha = free && lowIdx2 ? param?.alpha : undefined;
    const ga = alpha ? grad?.alpha : undefined;
    const n = ctx.inSizes[0], m = ctx.outSize;
    const out = new Float64Array(rows.n * m);
    for (let r = 0; r < rows.n; r++) {
      const ao = r * m, go = r * n, ro = rows.box[r] * m;
      for (let o = 0; o < m; o++) {
        const a = A![ao + o];
        if (a < 0) {
          out[ao + o] = upSlope[ro + o] * G[go + upIdx[ro + o]] + upIcpt[ro + o];
          if (ga) ga[ao + o] = 0;
        } else if (alpha && free![ro + o]) {
          const gi = G[go + lowIdx[ro + o]], gk = G[go + lowIdx2![ro + o]], al = alpha[ao + o];
          out[ao + o] = al * gi + (1 - al) * gk;
          if (ga) ga[ao + o] = a * (gi - gk);
        } else {
          out[ao + o] = G[go + lowIdx[ro + o]];
          if (ga) ga[ao + o] = 0;
        }
      }
    }
    return out;
  },
};
