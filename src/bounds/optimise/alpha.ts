// α-CROWN on the one engine, for every network of the network form: the lower slope α of
// every unstable ReLU, the line of every sigmoid on its family and the lower line of every
// max-pool output, separately for every row, are free parameters in [0, 1]; every choice
// gives a sound lower bound (relax/types.ts), so α is moved by projected Adam ascent on the
// bound itself, with the gradient from the backward pass's reverse sweep, and each row keeps
// the best bound it reached. Rows whose bound passes `stopAbove` are decided and dropped.
// Intermediate bounds (alphaBox's `intermediate`): while CROWN walks the layers, the neurons of
// each layer it tightens that stay unstable (l < 0 < u; for a layer read by a sigmoid or a
// max-pool, every neuron with l < u) get rows +e_i and −e_i optimised the same way over the
// free layers below them; every bound seen is sound, so each keeps the best one,
// and the layers above are relaxed from these tighter bounds. On a layer with a CHW shape whose
// rule has a patch step, those rows start as 1 × 1 windows (../patches.ts), as CROWN's do, and
// the backward pass and its reverse sweep stay on the windows: the same bounds and gradients as
// dense rows, up to the order of sums (test/bounds-alpha-patches.test.ts).
import type { Network } from '../../network.js';
import { outputSize } from '../../network.js';
import type { LayerBounds } from '../types.js';
import { planOf } from '../plan.js';
import { blockRowsOf, crownChunk, type Refine } from '../crown.js';
import { backwardPass, type BackwardState } from '../backward.js';
import { chwOf, isPatches, newPatches, unitPatches, type Coeffs } from '../patches.js';
import { defaultAlpha, hasFree, type LayerParams } from '../relax/types.js';
import { Adam } from '../../train/adam.js';
import { now } from '../../clock.js';

export interface OptimiseOptions {
  /** Adam steps. */
  iterations: number;
  /** Adam learning rate on α. */
  lr: number;
  /** Stop after this now() value. */
  deadline: number;
  /** Rows whose bound exceeds stopAbove[r] stop being optimised. */
  stopAbove?: Float64Array;
  /** Also return each row's α at its best bound. */
  keepAlpha?: boolean;
}

export interface OptimiseResult {
  /** Best (largest) sound lower bound of each row seen. */
  best: Float64Array;
  /** Adam steps taken. */
  iterations: number;
  /** With keepAlpha: per layer index (ReLU layers with free slopes), R × size lower slopes. */
  alpha?: (Float64Array | undefined)[];
}

/** Layers at or below `start` whose relaxation has a free lower slope. */
function freeLayers(st: BackwardState, start: number): number[] {
  const out: number[] = [];
  for (let j = 0; j <= start; j++) {
    if (hasFree(st.relax[j])) out.push(j);
  }
  return out;
}

/** Rows `rows` of coefficients A (dense, `size` wide, or patches), as new storage (the pass overwrites it). */
function pickRows(A: Coeffs, rows: readonly number[], size: number): Coeffs {
  if (!isPatches(A)) {
    const out = new Float64Array(rows.length * size);
    rows.forEach((r, q) => out.set(A.subarray(r * size, (r + 1) * size), q * size));
    return out;
  }
  const P = newPatches(rows.length, A.C, A.H, A.W, A.ph, A.pw), w = A.ph * A.pw * A.C;
  rows.forEach((r, q) => { P.oy[q] = A.oy[r]; P.ox[q] = A.ox[r]; P.data.set(A.data.subarray(r * w, (r + 1) * w), q * w); });
  return P;
}

/**
 * Optimised lower bounds of R rows with coefficients A0 (R × size of layer `start`, or patches
 * on it) on layer start's output, row r over box box[r] of the state (default: box 0).
 */
