// The one backward pass (CROWN back-substitution) of the engine, for a block of rows: from
// coefficients on one layer's output back through every layer to the input box, each op's rule
// turning coefficients on its output into coefficients on its inputs through its relaxation
// (relax/types.ts: data, optionally shaped per row by α), accumulating coefficients that
// arrive along several paths (residual adds), then concretised over the box as
// A·centre − |A|·radius + bias. CROWN, α-CROWN and β-CROWN (branch and bound) all call it.
//
// β: a row bounding f on the subdomain {g_t ≤ 0} of its box may add β_t·g_t (β_t ≥ 0) to f:
// on the subdomain that only lowers f, so a lower bound of f + Σ β_t·g_t over the whole box is
// one of f there (weak duality). For a split of ReLU input z (active: g = −z, inactive: g = z)
// that is ∓β on the row's coefficient of z, added here after the ReLU's backward step.
//
// Gradients (`grad`): the bound is, for the sign pattern the pass chose, an affine function of
// the coefficients at every layer, so a reverse sweep from the input upwards gives its
// derivative with respect to them: at the input it is the minimising box corner (centre −
// sign(A)·radius); through a linear op it is that op's forward pass (weights and bias); through
// a nonlinear op it is the chosen relaxation lines (the rule's `reverse`; dense has one too,
// for the fast product). d bound / d α is then
// (coefficient before the step) × (derivative on the input), and d bound / d β the derivative on
// the ReLU's input itself.
//
// Rows may be in patch form (patches.ts: per-row windows of a convolutional layer) wherever the
// rule of the layer they reach has a patch step; the pass converts them to dense rows where it
// needs whole rows (a β term, onLayer) or where the rule asks for it. The gradient tape keeps
// them as windows, and the reverse sweep runs on the same windows (a rule's `reversePatches`;
// else its dense `reverse` or forward pass, read on the window): a row's derivative is only
// needed where its coefficients are, and each step's input window is the receptive field of
// its output window, so the windows' values are the dense sweep's (up to the order of sums).
//
// Without a gradient or onLayer (a plain pass), rules with a live-form step (OpRule.backwardLive,
// live.ts) keep rows per box on the neurons a box's activations do not zero (same bits); rows
// reach every other rule, and the input, in dense form. The last step, when it reads only the
// network input, may concretise straight away (OpRule.concretiseInput, same bits). With a
// gradient, the caller may name the columns that matter (PassParams.needIn, needOut: branch and
// bound leaves out the ReLUs inactive on its root box), and rules may leave the others 0 (same
// bits).
//
// Boxes may share an input box (`inputBox`: branch and bound's domains are one box restricted by
// splits): the input steps then read that one box, so the SIMD kernels copy it once and see rows
// of many domains as rows of one box (ops/dense.ts concretiseInput). The values read are the
// same, so the bounds are the same bits.
import { INPUT } from '../network.js';
import { applyLayer } from '../forward.js';
import type { NetPlan } from './plan.js';
import { ctxOf } from './plan.js';
import type { LayerParams, Relaxation, SplitTerms } from './relax/types.js';
import { concretise, cornerJs } from './linalg.js';
import type { LayerPlan } from './plan.js';
import type { Rows, RuleCtx } from './ops/rule.js';
import { addCoeffs, clonePatches, concretisePatches, denseOf, gatherWindows, inside, isPatches, toDense, withData, type Coeffs, type Patches } from './patches.js';
import { fusedLines, isLiveRows, liveInputs, liveToDense, readsInput, type LiveRows } from './live.js';

export interface BackwardState {
  plan: NetPlan;
  /** Boxes in this chunk (or domains, each with its own layer bounds). */
  count: number;
  /** Per-layer relaxations (set for nonlinear layers once their input bounds are final). */
  relax: (Relaxation | undefined)[];
  /** Centre and radius of the input boxes, count × inSize. */
  inMid: Float64Array;
  inRad: Float64Array;
  /** Per box, the box of inMid/inRad holding its input box (absent: box b's own, b). */
  inputBox?: Int32Array;
  /** true: no live columns and no fused last step (live.ts): the reference the tests compare with (same bits). */
  allColumns?: boolean;
}

