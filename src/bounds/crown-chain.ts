// CROWN's back-substitution on a dense ReLU chain (reshape* dense (relu dense)*), one box at a
// time and only over the neurons that can carry a coefficient. A stably inactive ReLU (u ≤ 0)
// has both lines 0: every coefficient that reaches it is multiplied by 0 and adds 0 to the
// bias, and the general pass (backward.ts) then skips its column in the next product. So the
// general pass computes, for each row, exactly the non-zero terms computed here, in the same
// order (every sum over k increasing, starting at +0, no FMA), and the results are the same
// bits (test/crown-chain.test.ts checks it against boundNetworkCpu's general path). What
// changes is the work: per box, the weights are gathered once into W[S_out, S_in] for the live
// sets S (active or unstable neurons), so a product is rows × |S_out| × |S_in| instead of
// rows × |S_out| × width, and the ReLU steps touch |S| columns instead of the width. At the
// sweep's epsilons most ReLUs of an MLP are stably inactive (256x6 at eps 0.02: about 60 of 256
// live per layer), so this is most of the back-substitution's work.
//
// Intervals and relaxations are the rules' own (crown.ts's crownChunk runs them on one box);
// only crownChunk's `tighten` and the final spec pass are replaced.
import { INPUT } from '../network.js';
import type { LayerBounds } from './types.js';
import type { NetPlan, Tighten } from './plan.js';
import type { BackwardState } from './backward.js';
import type { DenseOp } from '../network.js';
import type { LineRelax } from './relax/types.js';
import { concretise, matmulRows, transposeOf } from './linalg.js';
import { gemmConcretiseWasm, gemmWasmOnce } from './wasm/gemm.js';
import { crownChunk } from './crown.js';

/** The chain's layers: dense[k] is a dense layer; relu[k] (k ≥ 1) the ReLU that feeds dense[k]. */
export interface ChainPlan {
  /** Plan indices of the dense layers, in order. */
  dense: number[];
  /** relu[k]: plan index of the ReLU between dense[k − 1] and dense[k] (relu[0] = −1). */
  relu: number[];
  /** Position in `dense` of each plan layer index (−1 when not dense). */
  pos: Int32Array;
}

const chains = new WeakMap<NetPlan, ChainPlan | null>();

/** The chain form of a plan, or null when the network is not reshape* dense (relu dense)*. */
export function chainOf(plan: NetPlan): ChainPlan | null {
  const hit = chains.get(plan);
  if (hit !== undefined) return hit;
  const dense: number[] = [];
  const relu: number[] = [];
  let ok = plan.layers.length > 0;
  let expect: 'dense-or-reshape' | 'relu-or-end' | 'dense' = 'dense-or-reshape';
  let pendingRelu = -1;
  plan.layers.forEach((p, i) => {
    if (!ok) return;
    const src = p.inputs.length === 1 ? p.inputs[0] : NaN;
    if (src !== (i === 0 ? INPUT : i - 1)) { ok = false; return; }
    const kind = p.op.kind;
    if (expect === 'dense-or-reshape' && kind === 'reshape') return;
    if ((expect === 'dense-or-reshape' || expect === 'dense') && kind === 'dense') {
      dense.push(i);
      relu.push(pendingRelu);
      expect = 'relu-or-end';
      return;
    }
    if (expect === 'relu-or-end' && kind === 'relu') {
      pendingRelu = i;
      expect = 'dense';
      return;
    }
    ok = false;
  });
  const last = plan.layers.length - 1;
  if (ok && (dense.length === 0 || dense[dense.length - 1] !== last)) ok = false;
  let out: ChainPlan | null = null;
  if (ok) {
    const pos = new Int32Array(plan.layers.length).fill(-1);
    dense.forEach((d, k) => { pos[d] = k; });
    out = { dense, relu, pos };
  }
  chains.set(plan, out);
  return out;
}

