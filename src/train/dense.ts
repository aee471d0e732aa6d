// Dense layer over a mini-batch as three GEMMs (forward, weight gradient, input gradient),
// register-blocked four rows at a time so each weight/input load feeds four multiply-adds.
// Mostly-zero inputs (MNIST pixels are ~80% zero) take a gather path over the non-zeros.
import type { DenseOp } from '../network.js';
import { WeightedModule } from './weighted.js';

export class DenseModule extends WeightedModule {
  /** Non-zero input positions of each sample of the last forward batch (when it was sparse). */
  private readonly nzIdx: Int32Array;
  private readonly nzCount: Int32Array;
  private sparse = false;

  constructor(op: DenseOp, maxBatch: number) {
    super(op, op.inFeatures, op.outFeatures);
    this.nzIdx = new Int32Array(maxBatch * op.inFeatures);
    this.nzCount = new Int32Array(maxBatch);
  }

  /** Lists the non-zero inputs; true when they are few enough for the gather path to pay. */
  private gatherNonZeros(x: Float64Array, B: number): boolean {
    const n = this.inSize, idx = this.nzIdx, cnt = this.nzCount;
    let total = 0;
    for (let s = 0; s < B; s++) {
      let c = 0;
      const xs = s * n;
      for (let k = 0; k < n; k++) if (x[xs + k] !== 0) idx[xs + c++] = k;
      cnt[s] = c;
      total += c;
    }
    return total < 0.4 * B * n;
  }

  forward(x: Float64Array, y: Float64Array, B: number): void {
    const n = this.inSize, m = this.outSize, w = this.w, bias = this.b;
    this.sparse = n >= 64 && this.gatherNonZeros(x, B);
    if (this.sparse) {
      const idx = this.nzIdx;
      for (let s = 0; s < B; s++) {
        const xs = s * n, c = this.nzCount[s];
        for (let o = 0; o < m; o++) {
          const wo = o * n;
          let a = bias[o];
          for (let j = 0; j < c; j++) { const k = idx[xs + j]; a += w[wo + k] * x[xs + k]; }
          y[s * m + o] = a;
        }
      }
      return;
    }
    let s = 0;
    for (; s + 4 <= B; s += 4) {
      const x0 = s * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
      for (let o = 0; o < m; o++) {
        const wo = o * n;
        let a0 = bias[o], a1 = a0, a2 = a0, a3 = a0;
        for (let k = 0; k < n; k++) {
          const wk = w[wo + k];
          a0 += wk * x[x0 + k]; a1 += wk * x[x1 + k]; a2 += wk * x[x2 + k]; a3 += wk * x[x3 + k];
        }
        y[s * m + o] = a0; y[(s + 1) * m + o] = a1; y[(s + 2) * m + o] = a2; y[(s + 3) * m + o] = a3;
      }
    }
    for (; s < B; s++) {
      const x0 = s * n;
      for (let o = 0; o < m; o++) {
        const wo = o * n;
        let a = bias[o];
        for (let k = 0; k < n; k++) a += w[wo + k] * x[x0 + k];
        y[s * m + o] = a;
      }
    }
  }

  backward(x: Float64Array, _y: Float64Array, dy: Float64Array, dx: Float64Array | null, B: number): void {
    const n = this.inSize, m = this.outSize, w = this.w, gw = this.gw, gb = this.gb;
    if (this.sparse) {
      // gw[o,k] += dy[s,o] x[s,k] over the non-zero k only
      const idx = this.nzIdx;
      for (let s = 0; s < B; s++) {
        const xs = s * n, c = this.nzCount[s];
        for (let o = 0; o < m; o++) {
          const g = dy[s * m + o];
          gb[o] += g;
          if (g === 0) continue;
          const wo = o * n;
          for (let j = 0; j < c; j++) { const k = idx[xs + j]; gw[wo + k] += g * x[xs + k]; }
        }
      }
    } else {
      this.denseWeightGrad(x, dy, B);
    }
    if (dx) this.inputGrad(dy, dx, B);
  }

  private denseWeightGrad(x: Float64Array, dy: Float64Array, B: number): void {
    const n = this.inSize, m = this.outSize, gw = this.gw, gb = this.gb;
    // gw[o,:] += sum_s dy[s,o] * x[s,:]
    for (let o = 0; o < m; o++) {
      const wo = o * n;
      let s = 0, db = 0;
      for (; s + 4 <= B; s += 4) {
        const g0 = dy[s * m + o], g1 = dy[(s + 1) * m + o], g2 = dy[(s + 2) * m + o], g3 = dy[(s + 3) * m + o];
        db += g0 + g1 + g2 + g3;
        if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0) continue;
        const x0 = s * n, x1 = x0 + n, x2 = x1 + n, x3 = x2 + n;
        for (let k = 0; k < n; k++) gw[wo + k] += g0 * x[x0 + k] + g1 * x[x1 + k] + g2 * x[x2 + k] + g3 * x[x3 + k];
      }
      for (; s < B; s++) {
        const g = dy[s * m + o];
        db += g;
        if (g === 0) continue;
        const x0 = s * n;
        for (let k = 0; k < n; k++) gw[wo + k] += g * x[x0 + k];
      }
      gb[o] += db;
    }
  }

  private inputGrad(dy: Float64Array, dx: Float64Array, B: number): void {
    const n = this.inSize, m = this.outSize, w = this.w;
    // dx[s,:] = sum_o dy[s,o] * w[o,:]
    for (let s = 0; s < B; s++) {
      const xs = s * n, ys = s * m;
      dx.fill(0, xs, xs + n);
      let o = 0;
      for (; o + 4 <= m; o += 4) {
        const g0 = dy[ys + o], g1 = dy[ys + o + 1], g2 = dy[ys + o + 2], g3 = dy[ys + o + 3];
        if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0) continue;
        const w0 = o * n, w1 = w0 + n, w2 = w1 + n, w3 = w2 + n;
        for (let k = 0; k < n; k++) dx[xs + k] += g0 * w[w0 + k] + g1 * w[w1 + k] + g2 * w[w2 + k] + g3 * w[w3 + k];
      }
      for (; o < m; o++) {
        const g = dy[ys + o];
        if (g === 0) continue;
        const w0 = o * n;
        for (let k = 0; k < n; k++) dx[xs + k] += g * w[w0 + k];
      }
    }
  }
}
