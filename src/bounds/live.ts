// Live columns: the part of the backward pass's work that a box's stably inactive ReLUs make
// unnecessary. A neuron whose relaxation lines are both identically 0 (a ReLU with u ≤ 0: slopes
// and intercepts 0) is "dead" for that box: whatever coefficient a row brings to it, the
// activation's backward step (relax/lines.ts) turns it into ±0 and adds a ±0 intercept. So a
// linear op whose input is such an activation's output may leave the coefficients on the dead
// neurons at 0 instead of computing them (RuleCtx.live): the activation then skips them
// (`a === 0`), where it would have added a·0 = ±0 to a sum that starts at +0 and so can never be
// −0 — x + ±0 = x for every such x. Every other coefficient is computed by the same sum in the
// same order (over k increasing from +0, zero terms skipped, no FMA), so the bounds are the same
// bits as computing every column (test/bounds-live.test.ts checks it on random nets, CNNs with
// dense heads and residual nets included). Several consumers of the activation's output
// (residual adds) only add 0s there, which changes nothing either.
//
// The rows then travel in live form (LiveRows, below): per run of rows of one box, only the
// coefficients on the box's live neurons, so that a Dense step costs rows × (live outputs) ×
// (live inputs) through W gathered to those rows and columns (ops/dense.ts), and the ReLU step
// touches the live neurons only (relax/lines.ts backwardLinesLive). At the sweep's epsilons most
// ReLUs of an MLP are dead (256x6 at ε = 0.02: about 60 of 256 live per layer). Rules without a
// live-form step (OpRule.backwardLive) get the rows back in dense form, as does the input.
//
// Only for passes without a gradient tape or an onLayer reader ("plain" passes: CROWN's
// tightening and output bounds): those read the coefficients on every neuron.
import { INPUT } from '../network.js';
import type { LayerPlan, NetPlan } from './plan.js';
import type { Relaxation } from './relax/types.js';

/** A box's neurons split by whether their lines are both identically 0. */
export interface LiveSplit {
  live: Int32Array;
  dead: Int32Array;
  /** The lines' slopes and upper intercepts on the live neurons, in their order (set on first use). */
  lines?: { low: Float64Array; up: Float64Array; icpt: Float64Array };
}

const liveCache = new WeakMap<Relaxation, (LiveSplit | null)[]>();

/**
 * The neurons of box `box` (each box has n) whose lines are not both identically 0 and the
 * others, or null when every neuron is live (or the relaxation is not per-neuron lines). Cached
 * per relaxation: a relaxation must not change once a pass has read it.
 */
export function liveSplit(relax: Relaxation, box: number, n: number): LiveSplit | null {
  if (relax.kind !== 'lines') return null;
  let per = liveCache.get(relax);
  if (!per) liveCache.set(relax, (per = []));
  const hit = per[box];
  if (hit !== undefined) return hit;
  const { lowSlope, lowIcpt, upSlope, upIcpt } = relax;
  const o = box * n;
  const live = new Int32Array(n), dead = new Int32Array(n);
  let L = 0, D = 0;
  for (let j = 0; j < n; j++) {
    const f = o + j;
    if (lowSlope[f] !== 0 || upSlope[f] !== 0 || upIcpt[f] !== 0 || (lowIcpt !== undefined && lowIcpt[f] !== 0)) live[L++] = j;
    else dead[D++] = j;
  }
  const out = D === 0 ? null : { live: live.slice(0, L), dead: dead.slice(0, D) };
  per[box] = out;
  return out;
}

/** The lines of a LiveSplit's live neurons (box `box`), gathered once. */
export function liveLines(relax: { lowSlope: Float64Array; upSlope: Float64Array; upIcpt: Float64Array }, split: LiveSplit, box: number, n: number): NonNullable<LiveSplit['lines']> {
  if (split.lines) return split.lines;
  const o = box * n, L = split.live.length;
  const low = new Float64Array(L), up = new Float64Array(L), icpt = new Float64Array(L);
  for (let t = 0; t < L; t++) {
    const f = o + split.live[t];
    low[t] = relax.lowSlope[f];
    up[t] = relax.upSlope[f];
    icpt[t] = relax.upIcpt[f];
  }
  return (split.lines = { low, up, icpt });
}

/** The live neurons of liveSplit (null: all). */
export function liveNeurons(relax: Relaxation, box: number, n: number): Int32Array | null {
  return liveSplit(relax, box, n)?.live ?? null;
}

/** True when layer p reads the network input directly or through reshapes only (which pass coefficients unchanged). */
export function readsInput(plan: NetPlan, p: LayerPlan): boolean {
  let q = p;
  for (;;) {
    if (q.inputs.length !== 1) return false;
    const src = q.inputs[0];
    if (src === INPUT) return true;
    q = plan.layers[src];
    if (q.op.kind !== 'reshape') return false;
  }
}

/**
 * For layer p of a pass (no gradient, no onLayer): which columns of its only input a row of box b
 * needs, when that input is an activation with per-neuron lines; undefined otherwise.
 */
export function liveInputs(plan: NetPlan, relax: (Relaxation | undefined)[], p: LayerPlan): ((box: number) => Int32Array | null) | undefined {
  if (p.inputs.length !== 1) return undefined;
  const src = p.inputs[0];
  if (src === INPUT) return undefined;
  const r = relax[src];
  if (!r || r.kind !== 'lines') return undefined;
  const n = plan.layers[src].outSize;
  return (box) => liveNeurons(r, box, n);
}

