// Small dense kernels shared by the rules (plain loops over contiguous Float64Array rows); the
// products go to the WebAssembly SIMD kernel (wasm/gemm.ts) when it is there and they are big.
import { concretiseWasm, gemmWasm, gemmWasmOnce } from './wasm/gemm.js';

/** W (rows × cols) transposed to cols × rows, cached per array (weights never change while bounded). */
const tCache = new WeakMap<Float64Array, Float64Array>();
export function transposeOf(W: Float64Array, rows: number, cols: number): Float64Array {
  let t = tCache.get(W);
  if (!t) {
    t = new Float64Array(W.length);
    for (let k = 0; k < rows; k++) for (let j = 0; j < cols; j++) t[j * rows + k] = W[k * cols + j];
    tCache.set(W, t);
  }
  return t;
}

/** Below this many multiply-adds the copies into wasm memory cost more than they save. */
export const WASM_MIN_MACS = 4096;

/**
 * out (n × cols) = A (n × inner) · W (inner × cols), given WT = Wᵀ (cols × inner); out is
 * overwritten. Every output is summed over k in increasing order, by the SIMD kernel or by
 * matmulRowsJs, so the two give the same bits and callers need not know which ran.
 */
export function matmulRows(A: Float64Array, n: number, inner: number, WT: Float64Array, cols: number, out: Float64Array): void {
  if (n * inner * cols >= WASM_MIN_MACS && gemmWasm(A, n, inner, transposeOf(WT, cols, inner), cols, out)) return;
  matmulRowsJs(A, n, inner, WT, cols, out);
}

/**
 * A (n × inner) · W (inner × cols, row-major) for a right factor used once (a per-box gathering
 * of weights, live.ts): not kept resident in wasm memory, and the product is handed to `take`
 * (valid only during the call) rather than copied out. The same sums in the same order as
 * matmulRows (over k increasing from +0, zero terms of A skipped), so the same bits.
 */
export function matmulOnce(A: Float64Array, n: number, inner: number, W: Float64Array, cols: number, take: (product: Float64Array) => void): void {
  if (n * inner * cols >= WASM_MIN_MACS && gemmWasmOnce(A, n, inner, W, cols, take)) return;
  const out = new Float64Array(n * cols);
  for (let r = 0; r < n; r++) {
    const ao = r * inner, oo = r * cols;
    for (let c = 0; c < cols; c++) {
      let s = 0;
      for (let k = 0; k < inner; k++) {
        const a = A[ao + k];
        if (a !== 0) s += a * W[k * cols + c];
      }
      out[oo + c] = s;
    }
  }
  take(out);
}

/**
 * The plain JS matmulRows (the reference the SIMD kernel is tested against). Dot-product form with a 4 × 2 register block (no stores in the inner loop), and
 * only over the k where one of the four rows is non-zero: rows of one box share the zero columns
 * of its inactive ReLUs, which at small epsilons are most of them.
 */
export function matmulRowsJs(A: Float64Array, n: number, inner: number, WT: Float64Array, cols: number, out: Float64Array): void {
  const ks = new Int32Array(inner);
  let r = 0;
  for (; r + 4 <= n; r += 4) {
    const a0 = r * inner, a1 = a0 + inner, a2 = a1 + inner, a3 = a2 + inner;
    const o0 = r * cols, o1 = o0 + cols, o2 = o1 + cols, o3 = o2 + cols;
    let nk = 0;
    for (let k = 0; k < inner; k++) if (A[a0 + k] !== 0 || A[a1 + k] !== 0 || A[a2 + k] !== 0 || A[a3 + k] !== 0) ks[nk++] = k;
    let j = 0;
    for (; j + 2 <= cols; j += 2) {
      const w0 = j * inner, w1 = w0 + inner;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0, s20 = 0, s21 = 0, s30 = 0, s31 = 0;
      for (let t = 0; t < nk; t++) {
        const k = ks[t];
        const u = WT[w0 + k], v = WT[w1 + k];
        const x0 = A[a0 + k], x1 = A[a1 + k], x2 = A[a2 + k], x3 = A[a3 + k];
        s00 += x0 * u; s01 += x0 * v;
        s10 += x1 * u; s11 += x1 * v;
        s20 += x2 * u; s21 += x2 * v;
        s30 += x3 * u; s31 += x3 * v;
      }
      out[o0 + j] = s00; out[o0 + j + 1] = s01;
      out[o1 + j] = s10; out[o1 + j + 1] = s11;
      out[o2 + j] = s20; out[o2 + j + 1] = s21;
      out[o3 + j] = s30; out[o3 + j + 1] = s31;
    }
    for (; j < cols; j++) {
      const w0 = j * inner;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let t = 0; t < nk; t++) {
        const k = ks[t], u = WT[w0 + k];
        s0 += A[a0 + k] * u; s1 += A[a1 + k] * u; s2 += A[a2 + k] * u; s3 += A[a3 + k] * u;
      }
      out[o0 + j] = s0; out[o1 + j] = s1; out[o2 + j] = s2; out[o3 + j] = s3;
    }
  }
  for (; r < n; r++) {
    const a0 = r * inner, o0 = r * cols;
    let nk = 0;
    for (let k = 0; k < inner; k++) if (A[a0 + k] !== 0) ks[nk++] = k;
    for (let j = 0; j < cols; j++) {
      const w0 = j * inner;
      let s = 0;
      for (let t = 0; t < nk; t++) s += A[a0 + ks[t]] * WT[w0 + ks[t]];
      out[o0 + j] = s;
    }
  }
}