export function optimiseRows(st: BackwardState, start: number, A0: Coeffs, R: number, opts: OptimiseOptions, box?: Int32Array): OptimiseResult {
  const plan = st.plan;
  const size = plan.layers[start].outSize;
  const boxOf = box ?? new Int32Array(R);
  const free = freeLayers(st, start);
  const best = new Float64Array(R).fill(-Infinity);
  // α per free layer (R × n), started at the relaxation's own (adaptive) slope
  const init = free.map((j) => {
    const n = plan.layers[j].outSize, low = defaultAlpha(st.relax[j]!);
    const a = new Float64Array(R * n);
    for (let r = 0; r < R; r++) a.set(low.subarray(boxOf[r] * n, (boxOf[r] + 1) * n), r * n);
    return a;
  });
  const bestAlpha = opts.keepAlpha ? init.map((a) => a.slice()) : undefined;
  const adam = new Adam(init);
  let rows = [...Array(R).keys()];
  let it = 0;
  for (; it <= opts.iterations && rows.length && now() <= opts.deadline; it++) {
    const Rr = rows.length;
    const A = pickRows(A0, rows, size);
    const bx = new Int32Array(Rr);
    rows.forEach((r, q) => { bx[q] = boxOf[r]; });
    const alpha = adam.parameters;
    const layer: (LayerParams | undefined)[] = [];
    const grad: (LayerParams | undefined)[] = [];
    const wantGrad = it < opts.iterations && free.length > 0;
    free.forEach((j, f) => {
      layer[j] = { alpha: alpha[f] };
      if (wantGrad) grad[j] = { alpha: new Float64Array(alpha[f].length) };
    });
    const lb = backwardPass(st, start, A, { n: Rr, box: bx, bias: new Float64Array(Rr) }, { layer, grad: wantGrad ? grad : undefined });
    rows.forEach((r, q) => {
      if (!(lb[q] > best[r])) return;
      best[r] = lb[q];
      bestAlpha?.forEach((a, f) => { const n = a.length / R; a.set(alpha[f].subarray(q * n, (q + 1) * n), r * n); });
    });
    const keep: number[] = [];
    rows.forEach((r, q) => { if (!(opts.stopAbove && best[r] > opts.stopAbove[r])) keep.push(q); });
    if (!wantGrad || !keep.length) break;
    adam.step(free.map((j) => grad[j]!.alpha!), opts.lr, { ascend: true, lo: 0, hi: 1 });
    if (keep.length < Rr) {
      adam.keepRows(keep, Rr);
      rows = keep.map((q) => rows[q]);
    }
  }
  let alphaOut: (Float64Array | undefined)[] | undefined;
  if (bestAlpha) {
    alphaOut = [];
    free.forEach((j, f) => { alphaOut![j] = bestAlpha[f]; });
  }
  return { best, iterations: it, alpha: alphaOut };
}

export interface IntermediateOptions {
  /** Adam steps per batch of rows. */
  iterations: number;
  /** Adam learning rate (default 0.1 for layers only ReLUs read, 0.3 for the others: on the ERAN
   *  sigmoid net 5 steps at 0.3 tighten its layers as much as 20 at 0.1, which the cascade's
   *  time share does not fit). */
  lr?: number;
  /** Stop refining after this now() value (layers not reached keep CROWN's bounds). */
  deadline: number;
  /** Most rows optimised at once (memory: rows × layer widths). Default 256. */
  batch?: number;
  /** Dense rows even where the layer has windows (tests compare the two). */
  dense?: boolean;
  /**
   * Every layer's CROWN bounds of the box, when the caller has them: each refined layer is
   * intersected with them. (Tighter bounds below change CROWN's adaptive slopes above, which
   * can make its bound of a later layer a little looser; the intersection keeps it never looser.)
   */
  crown?: LayerBounds[];
}

export interface AlphaBoxOptions extends OptimiseOptions {
  /** α-optimised intermediate bounds (none: CROWN's). */
  intermediate?: IntermediateOptions;
}

export interface AlphaBoxResult extends OptimiseResult {
  /** Every layer's bounds (CROWN ∩ IBP, refined by α where asked) over the box. */
  bounds: LayerBounds[];
}

/**
 * α-CROWN for one input box: optimised lower bounds of the R rows of c (R × outputs) of the
 * network's output, and every layer's bounds.
 */
