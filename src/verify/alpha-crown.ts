// α-CROWN on a dense ReLU chain (src/verify/dense-chain.ts), float64, self-contained: the
// lower slope α of every unstable ReLU, separately for every output row, is a free parameter
// in [0, 1]; any choice gives a sound lower bound of C·y, so α is moved by projected Adam
// ascent on the bound itself (gradient by a reverse pass over the recorded backward pass),
// batched over the rows still undecided. Pre-activation bounds come from CROWN with the
// adaptive slope (intersected with IBP) — computed here, or tighter ones passed in.
import type { DenseChain } from './dense-chain.js';

/** Pre-activation bounds of each ReLU layer k (the output of maps[k]), k < maps.length − 1. */
export interface PreBounds {
  lower: Float64Array[];
  upper: Float64Array[];
}

/**
 * Lower bounds of rows·z_top + cst over the box, going back through maps[top..0] with
 * ReLU relaxations from `pre`. `alpha[k]` holds lower slopes per (row, neuron) or, when
 * `shared`, per neuron. `tape` (if given) receives the pre-relaxation coefficients on each
 * h_k and, at index `top`, the final coefficients on x.
 */
function backward(chain: DenseChain, top: number, A0: Float64Array, R: number, cst: Float64Array, x: { lower: Float64Array; upper: Float64Array },
  pre: PreBounds, alpha: Float64Array[], shared: boolean, tape?: Float64Array[]): Float64Array {
  let A = A0;
  for (let k = top; k >= 0; k--) {
    const { w, b, out, in: inn } = chain.maps[k];
    const next = new Float64Array(R * inn);
    for (let r = 0; r < R; r++) {
      const row = next.subarray(r * inn, (r + 1) * inn);
      let c = 0;
      for (let o = 0; o < out; o++) {
        const a = A[r * out + o];
        if (a === 0) continue;
        c += a * b[o];
        const wr = w.subarray(o * inn, (o + 1) * inn);
        for (let j = 0; j < inn; j++) row[j] += a * wr[j];
      }
      cst[r] += c;
    }
    A = next;
    if (k === 0) break;
    if (tape) tape[k - 1] = next.slice();
    const l = pre.lower[k - 1], u = pre.upper[k - 1], al = alpha[k - 1];
    for (let r = 0; r < R; r++) {
      for (let i = 0; i < inn; i++) {
        const a = A[r * inn + i];
        if (a === 0 || l[i] >= 0) continue;
        if (u[i] <= 0) { A[r * inn + i] = 0; continue; }
        if (a > 0) A[r * inn + i] = a * al[shared ? i : r * inn + i];
        else {
          const s = u[i] / (u[i] - l[i]);
          A[r * inn + i] = a * s;
          cst[r] -= a * s * l[i];
        }
      }
    }
  }
  if (tape) tape[top] = A;
  const n = x.lower.length;
  const out = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    let s = cst[r];
    for (let j = 0; j < n; j++) {
      const a = A[r * n + j];
      s += a > 0 ? a * x.lower[j] : a * x.upper[j];
    }
    out[r] = s;
  }
  return out;
}

/** CROWN (adaptive slopes) ∩ IBP bounds of every ReLU layer's input. */
export function chainPreBounds(chain: DenseChain, lower: Float64Array, upper: Float64Array): PreBounds {
  const pre: PreBounds = { lower: [], upper: [] };
  const x = { lower, upper };
  let hl = lower, hu = upper; // IBP bounds of the current layer's input
  for (let k = 0; k < chain.maps.length - 1; k++) {
    const { w, b, out, in: inn } = chain.maps[k];
    // IBP
    const il = new Float64Array(out), iu = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let lo = b[o], hi = b[o];
      for (let j = 0; j < inn; j++) {
        const v = w[o * inn + j];
        if (v > 0) { lo += v * hl[j]; hi += v * hu[j]; } else { lo += v * hu[j]; hi += v * hl[j]; }
      }
      il[o] = lo; iu[o] = hi;
    }
    if (k > 0) {
      // rows e_o and −e_o on z_k, all at once
      const R = 2 * out;
      const A = new Float64Array(R * out);
      for (let o = 0; o < out; o++) { A[o * out + o] = 1; A[(out + o) * out + o] = -1; }
      const alpha = pre.lower.map((l, kk) => adaptiveSlopes(l, pre.upper[kk]));
      const lb = backward(chain, k, A, R, new Float64Array(R), x, pre, alpha, true);
      for (let o = 0; o < out; o++) {
        il[o] = Math.max(il[o], lb[o]);
        iu[o] = Math.min(iu[o], -lb[out + o]);
      }
    }
    pre.lower.push(il);
    pre.upper.push(iu);
    hl = il.map((v) => Math.max(0, v));
    hu = iu.map((v) => Math.max(0, v));
  }
  return pre;
}

function adaptiveSlopes(l: Float64Array, u: Float64Array): Float64Array {
  const a = new Float64Array(l.length);
  for (let i = 0; i < l.length; i++) a[i] = u[i] > -l[i] ? 1 : 0;
  return a;
}

export interface AlphaCrownOptions {
  /** Adam steps. Default 50. */
  iterations?: number;
  /** Adam learning rate on α. Default 0.1. */
  lr?: number;
  /** Stop after this Date.now() value. */
  deadline?: number;
  /** Tighter pre-activation bounds than chainPreBounds would compute. */
  pre?: PreBounds;
}

export interface AlphaCrownResult {
  /** Best (largest) sound lower bound of each row of C·y seen. */
  lower: Float64Array;
  pre: PreBounds;
  iterations: number;
}