/** One box's live sets and gathered weights, built as the layers' relaxations become known. */
interface Gathered {
  /** Live neurons (not stably inactive) of the ReLU feeding dense[k], k ≥ 1. */
  live: Int32Array;
  /** The ReLU's lines on the live neurons. */
  low: Float64Array;
  up: Float64Array;
  icpt: Float64Array;
  /** The lower lines' intercepts, when the relaxation has them (ReLU's do not). */
  lowIcpt?: Float64Array;
  /** dense[k − 1]'s bias on the live neurons. */
  bias?: Float64Array;
  /** k ≥ 2: W_{k−1}[live_k, live_{k−1}] (rows: outputs of dense[k − 1]), row-major. */
  w?: Float64Array;
}

class ChainBox {
  private readonly g: Gathered[] = [];
  constructor(readonly plan: NetPlan, readonly chain: ChainPlan, readonly st: BackwardState) {}

  /** The gathered data of level k (k ≥ 1), built once per box. */
  level(k: number): Gathered {
    let g = this.g[k];
    if (g) return g;
    const relax = this.st.relax[this.chain.relu[k]] as LineRelax;
    const n = relax.lowSlope.length;
    const idx: number[] = [];
    const lowIcpt = relax.lowIcpt;
    for (let j = 0; j < n; j++) if (relax.lowSlope[j] !== 0 || relax.upSlope[j] !== 0 || relax.upIcpt[j] !== 0 || (lowIcpt && lowIcpt[j] !== 0)) idx.push(j);
    const live = Int32Array.from(idx);
    const L = live.length;
    const low = new Float64Array(L), up = new Float64Array(L), icpt = new Float64Array(L);
    for (let t = 0; t < L; t++) {
      low[t] = relax.lowSlope[live[t]];
      up[t] = relax.upSlope[live[t]];
      icpt[t] = relax.upIcpt[live[t]];
    }
    g = { live, low, up, icpt, ...(lowIcpt ? { lowIcpt: Float64Array.from(live, (j) => lowIcpt[j]) } : {}) };
    if (k >= 2) {
      const prev = this.level(k - 1).live;
      const op = this.plan.layers[this.chain.dense[k - 1]].op as DenseOp;
      const w = new Float64Array(L * prev.length);
      for (let t = 0; t < L; t++) {
        const row = live[t] * op.inFeatures;
        for (let s = 0; s < prev.length; s++) w[t * prev.length + s] = op.weight[row + prev[s]];
      }
      g.w = w;
    }
    this.g[k] = g;
    return g;
  }

  /**
   * Lower bounds of `n` rows. A holds, per row, the coefficients on the live neurons of level k
   * (the outputs of the ReLU feeding dense[k]), i.e. already through dense[k]; bias holds what
   * dense[k] and the layers above added. Goes down through that ReLU and every layer below it
   * to the input box, and concretises there.
   */
  down(k: number, A: Float64Array, n: number, bias: Float64Array): Float64Array {
    for (; k >= 1; k--) {
      const g = this.level(k);
      const L = g.live.length;
      // the ReLU's lines (relax/lines.ts: a positive coefficient takes the lower line), then
      // dense[k − 1]'s bias A·b over its live outputs; two sums kept apart, added in that order
      // as the general pass adds them. Then A ← A·W below.
      const op = this.plan.layers[this.chain.dense[k - 1]].op as DenseOp;
      const gb = g.bias ??= Float64Array.from(g.live, (j) => op.bias[j]);
      const li = g.lowIcpt;
      for (let r = 0; r < n; r++) {
        const ao = r * L;
        let b = 0, s = 0;
        for (let t = 0; t < L; t++) {
          let a = A[ao + t];
          if (a > 0) {
            if (li) b += a * li[t];
            a = a * g.low[t];
          } else if (a < 0) {
            b += a * g.icpt[t];
            a = a * g.up[t];
          }
          A[ao + t] = a;
          s += a * gb[t];
        }
        bias[r] += b;
        bias[r] += s;
      }
      if (k >= 2) {
        const prev = this.level(k - 1).live.length;
        const out = new Float64Array(n * prev);
        gemm(A, n, L, g.w!, prev, out);
        A = out;
      } else {
        // the first layer: back to the full input, through the resident weights (its zero
        // columns are skipped by the kernel), as dense.ts does
        const m = op.outFeatures, width = op.inFeatures;
        const full = new Float64Array(n * m);
        for (let r = 0; r < n; r++) for (let t = 0; t < L; t++) full[r * m + g.live[t]] = A[r * L + t];
        const lb = bias.slice(0, n);
        // the product and its concretisation in one wasm call (no copy of the n × width product)
        if (n * m * width >= 4096 && gemmConcretiseWasm(full, n, m, op.weight, width, this.st.inMid, this.st.inRad, lb)) return lb;
        const out = new Float64Array(n * width);
        matmulRows(full, n, m, transposeOf(op.weight, m, width), width, out);
        A = out;
      }
    }
    // reshapes pass coefficients through; concretise over this box (index 0 of the state)
    const lb = bias.slice(0, n);
    concretise(A, n, this.plan.inSize, this.st.inMid, this.st.inRad, new Int32Array(n), lb);
    return lb;
  }

