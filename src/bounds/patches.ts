// Coefficient rows in patch form. A backward row that starts at one neuron of a convolutional
// layer (the rows CROWN builds to bound each pre-activation neuron) only ever reaches a window of
// each layer below it: a k×k convolution or pooling widens the window by k − 1 (times the
// strides), element-wise ops keep it. Such a row is kept as that window — all channels × ph × pw
// positions at a per-row origin (oy, ox) of the layer — instead of a dense vector of the whole
// layer, until the window covers the layer (then a dense row costs no more) or an op that mixes
// all positions (Dense, Permute, a Reshape to another shape) needs the dense row. auto_LiRPA calls
// this "patches mode"; here the origin is stored per row, so stride, padding and clipping are
// plain index arithmetic. Each rule owns its patch step (rule.ts: `patches`), or says 'dense'.
//
// Exactness: at the window's positions inside the layer it holds the same numbers as the dense
// row, and the dense row is zero at every other position. Entries of a window that fall outside
// the layer (a window hanging over the edge, taps on a convolution's zero padding) mean nothing:
// every reader (each step, the concretisation, the switch to dense) skips them, as the dense
// rules drop padding. So the patch path computes the dense path's values, summed in the same
// order (the tests compare them).
import type { Shape } from '../network.js';

export interface Patches {
  kind: 'patches';
  /** Rows (rows.n of the pass). */
  n: number;
  /** The layer the coefficients are on (CHW). */
  C: number;
  H: number;
  W: number;
  /** Window height and width, the same for every row. */
  ph: number;
  pw: number;
  /** Per row: the window's top-left position in the layer (may lie outside it). */
  oy: Int32Array;
  ox: Int32Array;
  /**
   * n × ph × pw × C (channels last, so the steps' inner loops run over channels); entries at
   * positions outside the layer are ignored.
   */
  data: Float64Array;
}

/** Coefficient rows on one layer: dense (rows.n × size) or in patch form. */
export type Coeffs = Float64Array | Patches;

export function isPatches(a: Coeffs): a is Patches {
  return !(a instanceof Float64Array);
}

/** [C, H, W] of a 3-d shape, else undefined. */
export function chwOf(shape: Shape): [number, number, number] | undefined {
  return shape.length === 3 ? [shape[0], shape[1], shape[2]] : undefined;
}

/** Zeroed patches of n rows on a [C, H, W] layer, windows ph × pw (origins to be filled in). */
export function newPatches(n: number, C: number, H: number, W: number, ph: number, pw: number): Patches {
  return { kind: 'patches', n, C, H, W, ph, pw, oy: new Int32Array(n), ox: new Int32Array(n), data: new Float64Array(n * C * ph * pw) };
}

/** Rows of the window of row r that lie inside the layer: [lo, hi) along one axis. */
export function inside(o: number, p: number, size: number): [number, number] {
  return [Math.max(0, -o), Math.min(p, size - o)];
}

/** The dense rows (n × C·H·W) of patches. */
export function toDense(P: Patches): Float64Array {
  const { n, C, H, W, ph, pw, data } = P;
  const size = C * H * W, plane = H * W;
  const out = new Float64Array(n * size);
  for (let r = 0; r < n; r++) {
    const oy = P.oy[r], ox = P.ox[r];
    const [y0, y1] = inside(oy, ph, H), [x0, x1] = inside(ox, pw, W);
    for (let i = y0; i < y1; i++) {
      for (let j = x0; j < x1; j++) {
        const po = ((r * ph + i) * pw + j) * C, oo = r * size + (oy + i) * W + ox + j;
        for (let c = 0; c < C; c++) out[oo + c * plane] = data[po + c];
      }
    }
  }
  return out;
}

export function denseOf(a: Coeffs): Float64Array {
  return isPatches(a) ? toDense(a) : a;
}

/** Zeroes the entries of every window that fall outside the layer (tidy rows for tests and debugging). */
export function clipToLayer(P: Patches): Patches {
  const { n, C, H, W, ph, pw, data } = P;
  for (let r = 0; r < n; r++) {
    const [y0, y1] = inside(P.oy[r], ph, H), [x0, x1] = inside(P.ox[r], pw, W);
    for (let i = 0; i < ph; i++) {
      for (let j = 0; j < pw; j++) {
        if (i >= y0 && i < y1 && j >= x0 && j < x1) continue;
        data.fill(0, ((r * ph + i) * pw + j) * C, ((r * ph + i) * pw + j + 1) * C);
      }
    }
  }
  return P;
}

