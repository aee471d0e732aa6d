// CROWN for one chunk of boxes. Layers are visited in order; each gets its interval image
// from the (already tightened) bounds of its inputs, and every layer read by a nonlinear op
// is then tightened by a backward pass to the input box and intersected with that interval
// (both are sound, so the intersection is). Neurons read only by ReLUs are back-substituted
// only when unstable (l < 0 < u): a stable ReLU is exact whatever its input bounds, so this
// changes no final bound and saves most of the work at small epsilons.
// The rows of a layer with a CHW shape whose rule has a patch step start in patch form (1 × 1
// windows, patches.ts): each stays a window of the layers below until it covers them, which is
// where convolutional networks spend most of CROWN's time. `patches = false` keeps every row
// dense (the same bounds up to rounding; the tests compare the two). `liveColumns = false` turns
// off live.ts's shortcut (the same bits: the reference its test compares with).
import { INPUT } from '../network.js';
import type { LayerBounds } from './types.js';
import { ctxOf, type NetPlan, type Tighten } from './plan.js';
import { backwardPass, type BackwardState } from './backward.js';
import { centreRadius } from './linalg.js';
import { chwOf, unitPatches, type Coeffs } from './patches.js';
import type { LiveRows, LiveRun } from './live.js';

/** Backward rows per block for a network (a few coefficient matrices of its widest layer in 64 MiB). */
export function blockRowsOf(maxWidth: number): number {
  return Math.max(2, Math.min(2048, Math.floor((64 * 1024 * 1024) / (8 * 3 * maxWidth))));
}

export interface CrownChunk {
  bounds: LayerBounds[];
  state: BackwardState;
}

/** Called after CROWN tightened layer i (bounds b, in place): e.g. α-CROWN on its unstable neurons. */
export type Refine = (state: BackwardState, i: number, b: LayerBounds) => void;

/** How a layer's selected neurons are back-substituted (default: the general backward pass; chw: patch-form rows). */
export type TightenFn = (st: BackwardState, i: number, b: LayerBounds, mode: Tighten, n: number, blockRows: number, chw?: [number, number, number]) => void;

export function crownChunk(plan: NetPlan, input: LayerBounds, count: number, blockRows: number, tightenLast: boolean, refine?: Refine, patches = true, tightenWith: TightenFn = tighten, liveColumns = true): CrownChunk {
  const { mid, rad } = centreRadius(input.lower, input.upper);
  const state: BackwardState = { plan, count, relax: [], inMid: mid, inRad: rad, ...(liveColumns ? {} : { allColumns: true }) };
  const bounds: LayerBounds[] = [];
  const last = plan.layers.length - 1;
  plan.layers.forEach((p, i) => {
    const ins = p.inputs.map((src) => (src === INPUT ? input : bounds[src]));
    const ctx = ctxOf(p, count);
    if (p.rule.relax) state.relax[i] = p.rule.relax(p.op, ins, ctx);
    const b = p.rule.interval(p.op, ins, ctx);
    bounds.push(b);
    const mode: Tighten = i === last && tightenLast ? 'all' : p.tighten;
    if (mode !== 'none') {
      const chw = patches && p.rule.patches !== 'dense' ? chwOf(p.outShape) : undefined;
      tightenWith(state, i, b, mode, p.outSize, blockRows, chw && chw[1] * chw[2] > 1 ? chw : undefined);
      if (refine && i !== last) refine(state, i, b);
    }
  });
  return { bounds, state };
}

/**
 * Back-substitutes the selected neurons of layer i (two rows each: x_j and −x_j) and intersects;
 * with `chw` (the layer's CHW shape) the rows start as 1 × 1 patches.
 */
const tighten: TightenFn = (st, i, b, mode, n, blockRows, chw) => tightenRows(st, i, b, mode, n, blockRows, chw, false);

/**
 * `tighten` for a caller that reads only the network's output bounds (boundNetworkCpu): in
 * 'unstable' mode (a layer read only by ReLUs) the upper rows go first, and a neuron they show
 * stably inactive (u < 0) gets no lower row: its ReLU is [0, 0] with both lines 0 whatever its
 * lower bound, so nothing the output's bounds depend on reads that lower bound (it stays the
 * interval's, which is sound). The output bounds are the same bits as with `tighten`.
 */