/** Free parameters of the rows, per layer index, and where their derivatives go. */
export interface PassParams {
  layer?: (LayerParams | undefined)[];
  /** Per layer: arrays (same layout as `layer`) that receive d bound / d α and d bound / d β. */
  grad?: (LayerParams | undefined)[];
  /** Receives each row's minimising input point (rows.n × inSize), the box corner its final coefficients pick (with or without grad). */
  corner?: Float64Array;
  /** Called with the coefficients on each nonlinear layer's output as the pass reaches it (read them at once: the pass overwrites them). */
  onLayer?: (j: number, A: Float64Array) => void;
  /**
   * Per layer: the output columns the reverse sweep must compute (RuleCtx.needOut), where the
   * others are read only by a ReLU that is inactive on every box (its lines 0, no free α, no
   * split): their values change no bound and no derivative. Ignored with st.allColumns.
   */
  needOut?: (Int32Array | undefined)[];
  /** Per layer: the input columns its backward step must compute (RuleCtx.needIn), on the same argument. Ignored with st.allColumns. */
  needIn?: (Int32Array | undefined)[];
}

/** The split terms added to the rows' coefficients on the split layer's input (n wide), in place. */
function addTerms(A: Float64Array, t: SplitTerms, n: number): Float64Array {
  for (let k = 0; k < t.row.length; k++) A[t.row[k] * n + t.at[k]] += t.value[k];
  return A;
}

/** One op's backward step on dense or patch rows (a rule without a patch step gets dense rows). */
function step(p: LayerPlan, A: Coeffs, rows: Rows, ctx: RuleCtx, relax: Relaxation | undefined, param: LayerParams | undefined): Coeffs[] {
  if (isPatches(A)) {
    if (p.rule.patches !== 'dense') return p.rule.patches(p.op, A, rows, ctx, relax, param);
    A = toDense(A);
  }
  return p.rule.backward(p.op, A, rows, ctx, relax, param);
}

/**
 * Lower bounds of the rows (each f ≥ A·z + c for box rows.box[r]) where A0 (rows.n × size of
 * layer `start`, or patches on it) are the coefficients on layer `start`'s output. Returns
 * rows.n lower bounds.
 */
