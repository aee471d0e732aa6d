// α-CROWN on a dense ReLU chain (src/verify/dense-chain.ts), float64, self-contained: the
// lower slope α of every unstable ReLU, separately for every output row, is a free parameter
// in [0, 1]; any choice gives a sound lower bound of C·y, so α is moved by projected Adam
// ascent on the bound itself (gradient by a reverse pass over the recorded backward pass),
// batched over the rows still undecided. Pre-activation bounds come from CROWN with the
// adaptive slope (intersected with IBP) — computed here, or tighter ones passed in, e.g.
// from optimisedPreBounds, which runs the same loop on the rows ±e_i of every unstable
// neuron of each intermediate layer in turn.
import type { DenseChain } from './dense-chain.js';
import { matmulRows, transposeOf } from '../bounds/linalg.js';
import type { LayerBounds } from '../bounds/types.js';
import { adaptiveSlope } from '../bounds/ops/relu.js';

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
    rowsTimesMap(A, R, w, b, out, inn, next, cst);
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
    const { out } = chain.maps[k];
    const { lower: il, upper: iu } = intervalOfMap(chain.maps[k], hl, hu);
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
    hl = il.map(relu);
    hu = iu.map(relu);
  }
  return pre;
}

const relu = (v: number): number => Math.max(0, v);

/** Interval image of one affine map over the box [hl, hu] of its input. */
function intervalOfMap({ w, b, out, in: inn }: DenseChain['maps'][number], hl: Float64Array, hu: Float64Array): LayerBounds {
  const lower = new Float64Array(out), upper = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let lo = b[o], hi = b[o];
    for (let j = 0; j < inn; j++) {
      const v = w[o * inn + j];
      if (v > 0) { lo += v * hl[j]; hi += v * hu[j]; } else { lo += v * hu[j]; hi += v * hl[j]; }
    }
    lower[o] = lo; upper[o] = hi;
  }
  return { lower, upper };
}

function adaptiveSlopes(l: Float64Array, u: Float64Array): Float64Array {
  const a = new Float64Array(l.length);
  for (let i = 0; i < l.length; i++) a[i] = adaptiveSlope(l[i], u[i]);
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
  /** Also return the α (per row and neuron) at which each row reached its best bound. */
  keepAlpha?: boolean;
}

export interface AlphaCrownResult {
  /** Best (largest) sound lower bound of each row of C·y seen. */
  lower: Float64Array;
  pre: PreBounds;
  iterations: number;
  /** With keepAlpha: per ReLU layer k, R × n_k lower slopes at each row's best bound. */
  alpha?: Float64Array[];
}

/**
 * Optimised lower bounds of the R rows of C (R × outputs) over the box; rows whose bound
 * exceeds `stopAbove[r]` (when given) are decided and stop being optimised.
 */
export function alphaCrown(chain: DenseChain, lower: Float64Array, upper: Float64Array, c: Float64Array, R: number,
  opts: AlphaCrownOptions & { stopAbove?: Float64Array } = {}): AlphaCrownResult {
  const K = chain.maps.length - 1;
  const pre = opts.pre ?? chainPreBounds(chain, lower, upper);
  const res = optimiseRows(chain, K, c, R, { lower, upper }, pre, {
    iterations: opts.iterations ?? 50, lr: opts.lr ?? 0.1, deadline: opts.deadline ?? Infinity, stopAbove: opts.stopAbove, keepAlpha: opts.keepAlpha,
  });
  return { lower: res.best, pre, iterations: res.iterations, alpha: res.bestAlpha };
}

interface OptimiseOptions {
  iterations: number;
  lr: number;
  deadline: number;
  stopAbove?: Float64Array;
  keepAlpha?: boolean;
}

/**
 * The α-CROWN loop for R rows on z_top (the output of maps[top]; top = maps.length − 1 is the
 * network's output): lower bounds of coef·z_top over the box, relaxing the ReLUs of layers
 * top − 1 … 0 with `pre`, their lower slopes free per (row, neuron) and moved by projected
 * Adam ascent. Returns the best bound of each row over all iterations (every α is sound).
 */
