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
// Patch rows (../patches.ts): each output's chosen input lies in its pooling window, so the rows
// stay windows of the input, (ph − 1)·stride + kernel wide.
import type { MaxPool2dOp } from '../../network.js';
import type { OpRule, PatchReverse, PatchStep } from './rule.js';
import { poolInterval, windowsOf } from './window.js';
import type { MaxRelax } from '../relax/types.js';
import { addAt, inside, settle, toDense, valueAt, windowBelow } from '../patches.js';

const patches: PatchStep<MaxPool2dOp> = (op, P, rows, ctx, relax, param) => {
  if (relax?.kind !== 'max') return maxpoolRule.backward(op, toDense(P), rows, ctx, relax, param);
  const { lowIdx, lowIdx2, free, upIdx, upSlope, upIcpt } = relax;
  const alpha = free && lowIdx2 ? param?.alpha : undefined;
  const Q = windowBelow(P, ctx.inShapes[0], op.kernel, op.stride, op.pads);
  const { C, H, W, ph, pw } = P, m = ctx.outSize;
  for (let r = 0; r < P.n; r++) {
    const [y0, y1] = inside(P.oy[r], ph, H), [x0, x1] = inside(P.ox[r], pw, W);
    const ro = rows.box[r] * m;
    let bias = 0;
    for (let c = 0; c < C; c++) {
      for (let i = y0; i < y1; i++) {
        for (let j = x0; j < x1; j++) {
          const e = (c * H + P.oy[r] + i) * W + P.ox[r] + j, a = P.data[((r * ph + i) * pw + j) * C + c], o = ro + e;
          if (a > 0) {
            if (alpha && free![o]) {
              // the α mix of two inputs of the same window (the dense rule's order)
              const al = alpha[r * m + e];
              addAt(Q, r, lowIdx[o], a * al);
              addAt(Q, r, lowIdx2![o], a * (1 - al));
            } else addAt(Q, r, lowIdx[o], a);
          } else if (a < 0) {
            addAt(Q, r, upIdx[o], a * upSlope[o]);
            bias += a * upIcpt[o];
          }
        }
      }
    }
    rows.bias[r] += bias;
  }
  return [settle(Q)];
};

/**
 * Output k's lines (the header's) for m = max of the inputs `cand` (indices into the op's input,
 * whose bounds are lower/upper): the whole window at the root; a split domain's remaining
 * candidates (../optimise/domains.ts), on which the max equals the window's max.
 */
export function setMaxOutput(r: MaxRelax, k: number, cand: ArrayLike<number>, lower: Float64Array, upper: Float64Array): void {
  let bestL = -Infinity, li = -1, bestU = -Infinity, ui = -1, u2 = -Infinity, l2 = -Infinity, li2 = -1;
  for (let t = 0; t < cand.length; t++) {
    const i = cand[t];
    const l = lower[i], u = upper[i];
    if (l > bestL || li < 0) { l2 = bestL; li2 = li; bestL = l; li = i; } else if (l > l2 || li2 < 0) { l2 = l; li2 = i; }
    if (u > bestU || ui < 0) { u2 = bestU; bestU = u; ui = i; } else if (u > u2) u2 = u;
  }
  r.lowIdx[k] = li;
  r.lowIdx2![k] = ui !== li ? ui : li2 >= 0 ? li2 : li;
  r.upIdx[k] = ui;
  r.free![k] = 0;
  const lStar = lower[ui];
  if (lStar >= u2) {
    r.upSlope[k] = 1; // j* always wins
    r.upIcpt[k] = 0;
    r.lowIdx2![k] = li; // j* always wins: no parameter
  } else {
    r.free![k] = r.lowIdx2![k] !== li ? 1 : 0;
    const s = (bestU - u2) / (bestU - lStar);
    r.upSlope[k] = s;
    r.upIcpt[k] = u2 - s * lStar;
  }
}

// the reverse sweep on patch rows: `reverse` per window entry, reading the input's derivative on
// the window the patch step produced
const reversePatches: PatchReverse<MaxPool2dOp> = (op, read, P, rows, ctx, relax, param, grad) => {
  const { lowIdx, lowIdx2, free, upIdx, upSlope, upIcpt } = relax as MaxRelax;
  const alpha = free && lowIdx2 ? param?.alpha : undefined;
  const ga = alpha ? grad?.alpha : undefined;
  const Q = windowBelow(P, ctx.inShapes[0], op.kernel, op.stride, op.pads);
  const Gq = read(Q);
  const { C, H, W, ph, pw } = P, m = ctx.outSize;
  const out = new Float64Array(P.data.length);
  for (let r = 0; r < P.n; r++) {
    const [y0, y1] = inside(P.oy[r], ph, H), [x0, x1] = inside(P.ox[r], pw, W);
    const ao = r * m, ro = rows.box[r] * m;
    for (let i = y0; i < y1; i++) {
      for (let j = x0; j < x1; j++) {
        for (let c = 0; c < C; c++) {
          const k = ((r * ph + i) * pw + j) * C + c, e = (c * H + P.oy[r] + i) * W + P.ox[r] + j, o = ro + e, a = P.data[k];
          if (a < 0) {
            out[k] = upSlope[o] * valueAt(Q, Gq, r, upIdx[o]) + upIcpt[o];
            if (ga) ga[ao + e] = 0;
          } else if (alpha && free![o]) {
            const gi = valueAt(Q, Gq, r, lowIdx[o]), gk = valueAt(Q, Gq, r, lowIdx2![o]), al = alpha[ao + e];
            out[k] = al * gi + (1 - al) * gk;
            if (ga) ga[ao + e] = a * (gi - gk);
          } else {
            out[k] = valueAt(Q, Gq, r, lowIdx[o]);
            if (ga) ga[ao + e] = 0;
          }
        }
      }
    }
  }
  return out;
};

export const maxpoolRule: OpRule<MaxPool2dOp> = {
  nonlinear: true,
  patches,
  reversePatches,
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
    const r: MaxRelax = {
      kind: 'max', lowIdx: new Int32Array(ctx.count * m), lowIdx2: new Int32Array(ctx.count * m), free: new Uint8Array(ctx.count * m),
      upIdx: new Int32Array(ctx.count * m), upSlope: new Float64Array(ctx.count * m), upIcpt: new Float64Array(ctx.count * m),
    };
    for (let b = 0; b < ctx.count; b++) {
      for (let o = 0; o < m; o++) setMaxOutput(r, b * m + o, idx.subarray(start[o], start[o + 1]), x.lower.subarray(b * n, (b + 1) * n), x.upper.subarray(b * n, (b + 1) * n));
    }
    return r;
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