export function backwardPass(st: BackwardState, start: number, A0: Coeffs | LiveRows, rows: Rows, params?: PassParams): Float64Array {
  const { plan } = st;
  const pending = new Map<number, Coeffs | LiveRows>([[start, A0]]);
  const wantGrad = params?.grad !== undefined;
  // A on each layer's output as it arrived, for the sweep: nonlinear layers' values (dense or
  // windows), linear layers' window geometry (dense linear layers need nothing)
  const tape = new Map<number, Coeffs>();
  const visited: number[] = [];
  let inputA: Coeffs | undefined;
  const inSize = plan.inSize;
  const plain = !wantGrad && !params?.onLayer && !st.allColumns;
  const fromLive = (a: Coeffs | LiveRows): Coeffs => (isLiveRows(a) ? liveToDense(a) : a);
  const patchForm = (a: Coeffs | LiveRows) => !isLiveRows(a) && isPatches(a);
  const atInput = inputRows(st, rows);
  for (let j = start; j >= 0; j--) {
    const got = pending.get(j);
    if (!got) continue;
    pending.delete(j);
    visited.push(j);
    const p = plan.layers[j];
    if (!plain) {
      // rows are in live form here only as the caller gave them
      const A = fromLive(got);
      if (wantGrad) {
        if (isPatches(A)) tape.set(j, p.rule.nonlinear ? clonePatches(A) : withData({ ...A, oy: A.oy.slice(), ox: A.ox.slice() }, new Float64Array(0)));
        else if (p.rule.nonlinear) tape.set(j, A.slice());
      }
      if (p.rule.nonlinear && params?.onLayer) params.onLayer(j, denseOf(A));
    }
    const param = params?.layer?.[j];
    const live = plain ? liveInputs(plan, st.relax, p) : undefined;
    // the ReLU below takes its step inside this Dense step when nothing reshapes it (no α or β there)
    const fuse = live && p.op.kind === 'dense' && !params?.layer?.[p.inputs[0]] ? fusedLines(plan, st.relax, p) : undefined;
    const needIn = live || st.allColumns ? undefined : params?.needIn?.[j];
    const ctx = live ? { ...ctxOf(p, st.count), live, ...(fuse ? { fuse } : {}) } : needIn ? { ...ctxOf(p, st.count), needIn } : ctxOf(p, st.count);
    if (plain && p.rule.concretiseInput && !param?.beta && pending.size === 0 && !inputA && !patchForm(got) && readsInput(plan, p)) {
      return p.rule.concretiseInput(p.op, inputLive(st, got as Float64Array | LiveRows), atInput, ctx, st.inMid, st.inRad);
    }
    let outs: (Coeffs | LiveRows)[];
    if (plain && p.rule.backwardLive && !param?.beta && !patchForm(got)) {
      outs = p.rule.backwardLive(p.op, got as Float64Array | LiveRows, rows, ctx, st.relax[j], param);
    } else {
      const A = fromLive(got);
      outs = step(p, A, rows, ctx, st.relax[j], param);
      if (param?.beta) outs[0] = addTerms(denseOf(outs[0] as Coeffs), param.beta, p.inSizes[0]);
    }
    p.inputs.forEach((src, k) => {
      const a = outs[k];
      if (src === INPUT) inputA = inputA ? addCoeffs(inputA, fromLive(a), rows.n, inSize) : fromLive(a);
      else {
        const prev = pending.get(src);
        pending.set(src, prev ? addCoeffs(fromLive(prev), fromLive(a), rows.n, p.inSizes[k]) : a);
      }
    });
  }
  const lb = rows.bias.slice(0, rows.n);
  // a gradient starts from the minimising corner, which the concretisation finds on its way
  let corner: Float64Array | undefined;
  if (inputA && isPatches(inputA)) concretisePatches(inputA, st.inMid, st.inRad, atInput.box, lb);
  else if (inputA) {
    if (wantGrad || params?.corner) corner = new Float64Array(rows.n * inSize);
    concretise(inputA, rows.n, inSize, st.inMid, st.inRad, atInput.box, lb, corner);
  }
  if (wantGrad) reverseSweep(st, rows, atInput, inputA && (params!.corner ? denseOf(inputA) : inputA), corner, visited.reverse(), tape, params!);
  else if (params?.corner) params.corner.set(corner ?? cornerOf(st, atInput, inputA && denseOf(inputA)));
  return lb;
}

/**
 * The linear layers from `start` down to the first nonlinear one, while they form a chain (each
 * reads one layer, not the input): their steps, on dense rows A0, adding their intercepts to
 * rows.bias. A pass from the layer this returns, with the coefficients it returns and rows.bias
 * as its start, takes the remaining steps of a pass from `start` with A0 (the same steps, with
 * the same columns: `needIn` as the pass gets it), so it bounds the rows alike. A caller with
 * constants of its own adds these intercepts to them: the same sums as a whole pass where one
 * layer of the head has a bias (where several have, the order of their additions differs).
 * Callers that bound the same rows again and again (branch and bound's Adam steps; a CNN's head
 * of average pooling and a dense layer was 10% of them) take these steps once. Returns `start`
 * and A0 itself when that layer is nonlinear.
 */
export function linearHead(st: BackwardState, start: number, A0: Float64Array, rows: Rows, needIn?: (Int32Array | undefined)[]): { layer: number; A: Float64Array } {
  let j = start, A = A0;
  for (;;) {
    const p = st.plan.layers[j];
    if (p.rule.nonlinear || p.inputs.length !== 1 || p.inputs[0] === INPUT) return { layer: j, A };
    const cols = st.allColumns ? undefined : needIn?.[j];
    const ctx = cols ? { ...ctxOf(p, st.count), needIn: cols } : ctxOf(p, st.count);
    A = denseOf(step(p, A, rows, ctx, st.relax[j], undefined)[0]);
    j = p.inputs[0];
  }
}

/** The rows as the input steps see them: each row's box replaced by its input box (st.inputBox). */
function inputRows(st: BackwardState, rows: Rows): Rows {
  const map = st.inputBox;
  if (!map) return rows;
  const box = new Int32Array(rows.n);
  for (let r = 0; r < rows.n; r++) box[r] = map[rows.box[r]];
  return { n: rows.n, box, bias: rows.bias };
}