export const tightenUpperFirst: TightenFn = (st, i, b, mode, n, blockRows, chw) => tightenRows(st, i, b, mode, n, blockRows, chw, true);

/** `tighten` on the boxes b with want[b] = 1 only (the others keep their bounds). */
export function tightenBoxes(st: BackwardState, i: number, b: LayerBounds, mode: Tighten, n: number, blockRows: number, chw: [number, number, number] | undefined, want: Uint8Array): void {
  tightenRows(st, i, b, mode, n, blockRows, chw, true, want);
}

function tightenRows(st: BackwardState, i: number, b: LayerBounds, mode: Tighten, n: number, blockRows: number, chw: [number, number, number] | undefined, upperFirst: boolean, want?: Uint8Array): void {
  const pick = (l: number, u: number) => (mode === 'unstable' ? l < 0 && u > 0 : l < u);
  const sel: number[] = [];
  for (let f = 0; f < st.count * n; f++) if (pick(b.lower[f], b.upper[f]) && (!want || want[Math.floor(f / n)])) sel.push(f);
  if (sel.length === 0) return;
  if (upperFirst && mode === 'unstable') {
    rowsOf(st, i, b, n, blockRows, chw, sel, [-1]);
    rowsOf(st, i, b, n, blockRows, chw, sel.filter((f) => !(b.upper[f] < 0)), [1]);
  } else rowsOf(st, i, b, n, blockRows, chw, sel, [1, -1]);
}

/**
 * Rows in live form: rows k·S … k·S + S − 1 are (each sign)·x at flat neuron at[k·S] (box·n + j),
 * in box order; one run per box, on the columns of its selected neurons (one-hot rows there).
 */
function unitLive(at: Int32Array, signs: number[], n: number, r: number): LiveRows {
  const S = signs.length;
  const runs: LiveRun[] = [];
  for (let k0 = 0; k0 < r;) {
    const box = Math.floor(at[k0] / n);
    let k1 = k0 + S;
    while (k1 < r && Math.floor(at[k1] / n) === box) k1 += S;
    const K = (k1 - k0) / S;
    const cols = new Int32Array(K);
    const data = new Float64Array((k1 - k0) * K);
    for (let q = 0; q < K; q++) {
      cols[q] = at[k0 + q * S] % n;
      for (let z = 0; z < S; z++) data[(q * S + z) * K + q] = signs[z];
    }
    runs.push({ box, r0: k0, r1: k1, cols, data });
    k0 = k1;
  }
  return { kind: 'live', n: r, size: n, runs };
}

/** Rows sign·x_f for the flat neurons f = box·n + j in `sel` and each sign, in blocks; b tightened in place. */
function rowsOf(st: BackwardState, i: number, b: LayerBounds, n: number, blockRows: number, chw: [number, number, number] | undefined, sel: number[], signs: number[]): void {
  const S = signs.length;
  // a plain pass takes the rows in live form (live.ts): one run per neuron, its signs on that one column
  const live = !st.allColumns;
  // no larger than needed: a block of the widest layers is many megabytes to zero
  const per = Math.max(1, Math.floor(Math.max(2, blockRows) / 2) * 2 / S);
  for (let s0 = 0; s0 < sel.length; s0 += per) {
    const part = sel.slice(s0, s0 + per);
    const r = part.length * S;
    const A0 = new Float64Array(chw || live ? 0 : r * n);
    const box = new Int32Array(r);
    const at = new Int32Array(r); // flat index b*n + j of the neuron a row bounds
    const sign = new Float64Array(r);
    part.forEach((f, q) => signs.forEach((sg, z) => {
      const k = q * S + z;
      box[k] = Math.floor(f / n);
      at[k] = f;
      sign[k] = sg;
      if (!chw && !live) A0[k * n + (f % n)] = sg;
    }));
    const rowsA: Coeffs | LiveRows = chw ? unitPatches(chw, at, sign, r) : live ? unitLive(at, signs, n, r) : A0;
    const lb = backwardPass(st, i, rowsA, { n: r, box, bias: new Float64Array(r) });
    for (let k = 0; k < r; k++) {
      const f = at[k];
      if (sign[k] > 0) { if (lb[k] > b.lower[f]) b.lower[f] = lb[k]; }
      else if (-lb[k] < b.upper[f]) b.upper[f] = -lb[k];
    }
  }
}