function optimiseRows(chain: DenseChain, top: number, coef: Float64Array, R: number, x: { lower: Float64Array; upper: Float64Array },
  pre: PreBounds, opts: OptimiseOptions): { best: Float64Array; iterations: number; bestAlpha?: Float64Array[] } {
  const { iterations, lr, deadline, stopAbove } = opts;
  const best = new Float64Array(R).fill(-Infinity);
  let rows = [...Array(R).keys()];
  // α per (row, neuron) of the ReLU layers below top, started at the adaptive CROWN choice
  const below = { lower: pre.lower.slice(0, top), upper: pre.upper.slice(0, top) };
  const init = below.lower.map((l, k) => adaptiveSlopes(l, below.upper[k]));
  const alpha: Float64Array[] = init.map((a) => { const t = new Float64Array(R * a.length); for (let r = 0; r < R; r++) t.set(a, r * a.length); return t; });
  const m1 = alpha.map((a) => new Float64Array(a.length)), m2 = alpha.map((a) => new Float64Array(a.length));
  const bestAlpha = opts.keepAlpha ? alpha.map((a) => a.slice()) : undefined;
  const outSize = chain.maps[top].out;
  let it = 0;
  for (; it <= iterations && rows.length && Date.now() <= deadline; it++) {
    const computed = rows;
    const Rr = computed.length;
    const A = new Float64Array(Rr * outSize);
    computed.forEach((r, q) => A.set(coef.subarray(r * outSize, (r + 1) * outSize), q * outSize));
    const sub = alpha.map((a, k) => gatherRows(a, computed, below.lower[k].length));
    const tape: Float64Array[] = [];
    const lb = backward(chain, top, A, Rr, new Float64Array(Rr), x, below, sub, false, tape);
    computed.forEach((r, q) => {
      if (!(lb[q] > best[r])) return;
      best[r] = lb[q];
      if (bestAlpha) bestAlpha.forEach((a, k) => { const n = below.lower[k].length; a.set(sub[k].subarray(q * n, (q + 1) * n), r * n); });
    });
    if (stopAbove) rows = computed.filter((r) => !(best[r] > stopAbove[r]));
    if (it === iterations || !rows.length || top === 0) break;
    const grad = alphaGradient(chain, top, Rr, x, below, sub, tape);
    // projected Adam ascent on the rows computed this round
    const t = it + 1;
    for (let k = 0; k < top; k++) {
      const n = below.lower[k].length;
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
  return { best, iterations: it, bestAlpha };
}

export interface IntermediateOptions {
  /** Adam steps per batch of rows. Default 20. */
  iterations?: number;
  /** Adam learning rate on α. Default 0.1. */
  lr?: number;
  /** Stop optimising after this Date.now() value (layers not reached keep `crown`). */
  deadline?: number;
  /** Most rows optimised at once (memory: α and Adam state are rows × neurons per layer). Default 256. */
  batch?: number;
  /** chainPreBounds of the box, when the caller already has them. */
  crown?: PreBounds;
}

/**
 * Pre-activation bounds tightened layer by layer with α-CROWN: for each ReLU layer k ≥ 1 in
 * order, the rows +e_i and −e_i of every neuron i still unstable on z_k are optimised (α free
 * per row and neuron on the layers below, relaxed with the bounds already tightened there).
 * Every bound seen is sound, so each neuron keeps the best one, intersected with `crown` and
 * with IBP from the tightened layer below. Layer 0 is exact (an affine map over the box).
 */
export function optimisedPreBounds(chain: DenseChain, lower: Float64Array, upper: Float64Array, opts: IntermediateOptions = {}): PreBounds {
  const crown = opts.crown ?? chainPreBounds(chain, lower, upper);
  const pre: PreBounds = { lower: crown.lower.map((a) => a.slice()), upper: crown.upper.map((a) => a.slice()) };
  const K = pre.lower.length;
  const iterations = opts.iterations ?? 20, lr = opts.lr ?? 0.1, deadline = opts.deadline ?? Infinity;
  const batch = Math.max(2, opts.batch ?? 256);
  const x = { lower, upper };
  for (let k = 1; k < K; k++) {
    if (Date.now() > deadline) break;
    const l = pre.lower[k], u = pre.upper[k];
    // IBP from the tightened layer below
    const ibp = intervalOfMap(chain.maps[k], pre.lower[k - 1].map(relu), pre.upper[k - 1].map(relu));
    for (let o = 0; o < l.length; o++) {
      if (ibp.lower[o] > l[o]) l[o] = ibp.lower[o];
      if (ibp.upper[o] < u[o]) u[o] = ibp.upper[o];
    }
    const unstable: number[] = [];
    for (let i = 0; i < l.length; i++) if (l[i] < 0 && u[i] > 0) unstable.push(i);
    if (!unstable.length) continue;
    // time: a share of what is left, weighted by depth (deeper layers cost more per row)
    let weights = 0;
    for (let j = k; j < K; j++) weights += j + 1;
    const layerDeadline = Math.min(deadline, Date.now() + (deadline - Date.now()) * (k + 1) / weights);
    const out = chain.maps[k].out;
    const perBatch = Math.floor(batch / 2);
    const batches = Math.ceil(unstable.length / perBatch);
    for (let bt = 0; bt < batches; bt++) {
      const now = Date.now();
      if (now > layerDeadline) break;
      const neurons = unstable.slice(bt * perBatch, (bt + 1) * perBatch);
      const R = 2 * neurons.length;
      // rows 2q: +e_i (lower bound of z_i); 2q+1: −e_i (minus the upper bound)
      const coef = new Float64Array(R * out);
      neurons.forEach((i, q) => { coef[2 * q * out + i] = 1; coef[(2 * q + 1) * out + i] = -1; });
      // a row whose bound passes 0 has made its neuron stable: no need to push it further
      const res = optimiseRows(chain, k, coef, R, x, pre, {
        iterations, lr, deadline: now + (layerDeadline - now) / (batches - bt), stopAbove: new Float64Array(R),
      });
      neurons.forEach((i, q) => {
        if (res.best[2 * q] > l[i]) l[i] = res.best[2 * q];
        if (-res.best[2 * q + 1] < u[i]) u[i] = -res.best[2 * q + 1];
      });
    }
  }
  return pre;
}

/** next (R × inn) = A (R × out) · w, and cst[r] += A[r, ·]·b: one step of the backward pass through a map. */
function rowsTimesMap(A: Float64Array, R: number, w: Float64Array, b: Float64Array, out: number, inn: number, next: Float64Array, cst: Float64Array): void {
  matmulRows(A, R, out, transposeOf(w, out, inn), inn, next);
  for (let r = 0; r < R; r++) {
    let c = 0;
    for (let o = 0; o < out; o++) c += A[r * out + o] * b[o];
    cst[r] += c;
  }
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
    // through the relaxation of h_k = relu(z_k); tape[k] holds the coefficients on h_k
    const pa = tape[k], l = pre.lower[k], u = pre.upper[k], al = alpha[k];
    const gRel = new Float64Array(R * out);
    matmulRows(G, R, inn, w, out, gRel);
    for (let q = 0; q < R * out; q++) gRel[q] += b[q % out];
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