/** Live rows with each run's box replaced by its input box (st.inputBox). */
function inputLive(st: BackwardState, a: Float64Array | LiveRows): Float64Array | LiveRows {
  const map = st.inputBox;
  return map && isLiveRows(a) ? { ...a, runs: a.runs.map((run) => ({ ...run, box: map[run.box] })) } : a;
}

/** The corner minimising patch rows P on the input (centre − sign(a)·radius), on P's windows. */
function cornerPatches(st: BackwardState, P: Patches, rows: Rows): Patches {
  const { n, C, H, W, ph, pw, data } = P;
  const out = new Float64Array(data.length), size = C * H * W, plane = H * W;
  for (let r = 0; r < n; r++) {
    const [y0, y1] = inside(P.oy[r], ph, H), [x0, x1] = inside(P.ox[r], pw, W);
    for (let i = y0; i < y1; i++) {
      for (let j = x0; j < x1; j++) {
        const po = ((r * ph + i) * pw + j) * C, xo = rows.box[r] * size + (P.oy[r] + i) * W + P.ox[r] + j;
        for (let c = 0; c < C; c++) {
          const a = data[po + c], k = xo + c * plane;
          out[po + c] = st.inMid[k] - (a > 0 ? st.inRad[k] : a < 0 ? -st.inRad[k] : 0);
        }
      }
    }
  }
  return withData(P, out);
}

function reverseSweep(st: BackwardState, rows: Rows, atInput: Rows, inputA: Coeffs | undefined, corner: Float64Array | undefined, order: number[], tape: Map<number, Coeffs>, params: PassParams): void {
  const { plan } = st;
  const G = new Map<number, Coeffs>();
  const sweep = (gIn: Coeffs) => {
    for (const j of order) {
      const p = plan.layers[j];
      const gins = p.inputs.map((src) => (src === INPUT ? gIn : G.get(src)!));
      const grad = params.grad?.[j];
      const need = st.allColumns ? undefined : params.needOut?.[j];
      const ctx = need ? { ...ctxOf(p, st.count), needOut: need } : ctxOf(p, st.count), A = tape.get(j);
      // a β term made the rows dense below this layer, so its input's derivative is dense here
      if (grad?.beta) {
        const g = denseOf(gins[0]), n = p.inSizes[0], t = grad.beta;
        for (let k = 0; k < t.row.length; k++) t.value[k] = g[t.row[k] * n + t.at[k]];
      }
      if (A && isPatches(A)) {
        if (p.rule.reversePatches) {
          G.set(j, withData(A, p.rule.reversePatches(p.op, (Q) => gatherWindows(Q, gins[0]), A, rows, ctx, st.relax[j], params.layer?.[j], grad)));
          continue;
        }
        // dense rows (0 outside the windows, which the window of the output never reads), then the window
        const dg = gins.map(denseOf);
        const out = p.rule.reverse ? p.rule.reverse(p.op, dg[0], toDense(A), rows, ctx, st.relax[j], params.layer?.[j], grad) : applyLayer(plan.net, j, dg, rows.n) as Float64Array;
        G.set(j, withData(A, gatherWindows(A, out)));
        continue;
      }
      // dense coefficients here: every layer below was reached by dense rows too
      const dg = gins.map(denseOf);
      if (p.rule.reverse) G.set(j, p.rule.reverse(p.op, dg[0], A as Float64Array | undefined, rows, ctx, st.relax[j], params.layer?.[j], grad));
      else G.set(j, applyLayer(plan.net, j, dg, rows.n) as Float64Array);
    }
  };
  if (inputA && isPatches(inputA)) return sweep(cornerPatches(st, inputA, atInput));
  const gIn = corner ?? cornerOf(st, atInput, inputA);
  params.corner?.set(gIn);
  sweep(gIn);
}

/** At the input: the corner minimising each row's A·x (the centre where A is 0). */
function cornerOf(st: BackwardState, rows: Rows, inputA: Float64Array | undefined): Float64Array {
  const inSize = st.plan.inSize;
  const gIn = new Float64Array(rows.n * inSize);
  if (inputA) cornerJs(inputA, rows.n, inSize, st.inMid, st.inRad, rows.box, gIn);
  return gIn;
}