/**
 * Optimised lower bounds of the R rows of C (R × outputs) over the box; rows whose bound
 * exceeds `stopAbove[r]` (when given) are decided and stop being optimised.
 */
export function alphaCrown(chain: DenseChain, lower: Float64Array, upper: Float64Array, c: Float64Array, R: number,
  opts: AlphaCrownOptions & { stopAbove?: Float64Array } = {}): AlphaCrownResult {
  const K = chain.maps.length - 1;
  const pre = opts.pre ?? chainPreBounds(chain, lower, upper);
  const iterations = opts.iterations ?? 50;
  const lr = opts.lr ?? 0.1;
  const deadline = opts.deadline ?? Infinity;
  const x = { lower, upper };
  const best = new Float64Array(R).fill(-Infinity);
  let rows = [...Array(R).keys()];
  // α per (row, neuron), started at the adaptive CROWN choice
  const init = pre.lower.map((l, k) => adaptiveSlopes(l, pre.upper[k]));
  const alpha: Float64Array[] = init.map((a) => { const t = new Float64Array(R * a.length); for (let r = 0; r < R; r++) t.set(a, r * a.length); return t; });
  const m1 = alpha.map((a) => new Float64Array(a.length)), m2 = alpha.map((a) => new Float64Array(a.length));
  const outSize = chain.maps[K].out;
  let it = 0;
  for (; it <= iterations && rows.length && Date.now() <= deadline; it++) {
    const computed = rows;
    const Rr = computed.length;
    const A = new Float64Array(Rr * outSize);
    computed.forEach((r, q) => A.set(c.subarray(r * outSize, (r + 1) * outSize), q * outSize));
    const sub = alpha.map((a, k) => gatherRows(a, computed, pre.lower[k].length));
    const tape: Float64Array[] = [];
    const lb = backward(chain, K, A, Rr, new Float64Array(Rr), x, pre, sub, false, tape);
    computed.forEach((r, q) => { if (lb[q] > best[r]) best[r] = lb[q]; });
    if (opts.stopAbove) rows = computed.filter((r) => !(best[r] > opts.stopAbove![r]));
    if (it === iterations || !rows.length || K === 0) break;
    const grad = alphaGradient(chain, K, Rr, x, pre, sub, tape);
    // projected Adam ascent on the rows computed this round
    const t = it + 1;
    for (let k = 0; k < K; k++) {
      const n = pre.lower[k].length;
      const a = alpha[k], g = grad[k], mk = m1[k], vk = m2[k];
      for (let q = 0; q < Rr; q++) {
        const r = computed[q];
        for (let i = 0; i < n; i++) {
          const gi = g[q * n + i];
          if (gi === 0) continue;
          const j = r * n + i;
          mk[j] = 0.9 * mk[j] + 0.1 * gi;
          vk[j] = 0.999 * vk[j] + 0.001 * gi * gi;
          const step = lr * (mk[j] / (1 - 0.9 ** t)) / (Math.sqrt(vk[j] / (1 - 0.999 ** t)) + 1e-12);
          a[j] = Math.min(1, Math.max(0, a[j] + step));
        }
      }
    }
  }
  return { lower: best, pre, iterations: it };
}

function gatherRows(a: Float64Array, rows: number[], n: number): Float64Array {
  const out = new Float64Array(rows.length * n);
  rows.forEach((r, q) => out.set(a.subarray(r * n, (r + 1) * n), q * n));
  return out;
}

/**
 * d(bound_r)/d(alpha_k[r, i]) for the pass recorded in `tape` (rows are independent): the
 * chain rule run forwards from the input coefficients back up to the output rows.
 */
function alphaGradient(chain: DenseChain, K: number, R: number, x: { lower: Float64Array; upper: Float64Array },
  pre: PreBounds, alpha: Float64Array[], tape: Float64Array[]): Float64Array[] {
  const grads: Float64Array[] = [];
  // gradient with respect to the coefficients on x
  const n0 = x.lower.length;
  const Ax = tape[K];
  let G = new Float64Array(R * n0);
  for (let q = 0; q < R * n0; q++) G[q] = Ax[q] > 0 ? x.lower[q % n0] : x.upper[q % n0];
  for (let k = 0; k < K; k++) {
    // G is on the input of maps[k]; step to its output z_k (coefficients after relaxation)
    const { w, b, out, in: inn } = chain.maps[k];
    const gRel = new Float64Array(R * out);
    for (let q = 0; q < R; q++) {
      const gq = G.subarray(q * inn, (q + 1) * inn);
      for (let o = 0; o < out; o++) {
        const wr = w.subarray(o * inn, (o + 1) * inn);
        let s = b[o];
        for (let j = 0; j < inn; j++) s += gq[j] * wr[j];
        gRel[q * out + o] = s;
      }
    }
    // through the relaxation of h_k = relu(z_k); tape[k] holds the coefficients on h_k
    const pa = tape[k], l = pre.lower[k], u = pre.upper[k], al = alpha[k];
    const ga = new Float64Array(R * out);
    const gPre = new Float64Array(R * out);
    for (let q = 0; q < R * out; q++) {
      const i = q % out, a = pa[q];
      if (a === 0) continue;
      if (l[i] >= 0) gPre[q] = gRel[q];
      else if (u[i] <= 0) continue;
      else if (a > 0) { ga[q] = gRel[q] * a; gPre[q] = gRel[q] * al[q]; }
      else { const s = u[i] / (u[i] - l[i]); gPre[q] = gRel[q] * s - s * l[i]; }
    }
    grads.push(ga);
    G = gPre;
  }
  return grads;
}