/** Patches while the window is smaller than the layer, the dense rows once it is not. */
export function settle(P: Patches): Coeffs {
  return P.ph * P.pw >= P.H * P.W ? toDense(P) : P;
}

/** A copy (add gives both its inputs the same coefficients). */
export function clonePatches(P: Patches): Patches {
  return { ...P, oy: P.oy.slice(), ox: P.ox.slice(), data: P.data.slice() };
}

/** Adds src's windows into dst's, row by row (each src window must lie inside dst's). */
function embed(dst: Patches, src: Patches): void {
  const { n, C } = dst;
  for (let r = 0; r < n; r++) {
    const dy = src.oy[r] - dst.oy[r], dx = src.ox[r] - dst.ox[r];
    for (let i = 0; i < src.ph; i++) {
      for (let j = 0; j < src.pw; j++) {
        const so = ((r * src.ph + i) * src.pw + j) * C, d0 = ((r * dst.ph + dy + i) * dst.pw + dx + j) * C;
        for (let c = 0; c < C; c++) dst.data[d0 + c] += src.data[so + c];
      }
    }
  }
}

/**
 * a + b on the same layer (coefficients reaching a layer along two paths, e.g. a residual add):
 * patches on the per-row union of the two windows, or dense when either is dense or the union
 * covers the layer. May reuse a's storage.
 */
export function addCoeffs(a: Coeffs, b: Coeffs, n: number, size: number): Coeffs {
  if (isPatches(a) && isPatches(b)) {
    let ph = 0, pw = 0, same = a.ph === b.ph && a.pw === b.pw;
    const oy = new Int32Array(n), ox = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      if (a.oy[r] !== b.oy[r] || a.ox[r] !== b.ox[r]) same = false;
      oy[r] = Math.min(a.oy[r], b.oy[r]);
      ox[r] = Math.min(a.ox[r], b.ox[r]);
      ph = Math.max(ph, Math.max(a.oy[r] + a.ph, b.oy[r] + b.ph) - oy[r]);
      pw = Math.max(pw, Math.max(a.ox[r] + a.pw, b.ox[r] + b.pw) - ox[r]);
    }
    if (same) {
      for (let i = 0; i < a.data.length; i++) a.data[i] += b.data[i];
      return a;
    }
    if (ph * pw < a.H * a.W) {
      const q = newPatches(n, a.C, a.H, a.W, ph, pw);
      q.oy.set(oy);
      q.ox.set(ox);
      embed(q, a);
      embed(q, b);
      return q;
    }
  }
  const da = denseOf(a), db = denseOf(b);
  for (let i = 0; i < n * size; i++) da[i] += db[i];
  return da;
}

/**
 * CROWN's concretisation of patch rows on the input: lb[r] += Σ a·mid − |a|·rad over the
 * window of row r, mid and rad of box box[r] (the dense concretise, without the zeros).
 */
export function concretisePatches(P: Patches, mid: Float64Array, rad: Float64Array, box: Int32Array, lb: Float64Array): void {
  const { n, C, H, W, ph, pw, data } = P;
  const size = C * H * W, plane = H * W;
  for (let r = 0; r < n; r++) {
    const oy = P.oy[r], ox = P.ox[r];
    const [y0, y1] = inside(oy, ph, H), [x0, x1] = inside(ox, pw, W);
    let s = lb[r];
    // channel by channel, positions in raster order: the dense concretisation's order
    for (let c = 0; c < C; c++) {
      const xo = box[r] * size + c * plane;
      for (let i = y0; i < y1; i++) {
        for (let j = x0; j < x1; j++) {
          const a = data[((r * ph + i) * pw + j) * C + c];
          if (a === 0) continue;
          const k = xo + (oy + i) * W + ox + j;
          s += a * mid[k] - Math.abs(a) * rad[k];
        }
      }
    }
    lb[r] = s;
  }
}

/**
 * Rows ±e_k on a [C, H, W] layer as 1 × 1 windows: row r is sign[r] on flat neuron at[r]
 * (c·H·W + y·W + x).
 */