  /** Coefficients (n rows, A0: n × outputs of dense[k]) through dense[k] onto level k. */
  through(k: number, A0: Float64Array, n: number, bias: Float64Array): Float64Array {
    const op = this.plan.layers[this.chain.dense[k]].op as DenseOp;
    const m = op.outFeatures;
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let o = 0; o < m; o++) s += A0[r * m + o] * op.bias[o];
      bias[r] += s;
    }
    const live = this.level(k).live;
    const L = live.length;
    const w = new Float64Array(m * L);
    for (let o = 0; o < m; o++) for (let t = 0; t < L; t++) w[o * L + t] = op.weight[o * op.inFeatures + live[t]];
    const out = new Float64Array(n * L);
    gemm(A0, n, m, w, L, out);
    return out;
  }
}

/** out (n × cols) = A (n × inner) · W (inner × cols, row-major), sums over k increasing from +0. */
function gemm(A: Float64Array, n: number, inner: number, W: Float64Array, cols: number, out: Float64Array): void {
  if (n * inner * cols >= 4096 && gemmWasmOnce(A, n, inner, W, cols, out)) return;
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < cols; c++) {
      let s = 0;
      for (let k = 0; k < inner; k++) {
        const a = A[r * inner + k];
        if (a !== 0) s += a * W[k * cols + c];
      }
      out[r * cols + c] = s;
    }
  }
}

/**
 * Bounds of layer i's output (one box) over a ball that contains this box, or undefined: sound
 * here too, so CROWN intersects them with the layer's interval before choosing what to tighten.
 */
export type PriorBounds = (i: number) => LayerBounds | undefined;

/**
 * The layers whose bounds a sweep carries from a larger ball to a smaller one (the tightened
 * pre-activations), with each one's offset in a box's row of `size` values.
 */
export interface PriorLayout {
  layers: number[];
  offset: Map<number, number>;
  size: number;
}

const layouts = new WeakMap<NetPlan, PriorLayout>();

export function priorLayout(plan: NetPlan): PriorLayout {
  let lay = layouts.get(plan);
  if (!lay) {
    const layers: number[] = [];
    const offset = new Map<number, number>();
    let size = 0;
    plan.layers.forEach((p, i) => {
      if (p.tighten === 'none') return;
      layers.push(i);
      offset.set(i, size);
      size += p.outSize;
    });
    lay = { layers, offset, size };
    layouts.set(plan, lay);
  }
  return lay;
}

/**
 * Layer bounds carried between calls (CpuBoundOptions.prior / keep): per box, the priorLayout's
 * layers' lower and upper bounds (count × size each); `has[b]` = 1 where box b has them.
 */
export interface PriorSet {
  lower: Float64Array;
  upper: Float64Array;
  has: Uint8Array;
}

/**
 * crownChunk's tighten for chain layers (mode 'unstable' or 'all'), on a one-box state. In
 * 'unstable' mode (a layer read only by its ReLU) the upper bounds go first: a neuron they show
 * stably inactive (u < 0) is exact whatever its lower bound (the ReLU's interval is [0, 0] and
 * its lines 0 either way), so its lower row is not computed; nothing downstream reads that value
 * (boundNetworkCpu returns only the spec's bounds), so the results keep the general pass's bits.
 */