/**
 * CROWN's concretisation over boxes: lb[r] += Σ_i A[r][i]·mid[box[r]][i] − |A[r][i]|·rad[box[r]][i]
 * for the n rows of A (n × size), summed in increasing i by the SIMD kernel or the JS loop alike;
 * with `corner` (n × size), also the box corner where each row's A·x is least (cornerJs).
 */
export function concretise(A: Float64Array, n: number, size: number, mid: Float64Array, rad: Float64Array, box: Int32Array, lb: Float64Array, corner?: Float64Array): void {
  if (n * size >= WASM_MIN_MACS && concretiseWasm(A, n, size, mid, rad, box, lb, corner)) return;
  concretiseJs(A, n, size, mid, rad, box, lb);
  if (corner) cornerJs(A, n, size, mid, rad, box, corner);
}

/**
 * The corner of each row's box where its A·x is least: mid − rad where a > 0, mid + rad where
 * a < 0, mid where a is 0 (the reference the SIMD `corner` kernel is tested against).
 */
export function cornerJs(A: Float64Array, n: number, size: number, mid: Float64Array, rad: Float64Array, box: Int32Array, out: Float64Array): void {
  for (let r = 0; r < n; r++) {
    const ao = r * size, xo = box[r] * size;
    for (let i = 0; i < size; i++) {
      const a = A[ao + i];
      out[ao + i] = mid[xo + i] - (a > 0 ? rad[xo + i] : a < 0 ? -rad[xo + i] : 0);
    }
  }
}

/** The plain JS concretise (the reference the SIMD kernel is tested against). */
export function concretiseJs(A: Float64Array, n: number, size: number, mid: Float64Array, rad: Float64Array, box: Int32Array, lb: Float64Array): void {
  for (let r = 0; r < n; r++) {
    let s = lb[r];
    const ao = r * size, xo = box[r] * size;
    for (let i = 0; i < size; i++) {
      const a = A[ao + i];
      s += a * mid[xo + i] - Math.abs(a) * rad[xo + i];
    }
    lb[r] = s;
  }
}

/** Element-wise absolute value, cached per array (weights never change while a net is bounded). */
const absCache = new WeakMap<Float64Array, Float64Array>();
export function absOf(w: Float64Array): Float64Array {
  let a = absCache.get(w);
  if (!a) {
    a = new Float64Array(w.length);
    for (let i = 0; i < w.length; i++) a[i] = Math.abs(w[i]);
    absCache.set(w, a);
  }
  return a;
}

/** Centre and radius of a box set. */
export function centreRadius(lo: Float64Array, hi: Float64Array): { mid: Float64Array; rad: Float64Array } {
  const mid = new Float64Array(lo.length);
  const rad = new Float64Array(lo.length);
  for (let i = 0; i < lo.length; i++) {
    mid[i] = (hi[i] + lo[i]) / 2;
    rad[i] = (hi[i] - lo[i]) / 2;
  }
  return { mid, rad };
}

/** Bounds from centre ± radius (round-to-nearest float64, like the auto_LiRPA reference). */
export function fromCentreRadius(mid: Float64Array, rad: Float64Array): { lower: Float64Array; upper: Float64Array } {
  const lower = new Float64Array(mid.length);
  const upper = new Float64Array(mid.length);
  for (let i = 0; i < mid.length; i++) {
    lower[i] = mid[i] - rad[i];
    upper[i] = mid[i] + rad[i];
  }
  return { lower, upper };
}
