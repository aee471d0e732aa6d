// Which input positions each output of a pooling window reads (CHW, padded positions left
// out), computed once per op and shared by maxpool and avgpool, and their common interval rule;
// and the same geometry for a convolution's kernel taps (convTaps: the conv rule and the forward
// pass's im2col read it).
import type { Conv2dOp, Shape } from '../../network.js';
import type { LayerBounds } from '../types.js';
import type { RuleCtx } from './rule.js';

export interface Windows {
  /** Output o reads input indices idx[start[o] .. start[o+1]). */
  start: Int32Array;
  idx: Int32Array;
}

// per op, for the shapes last asked (tests reuse one op object in networks of other shapes)
const cache = new WeakMap<object, { shapes: string; win: Windows }>();

export function windowsOf(
  op: { kernel: [number, number]; stride: [number, number]; pads: [number, number, number, number] },
  inShape: Shape,
  outShape: Shape,
): Windows {
  const shapes = `${inShape}|${outShape}`;
  const hit = cache.get(op);
  if (hit?.shapes === shapes) return hit.win;
  const [c, h, w] = inShape;
  const [, oh, ow] = outShape;
  const [kh, kw] = op.kernel;
  const [sh, sw] = op.stride;
  const [pt, pl] = op.pads;
  const start = new Int32Array(c * oh * ow + 1);
  const idx: number[] = [];
  let o = 0;
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        start[o++] = idx.length;
        for (let i = 0; i < kh; i++) {
          const iy = y * sh - pt + i;
          if (iy < 0 || iy >= h) continue;
          for (let j = 0; j < kw; j++) {
            const ix = x * sw - pl + j;
            if (ix < 0 || ix >= w) continue;
            idx.push((ch * h + iy) * w + ix);
          }
        }
      }
    }
  }
  start[o] = idx.length;
  const win = { start, idx: Int32Array.from(idx) };
  cache.set(op, { shapes, win });
  return win;
}

/** For each (output position, kernel tap) the input offset within a channel, or −1 (padding). */
export interface Taps {
  /** [oh*ow][kh*kw] input offsets (iy*w + ix) or −1. */
  off: Int32Array;
  taps: number;
  positions: number;
}

const tapsCache = new WeakMap<object, { shapes: string; taps: Taps }>();

/** The kernel taps of a convolution (stride, zero padding) from inShape to outShape, per op and shapes. */
export function convTaps(op: Parameters<typeof windowsOf>[0], inShape: Shape, outShape: Shape): Taps {
  const shapes = `${inShape}|${outShape}`;
  const hit = tapsCache.get(op);
  if (hit?.shapes === shapes) return hit.taps;
  const [, h, w] = inShape;
  const [, oh, ow] = outShape;
  const [kh, kw] = op.kernel;
  const [sh, sw] = op.stride;
  const [pt, pl] = op.pads;
  const off = new Int32Array(oh * ow * kh * kw).fill(-1);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      for (let i = 0; i < kh; i++) {
        const iy = y * sh - pt + i;
        if (iy < 0 || iy >= h) continue;
        for (let j = 0; j < kw; j++) {
          const ix = x * sw - pl + j;
          if (ix >= 0 && ix < w) off[((y * ow + x) * kh + i) * kw + j] = iy * w + ix;
        }
      }
    }
  }
  const taps = { off, taps: kh * kw, positions: oh * ow };
  tapsCache.set(op, { shapes, taps });
  return taps;
}

/**
 * The transposed convolution of R rows (each m = outChannels × positions wide) into `out` (R × n,
 * n = inChannels × the input plane, added to): every coefficient goes to the inputs its kernel
 * taps read. Zero coefficients are skipped; each input receives one term per (output channel,
 * position), in that order. The conv rule's backward step and the attack's input gradient.
 */
export function transposedConv(op: Conv2dOp, t: Taps, A: Float64Array, R: number, n: number, m: number, out: Float64Array): void {
  const { off, taps, positions } = t;
  const { inChannels: ci, outChannels: co, weight: W } = op;
  const plane = n / ci;
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < co; c++) {
      for (let p = 0; p < positions; p++) {
        const a = A[r * m + c * positions + p];
        if (a === 0) continue;
        // tap by tap, then input channel: the order inside changes no sum (one term per (c, p) each)
        for (let q = 0; q < taps; q++) {
          const i = off[p * taps + q];
          if (i < 0) continue;
          if (ci === 1) out[r * n + i] += a * W[c * taps + q];
          else for (let k = 0, oi = r * n + i, wi = c * ci * taps + q; k < ci; k++, oi += plane, wi += taps) out[oi] += a * W[wi];
        }
      }
    }
  }
}

/**
 * Interval image of a pooling op that is non-decreasing in every input (max, average): each
 * output applies `pool` to the lower bounds of its window and to the upper bounds. `pool(v, xo,
 * o)` reduces v[xo + idx[t]] over output o's window t ∈ [start[o], start[o+1]).
 */
export function poolInterval(
  op: Parameters<typeof windowsOf>[0],
  x: LayerBounds,
  ctx: RuleCtx,
  pool: (v: Float64Array, xo: number, o: number, win: Windows) => number,
): LayerBounds {
  const win = windowsOf(op, ctx.inShapes[0], ctx.outShape);
  const n = ctx.inSizes[0], m = ctx.outSize;
  const lower = new Float64Array(ctx.count * m);
  const upper = new Float64Array(ctx.count * m);
  for (let b = 0; b < ctx.count; b++) {
    for (let o = 0; o < m; o++) {
      lower[b * m + o] = pool(x.lower, b * n, o, win);
      upper[b * m + o] = pool(x.upper, b * n, o, win);
    }
  }
  return { lower, upper };
}