export function unitPatches(shape: [number, number, number], at: Int32Array, sign: Float64Array, n: number): Patches {
  const [C, H, W] = shape;
  const P = newPatches(n, C, H, W, 1, 1);
  for (let r = 0; r < n; r++) {
    const k = at[r] % (C * H * W), c = Math.floor(k / (H * W)), yx = k - c * H * W;
    P.oy[r] = Math.floor(yx / W);
    P.ox[r] = yx - P.oy[r] * W;
    P.data[r * C + c] = sign[r]; // a 1 × 1 window: channels only
  }
  return P;
}

/**
 * The window geometry of a k×k (stride s, top/left padding p) sliding-window op's input, for
 * patches on its output: origin o·s − p, size (ph − 1)·s + k, per axis.
 */
export function windowBelow(P: Patches, inShape: Shape, kernel: readonly number[], stride: readonly number[], pads: readonly number[]): Patches {
  const [C, H, W] = inShape;
  const Q = newPatches(P.n, C, H, W, (P.ph - 1) * stride[0] + kernel[0], (P.pw - 1) * stride[1] + kernel[1]);
  for (let r = 0; r < P.n; r++) {
    Q.oy[r] = P.oy[r] * stride[0] - pads[0];
    Q.ox[r] = P.ox[r] * stride[1] - pads[1];
  }
  return Q;
}

/** Adds v to row r's coefficient of flat neuron k (c·H·W + y·W + x) of Q's layer; k must lie in the window. */
export function addAt(Q: Patches, r: number, k: number, v: number): void {
  const plane = Q.H * Q.W, c = Math.floor(k / plane), yx = k - c * plane, y = Math.floor(yx / Q.W), x = yx - y * Q.W;
  Q.data[((r * Q.ph + y - Q.oy[r]) * Q.pw + x - Q.ox[r]) * Q.C + c] += v;
}

/**
 * The reverse sweep (../backward.ts) on patch rows: the values G (dense rows n × C·H·W, or
 * windows) read on Q's windows, as a new data array in Q's layout (Q's own data is not read);
 * 0 at positions outside the layer or outside G's window. The sweep only ever reads G inside
 * the window the coefficients had there, which contains every position a window above reads
 * (a step's input window is the receptive field of its output window), so the zeros are never
 * used as values — except outside the layer, where they are a convolution's zero padding.
 * Where G already has Q's geometry its data is returned as it is (read it, don't write it).
 */
export function gatherWindows(Q: Patches, G: Coeffs): Float64Array {
  const { n, C, H, W, ph, pw } = Q;
  if (isPatches(G) && G.ph === ph && G.pw === pw && G.C === C) {
    let same = true;
    for (let r = 0; r < n && same; r++) same = G.oy[r] === Q.oy[r] && G.ox[r] === Q.ox[r];
    if (same) return G.data;
  }
  const out = new Float64Array(n * ph * pw * C);
  const size = C * H * W, plane = H * W;
  for (let r = 0; r < n; r++) {
    const [y0, y1] = inside(Q.oy[r], ph, H), [x0, x1] = inside(Q.ox[r], pw, W);
    for (let i = y0; i < y1; i++) {
      const y = Q.oy[r] + i;
      for (let j = x0; j < x1; j++) {
        const x = Q.ox[r] + j, po = ((r * ph + i) * pw + j) * C;
        if (!isPatches(G)) {
          const go = r * size + y * W + x;
          for (let c = 0; c < C; c++) out[po + c] = G[go + c * plane];
          continue;
        }
        const gy = y - G.oy[r], gx = x - G.ox[r];
        if (gy < 0 || gy >= G.ph || gx < 0 || gx >= G.pw) continue;
        const go = ((r * G.ph + gy) * G.pw + gx) * C;
        for (let c = 0; c < C; c++) out[po + c] = G.data[go + c];
      }
    }
  }
  return out;
}

/** Patches with P's geometry holding `data`. */
export function withData(P: Patches, data: Float64Array): Patches {
  return { kind: 'patches', n: P.n, C: P.C, H: P.H, W: P.W, ph: P.ph, pw: P.pw, oy: P.oy, ox: P.ox, data };
}

/** Row r's value of flat neuron k (c·H·W + y·W + x) of Q's layer in window data `d` (Q's layout); k must lie in the window. */
export function valueAt(Q: Patches, d: Float64Array, r: number, k: number): number {
  const plane = Q.H * Q.W, c = Math.floor(k / plane), yx = k - c * plane, y = Math.floor(yx / Q.W), x = yx - y * Q.W;
  return d[((r * Q.ph + y - Q.oy[r]) * Q.pw + x - Q.ox[r]) * Q.C + c];
}
