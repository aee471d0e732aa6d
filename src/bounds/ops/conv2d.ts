// Conv2d (CHW, zero padding). Interval: centre–radius (μ' = conv(μ) + b, r' = conv_|W|(r)).
// Backward: the transposed convolution of the coefficients, bias += Σ A·b. On patch rows
// (../patches.ts) the same scatter into the window below: output (oy+i, ox+j) reads input
// window positions (i·s + ki, j·s + kj) of a window at (oy·s − pad, ox·s − pad); taps that fall
// in the zero padding land outside the input layer, where the window's entries mean nothing,
// as the dense rule drops them.
import type { Conv2dOp } from '../../network.js';
import type { OpRule, PatchReverse, PatchStep, RuleCtx } from './rule.js';
import { absOf, centreRadius, fromCentreRadius } from '../linalg.js';
import { inside, settle, windowBelow } from '../patches.js';
import { convTaps, transposedConv, type Taps } from './window.js';

function tapsOf(op: Conv2dOp, ctx: RuleCtx): Taps {
  return convTaps(op, ctx.inShapes[0], ctx.outShape);
}

/** The weights as [out][kh][kw][in] (channels last, as patch windows are), per weight array. */
const wLast = new WeakMap<Float64Array, Float64Array>();
function channelsLast(op: Conv2dOp): Float64Array {
  let t = wLast.get(op.weight);
  if (!t) {
    const { inChannels: ci, outChannels: co, kernel: [kh, kw], weight: W } = op;
    t = new Float64Array(W.length);
    for (let c = 0; c < co; c++) for (let k = 0; k < ci; k++) for (let q = 0; q < kh * kw; q++) t[(c * kh * kw + q) * ci + k] = W[(c * ci + k) * kh * kw + q];
    wLast.set(op.weight, t);
  }
  return t;
}

const patches: PatchStep<Conv2dOp> = (op, P, rows, ctx) => {
  const { inChannels: ci, outChannels: co, bias, kernel: [kh, kw], stride: [sh, sw] } = op;
  const WT = channelsLast(op);
  const Q = windowBelow(P, ctx.inShapes[0], op.kernel, op.stride, op.pads);
  const { ph, pw } = P, qh = Q.ph, qw = Q.pw, pd = P.data, qd = Q.data;
  for (let r = 0; r < P.n; r++) {
    const [y0, y1] = inside(P.oy[r], ph, P.H), [x0, x1] = inside(P.ox[r], pw, P.W);
    let bsum = 0;
    // channel by channel, positions in raster order, taps in order: each input coefficient
    // receives its terms in the dense rule's order, so the sums are the same
    for (let c = 0; c < co; c++) {
      for (let i = y0; i < y1; i++) {
        for (let j = x0; j < x1; j++) {
          const a = pd[((r * ph + i) * pw + j) * co + c];
          if (a === 0) continue;
          bsum += a * bias[c];
          // Q[i·s + ki][j·s + kj][·] += a · W[c][·][ki][kj]: one run over (kj, input channel)
          for (let ki = 0; ki < kh; ki++) {
            const qr = ((r * qh + i * sh + ki) * qw + j * sw) * ci, wr = (c * kh + ki) * kw * ci;
            for (let t = 0; t < kw * ci; t++) qd[qr + t] += a * WT[wr + t];
          }
        }
      }
    }
    rows.bias[r] += bsum;
  }
  return [settle(Q)];
};

// the reverse sweep on patch rows: the forward convolution of the input's derivative, read on
// the window the patch step produced (0 outside the layer: the zero padding), at each position
// of the output window inside the layer
const reversePatches: PatchReverse<Conv2dOp> = (op, read, P, _rows, ctx) => {
  const { inChannels: ci, outChannels: co, bias, kernel: [kh, kw], stride: [sh, sw] } = op;
  const WT = channelsLast(op);
  const Q = windowBelow(P, ctx.inShapes[0], op.kernel, op.stride, op.pads);
  const Gq = read(Q);
  const { ph, pw } = P, qh = Q.ph, qw = Q.pw;
  const out = new Float64Array(P.n * ph * pw * co); // (P.data: not kept for linear layers)
  for (let r = 0; r < P.n; r++) {
    const [y0, y1] = inside(P.oy[r], ph, P.H), [x0, x1] = inside(P.ox[r], pw, P.W);
    for (let i = y0; i < y1; i++) {
      for (let j = x0; j < x1; j++) {
        const k = ((r * ph + i) * pw + j) * co;
        for (let c = 0; c < co; c++) {
          // Σ W[c][·][ki][kj] · G[i·s + ki][j·s + kj][·]: one run over (kj, input channel) per ki
          let s = 0;
          for (let ki = 0; ki < kh; ki++) {
            const qr = ((r * qh + i * sh + ki) * qw + j * sw) * ci, wr = (c * kh + ki) * kw * ci;
            for (let t = 0; t < kw * ci; t++) s += WT[wr + t] * Gq[qr + t];
          }
          out[k + c] = s + bias[c];
        }
      }
    }
  }
  return out;
};

export const conv2dRule: OpRule<Conv2dOp> = {
  patches,
  reversePatches,
  nonlinear: false,
  interval(op, [x], ctx) {
    const { off, taps, positions } = tapsOf(op, ctx);
    const { inChannels: ci, outChannels: co, weight: W, bias } = op;
    const absW = absOf(W);
    const n = ctx.inSizes[0], m = ctx.outSize, plane = n / ci;
    const { mid, rad } = centreRadius(x.lower, x.upper);
    const omid = new Float64Array(ctx.count * m);
    const orad = new Float64Array(ctx.count * m);
    for (let b = 0; b < ctx.count; b++) {
      for (let c = 0; c < co; c++) {
        for (let p = 0; p < positions; p++) {
          let s = bias[c], t = 0;
          for (let k = 0; k < ci; k++) {
            const xo = b * n + k * plane, wo = (c * ci + k) * taps;
            for (let q = 0; q < taps; q++) {
              const i = off[p * taps + q];
              if (i < 0) continue;
              s += W[wo + q] * mid[xo + i];
              t += absW[wo + q] * rad[xo + i];
            }
          }
          omid[b * m + c * positions + p] = s;
          orad[b * m + c * positions + p] = t;
        }
      }
    }
    return fromCentreRadius(omid, orad);
  },
  backward(op, A, rows, ctx) {
    const t = tapsOf(op, ctx);
    const { outChannels: co, bias } = op;
    const n = ctx.inSizes[0], m = ctx.outSize, positions = t.positions;
    const out = new Float64Array(rows.n * n);
    for (let r = 0; r < rows.n; r++) {
      let bsum = 0;
      for (let c = 0; c < co; c++) {
        for (let p = 0; p < positions; p++) {
          const a = A[r * m + c * positions + p];
          if (a !== 0) bsum += a * bias[c];
        }
      }
      rows.bias[r] += bsum;
    }
    transposedConv(op, t, A, rows.n, n, m, out);
    return [out];
  },
};
