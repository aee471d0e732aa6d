// CROWN for one chunk of boxes. Layers are visited in order; each gets its interval image
// from the (already tightened) bounds of its inputs, and every layer read by a nonlinear op
// is then tightened by a backward pass to the input box and intersected with that interval
// (both are sound, so the intersection is). Neurons read only by ReLUs are back-substituted
// only when unstable (l < 0 < u): a stable ReLU is exact whatever its input bounds, so this
// changes no final bound and saves most of the work at small epsilons.
// The rows of a layer with a CHW shape whose rule has a patch step start in patch form (1 × 1
// windows, patches.ts): each stays a window of the layers below until it covers them, which is
// where convolutional networks spend most of CROWN's time. `patches = false` keeps every row
// dense (the same bounds up to rounding; the tests compare the two).
import { INPUT } from '../network.js';
import type { LayerBounds } from './types.js';
import { ctxOf, type NetPlan, type Tighten } from './plan.js';
import { backwardPass, type BackwardState } from './backward.js';
import { centreRadius } from './linalg.js';
import { chwOf, unitPatches, type Coeffs } from './patches.js';

export interface CrownChunk {
  bounds: LayerBounds[];
  state: BackwardState;
}

/** Called after CROWN tightened layer i (bounds b, in place): e.g. α-CROWN on its unstable neurons. */
export type Refine = (state: BackwardState, i: number, b: LayerBounds) => void;

/** How a layer's selected neurons are back-substituted (default: the general backward pass; chw: patch-form rows). */
export type TightenFn = (st: BackwardState, i: number, b: LayerBounds, mode: Tighten, n: number, blockRows: number, chw?: [number, number, number]) => void;

export function crownChunk(plan: NetPlan, input: LayerBounds, count: number, blockRows: number, tightenLast: boolean, refine?: Refine, patches = true, tightenWith: TightenFn = tighten): CrownChunk {
  const { mid, rad } = centreRadius(input.lower, input.upper);
  const state: BackwardState = { plan, count, relax: [], inMid: mid, inRad: rad };
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
function tighten(st: BackwardState, i: number, b: LayerBounds, mode: Tighten, n: number, blockRows: number, chw?: [number, number, number]): void {
  const pick = (l: number, u: number) => (mode === 'unstable' ? l < 0 && u > 0 : l < u);
  let selected = 0;
  for (let f = 0; f < st.count * n; f++) if (pick(b.lower[f], b.upper[f])) selected++;
  if (selected === 0) return;
  // no larger than needed: a block of the widest layers is many megabytes to zero
  const cap = Math.min(2 * selected, Math.max(2, blockRows - (blockRows % 2)));
  let A0 = new Float64Array(chw ? 0 : cap * n);
  let box = new Int32Array(cap);
  let at = new Int32Array(cap); // flat index b*n + j of the neuron a row bounds
  let r = 0;
  const sign = new Float64Array(cap).map((_, k) => (k % 2 ? -1 : 1));
  const flush = () => {
    const rowsA: Coeffs = chw ? unitPatches(chw, at, sign, r) : A0;
    const lb = backwardPass(st, i, rowsA, { n: r, box, bias: new Float64Array(r) });
    for (let k = 0; k < r; k += 2) {
      const f = at[k];
      if (lb[k] > b.lower[f]) b.lower[f] = lb[k];
      if (-lb[k + 1] < b.upper[f]) b.upper[f] = -lb[k + 1];
    }
    A0 = new Float64Array(chw ? 0 : cap * n); // the pass may have overwritten it
    box = new Int32Array(cap);
    at = new Int32Array(cap);
    r = 0;
  };
  for (let bx = 0; bx < st.count; bx++) {
    for (let j = 0; j < n; j++) {
      const f = bx * n + j;
      if (!pick(b.lower[f], b.upper[f])) continue;
      if (!chw) {
        A0[r * n + j] = 1;
        A0[(r + 1) * n + j] = -1;
      }
      box[r] = box[r + 1] = bx;
      at[r] = at[r + 1] = f;
      r += 2;
      if (r + 2 > cap) flush();
    }
  }
  if (r > 0) flush();
}