export function alphaBox(net: Network, lower: Float64Array, upper: Float64Array, c: Float64Array, R: number, opts: AlphaBoxOptions): AlphaBoxResult {
  const plan = planOf(net);
  const last = plan.layers.length - 1;
  if (c.length !== R * outputSize(net)) throw new Error(`alphaBox: ${c.length} coefficients for ${R} rows × ${outputSize(net)} outputs`);
  let refine: Refine | undefined;
  const inter = opts.intermediate;
  if (inter && inter.iterations > 0) {
    // time per refined layer: a share of what is left, weighted by depth (deeper rows cost more)
    const refined = plan.layers.map((p, i) => i).filter((i) => i !== last && plan.layers[i].tighten !== 'none');
    refine = (st, i, b) => {
      const c = inter.crown?.[i];
      if (c) for (let k = 0; k < b.lower.length; k++) { b.lower[k] = Math.max(b.lower[k], c.lower[k]); b.upper[k] = Math.min(b.upper[k], c.upper[k]); }
      const pos = refined.indexOf(i);
      if (pos < 0 || now() > inter.deadline || !freeLayers(st, i).length) return;
      let weights = 0;
      for (let q = pos; q < refined.length; q++) weights += q + 1;
      const layerDeadline = Math.min(inter.deadline, now() + (inter.deadline - now()) * (pos + 1) / weights);
      refineLayer(st, i, b, { ...inter, deadline: layerDeadline });
    };
  }
  const { state, bounds } = crownChunk(plan, { lower, upper }, 1, blockRowsOf(plan.maxWidth), false, refine);
  const res = optimiseRows(state, last, c, R, opts);
  return { ...res, bounds };
}

/**
 * α-CROWN on the rows ±e_i of the neurons of layer i (box 0) whose bounds matter, tightening b
 * in place: the unstable ones where only ReLUs read the layer, else every one with l < u.
 */
function refineLayer(st: BackwardState, i: number, b: LayerBounds, o: IntermediateOptions): void {
  const p = st.plan.layers[i], n = p.outSize;
  const onlyUnstable = p.tighten === 'unstable';
  const shape = p.rule.patches !== 'dense' && !o.dense ? chwOf(p.outShape) : undefined;
  const chw = shape && shape[1] * shape[2] > 1 ? shape : undefined;
  const unstable: number[] = [];
  for (let k = 0; k < n; k++) if (onlyUnstable ? b.lower[k] < 0 && b.upper[k] > 0 : b.lower[k] < b.upper[k]) unstable.push(k);
  if (!unstable.length) return;
  const perBatch = Math.max(1, Math.floor((o.batch ?? 256) / 2));
  const batches = Math.ceil(unstable.length / perBatch);
  for (let t = 0; t < batches; t++) {
    const tNow = now();
    if (tNow > o.deadline) break;
    const neurons = unstable.slice(t * perBatch, (t + 1) * perBatch);
    const R = 2 * neurons.length;
    // rows 2q: +e_k (lower bound of z_k); 2q+1: −e_k (minus its upper bound); 1 × 1 windows where the layer has them
    let A0: Coeffs;
    if (chw) {
      const at = new Int32Array(R), sign = new Float64Array(R);
      neurons.forEach((k, q) => { at[2 * q] = at[2 * q + 1] = k; sign[2 * q] = 1; sign[2 * q + 1] = -1; });
      A0 = unitPatches(chw, at, sign, R);
    } else {
      const D = new Float64Array(R * n);
      neurons.forEach((k, q) => { D[2 * q * n + k] = 1; D[(2 * q + 1) * n + k] = -1; });
      A0 = D;
    }
    // a row whose bound passes 0 has made its ReLU stable: no need to push it further
    const res = optimiseRows(st, i, A0, R, { iterations: o.iterations, lr: o.lr ?? (onlyUnstable ? 0.1 : 0.3), deadline: tNow + (o.deadline - tNow) / (batches - t), stopAbove: onlyUnstable ? new Float64Array(R) : undefined });
    neurons.forEach((k, q) => {
      if (res.best[2 * q] > b.lower[k]) b.lower[k] = res.best[2 * q];
      if (-res.best[2 * q + 1] < b.upper[k]) b.upper[k] = -res.best[2 * q + 1];
    });
  }
}