function tightenChain(box: ChainBox, i: number, b: LayerBounds, mode: Tighten, n: number, blockRows: number): void {
  const k = box.chain.pos[i];
  const pick = (l: number, u: number) => (mode === 'unstable' ? l < 0 && u > 0 : l < u);
  const sel: number[] = [];
  for (let j = 0; j < n; j++) if (pick(b.lower[j], b.upper[j])) sel.push(j);
  if (!sel.length) return;
  if (k === 0) throw new Error('crown-chain: the first dense layer is never tightened');
  if (mode !== 'unstable') {
    backSubstitute(box, k, b, sel, [1, -1], blockRows);
    return;
  }
  backSubstitute(box, k, b, sel, [-1], blockRows);
  backSubstitute(box, k, b, sel.filter((j) => !(b.upper[j] < 0)), [1], blockRows);
}

/** Rows ±x_j (signs) for the neurons `sel` of dense[k], back-substituted; b tightened in place. */
function backSubstitute(box: ChainBox, k: number, b: LayerBounds, sel: number[], signs: number[], blockRows: number): void {
  const op = box.plan.layers[box.chain.dense[k]].op as DenseOp;
  const live = box.level(k).live;
  const L = live.length;
  const S = signs.length;
  const per = Math.max(1, Math.floor(Math.max(2, blockRows) / S));
  for (let s0 = 0; s0 < sel.length; s0 += per) {
    const part = sel.slice(s0, s0 + per);
    const rows = S * part.length;
    // row sign·x_j: the one-hot through dense[k] is sign·W[j, live] (summed from +0 as the
    // general product does), its bias sign·b_j
    const A = new Float64Array(rows * L);
    const bias = new Float64Array(rows);
    part.forEach((j, q) => {
      const wo = j * op.inFeatures;
      signs.forEach((sign, z) => {
        const r = S * q + z;
        for (let t = 0; t < L; t++) A[r * L + t] = 0 + sign * op.weight[wo + live[t]];
        bias[r] = 0 + (0 + sign * op.bias[j]);
      });
    });
    const lb = box.down(k, A, rows, bias);
    part.forEach((j, q) => {
      signs.forEach((sign, z) => {
        const v = lb[S * q + z];
        if (sign > 0) { if (v > b.lower[j]) b.lower[j] = v; }
        else if (-v < b.upper[j]) b.upper[j] = -v;
      });
    });
  }
}

/**
 * CROWN on one box of a chain: the layer bounds (as crownChunk with count 1) and a function
 * giving the lower bounds of rows of coefficients A0 (n × outputs) on the last layer.
 */
export function crownChainBox(plan: NetPlan, chain: ChainPlan, input: LayerBounds, blockRows: number, prior?: PriorBounds): { bounds: LayerBounds[]; final: (A0: Float64Array, n: number) => Float64Array } {
  let box: ChainBox | undefined;
  const { bounds, state } = crownChunk(plan, input, 1, blockRows, false, undefined, false, (st, i, b, mode, n, rowsCap) => {
    box ??= new ChainBox(plan, chain, st);
    const p = prior?.(i);
    if (p) {
      // bounds of a ball containing this box hold here too: intersect, then only what is still
      // unstable is back-substituted
      for (let j = 0; j < n; j++) {
        if (p.lower[j] > b.lower[j]) b.lower[j] = p.lower[j];
        if (p.upper[j] < b.upper[j]) b.upper[j] = p.upper[j];
      }
    }
    tightenChain(box, i, b, mode, n, rowsCap);
  });
  box ??= new ChainBox(plan, chain, state);
  const last = chain.dense.length - 1;
  const final = (A0: Float64Array, n: number): Float64Array => {
    const bias = new Float64Array(n);
    if (last === 0) {
      // one dense layer: straight to the input
      const op = plan.layers[chain.dense[0]].op as DenseOp;
      const m = op.outFeatures;
      for (let r = 0; r < n; r++) {
        let s = 0;
        for (let o = 0; o < m; o++) s += A0[r * m + o] * op.bias[o];
        bias[r] += s;
      }
      const out = new Float64Array(n * op.inFeatures);
      matmulRows(A0, n, m, transposeOf(op.weight, m, op.inFeatures), op.inFeatures, out);
      const lb = bias.slice(0, n);
      concretise(out, n, plan.inSize, state.inMid, state.inRad, new Int32Array(n), lb);
      return lb;
    }
    return box!.down(last, box!.through(last, A0, n, bias), n, bias);
  };
  return { bounds, final };
}