/**
 * For a Dense layer p of a plain pass whose only input is a ReLU that p alone reads (and that
 * the pass gives no α or β): the ReLU's lines on each box's live neurons (liveInputs' columns, in
 * their order; every neuron's when all are live), so that p's live step can take the ReLU's
 * step too (ops/dense.ts, as the product is produced; relax/lines.ts stepRow, the same sums)
 * and mark the runs `lined`. Undefined otherwise. With one reader no other rows reach the ReLU's
 * output, so the ReLU's own step (backwardLinesLive) gets exactly these runs and passes them on.
 */
export function fusedLines(plan: NetPlan, relax: (Relaxation | undefined)[], p: LayerPlan): ((box: number) => { lines: LiveLines; relax: Relaxation }) | undefined {
  if (p.inputs.length !== 1) return undefined;
  const src = p.inputs[0];
  if (src === INPUT || plan.layers[src].op.kind !== 'relu') return undefined;
  const r = relax[src];
  if (!r || r.kind !== 'lines' || r.lowIcpt) return undefined;
  if (readerCount(plan, src) !== 1) return undefined;
  const n = plan.layers[src].outSize;
  return (box) => {
    const split = liveSplit(r, box, n);
    return { relax: r, lines: split ? liveLines(r, split, box, n) : { low: r.lowSlope.subarray(box * n, (box + 1) * n), up: r.upSlope.subarray(box * n, (box + 1) * n), icpt: r.upIcpt.subarray(box * n, (box + 1) * n) } };
  };
}

export type LiveLines = NonNullable<LiveSplit['lines']>;

const readers = new WeakMap<NetPlan, Int32Array>();
/** How many layers read layer j's output (the network's output counts as one more reader). */
function readerCount(plan: NetPlan, j: number): number {
  let c = readers.get(plan);
  if (!c) {
    c = new Int32Array(plan.layers.length);
    for (const q of plan.layers) for (const src of q.inputs) if (src !== INPUT) c[src]++;
    c[plan.layers.length - 1]++;
    readers.set(plan, c);
  }
  return c[j];
}

/**
 * Rows in live form: per run of rows of one box, the coefficients on the columns `cols` only
 * (ascending; null: every column), the others 0. The Dense and per-neuron-lines rules step on
 * this form (OpRule.backwardLive) the way the chain of such layers needs it: a product of
 * rows × (live outputs) × (live inputs), a lines step over the live neurons; any other rule gets
 * the rows back in dense form (liveToDense).
 */
export interface LiveRows {
  kind: 'live';
  /** Rows and the width of the layer the coefficients are on. */
  n: number;
  size: number;
  runs: LiveRun[];
}

export interface LiveRun {
  box: number;
  /**
   * Set by a Dense step that also took the step through this relaxation's lines (fusedLines):
   * the rows are already coefficients on the activation's input, its intercepts in rows.bias.
   */
  lined?: Relaxation;
  /** Rows [r0, r1). */
  r0: number;
  r1: number;
  cols: Int32Array | null;
  /** (r1 − r0) × (cols?.length ?? size). */
  data: Float64Array;
}

export function isLiveRows(a: unknown): a is LiveRows {
  return (a as { kind?: string }).kind === 'live';
}

/** The rows in dense form (rows × size). */
export function liveToDense(A: LiveRows): Float64Array {
  const { size } = A;
  const out = new Float64Array(A.n * size);
  for (const { r0, r1, cols, data } of A.runs) {
    if (!cols) { out.set(data, r0 * size); continue; }
    const L = cols.length;
    for (let r = 0; r < r1 - r0; r++) {
      const oo = (r0 + r) * size, po = r * L;
      for (let t = 0; t < L; t++) out[oo + cols[t]] = data[po + t];
    }
  }
  return out;
}

/** Runs of consecutive rows of one box: [box, r0, r1] triples. */
export function boxRuns(rows: { n: number; box: Int32Array }): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let r0 = 0; r0 < rows.n;) {
    let r1 = r0 + 1;
    while (r1 < rows.n && rows.box[r1] === rows.box[r0]) r1++;
    out.push([rows.box[r0], r0, r1]);
    r0 = r1;
  }
  return out;
}

/**
 * W (m × n, row-major) restricted to the rows `outs` (null: all) and the columns `cols` (null:
 * all), followed by the column `extra` restricted to `outs` (a Dense layer's bias, so that the
 * product also gives each row's A·b): an (outs.length) × (cols.length + 1) row-major matrix,
 * kept while `outs` lives (without outs: the last gathering of each W).
 */
interface Gathered { W: Float64Array; outs: Int32Array | null; cols: Int32Array | null; g: Float64Array }
const lastSub = new WeakMap<Float64Array, Gathered>();
/**
 * Gatherings by their rows `outs` (a box's live neurons of the activation above, which meet one W
 * and one `cols`), kept for as long as that set lives (the chunk of boxes being bounded).
 */
const byOuts = new WeakMap<Int32Array, Gathered>();
export function gatherSub(W: Float64Array, m: number, n: number, outs: Int32Array | null, cols: Int32Array | null, extra: Float64Array): Float64Array {
  const hit = outs ? byOuts.get(outs) : lastSub.get(W);
  if (hit && hit.W === W && hit.outs === outs && hit.cols === cols) return hit.g;
  const M = outs ? outs.length : m, L = cols ? cols.length : n, w = L + 1;
  const g = new Float64Array(M * w);
  for (let q = 0; q < M; q++) {
    const o = outs ? outs[q] : q;
    const wo = o * n, go = q * w;
    if (cols) for (let t = 0; t < L; t++) g[go + t] = W[wo + cols[t]];
    else g.set(W.subarray(wo, wo + n), go);
    g[go + L] = extra[o];
  }
  if (outs) byOuts.set(outs, { W, outs, cols, g });
  else lastSub.set(W, { W, outs, cols, g });
  return g;
}
