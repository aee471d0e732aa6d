// Every layer's bounds and relaxation on each domain of a branch-and-bound batch (splits as
// data, ./domains.ts): D "boxes", each the root's box restricted by its domain's splits.
//
// A ReLU or sigmoid split is a bound on its activation's input z (active z ≥ p, else z ≤ p;
// p = 0 for a ReLU): it is intersected into that layer's bounds, and the activation's lines
// come from the narrowed interval (a split ReLU's are exact: slope 1 or 0). A MaxPool split
// (x_i ≥ x_k) drops the loser from its output's candidates (ops/maxpool.ts setMaxOutput).
//
// With `refresh` (β-CROWN's per-domain intermediate bounds, here with default slopes and no
// β of their own), every layer above a domain's lowest split is bounded again on the domain:
// its interval image from the domain's bounds below, intersected with the root's bounds, then,
// where ReLUs read it, tightened by the engine's one CROWN step on its unstable neurons
// (crown.ts tightenBoxes: back-substitution through the domain's own relaxations), then the
// split bounds again. A split early in a deep network makes later neurons stable on the
// domain, and their relaxations exact. Layers read by other nonlinear ops (sigmoid, max-pool)
// get the interval image only: back-substituting every one of their neurons on every domain
// would cost several times the domain's own bound (ERAN's 6 × 200 sigmoid net: ~400 rows a
// layer against the spec's 9).
// Soundness, by induction over the layers, on the domain {x in box : every split holds}: the
// root's bounds hold on the whole box; the split bounds hold on the domain by definition; an
// interval image or a back-substitution through relaxations that hold on the domain bounds the
// layer there; so each intersection does, and the relaxations built from them hold there.
// A child inherits its parent's bounds (`inherited`, packed by `packed` on the neurons the root
// leaves undecided: see `kept`): they hold on the parent's domain, which contains the child's, so
// they are intersected in, and only the layers above the child's new splits are bounded again
// (those below do not read them).
// Where an intersection is empty (beyond float64 rounding, TOL) no input of the box satisfies
// the domain's splits: the domain is `empty`, and any bound holds on it.
import { INPUT, type MaxPool2dOp } from '../../network.js';
import type { LayerBounds } from '../types.js';
import type { BackwardState } from '../backward.js';
import { ctxOf } from '../plan.js';
import { blockRowsOf, tightenBoxes } from '../crown.js';
import { chwOf } from '../patches.js';
import type { LineRelax, MaxRelax, Relaxation } from '../relax/types.js';
import type { CurveSide } from '../relax/curve.js';
import { setMaxOutput } from '../ops/maxpool.js';
import { setSigmoidNeuron } from '../ops/sigmoid.js';
import { windowsOf } from '../ops/window.js';
import type { Split } from './domains.js';

/** Relative slack under which crossing bounds are float64 rounding, not an empty domain. */
const TOL = 1e-9;

export interface DomainLayers {
  /** Per layer, for D domains (D × the layer's size). */
  bounds: LayerBounds[];
  relax: (Relaxation | undefined)[];
  /** Bounds of layer j's (first) input on each domain, cuts included (D × its size). */
  inputOf: (j: number) => LayerBounds;
  /** Per ReLU layer with splits: position + 1 of the split of each (d·n + neuron), 0 where none. */
  reluAt: Map<number, Int32Array>;
  /** Per MaxPool layer with splits: the candidates left of each split output (d·m + output). */
  poolLeft: Map<number, Map<number, number[]>>;
  /** 1 for a domain whose splits no input satisfies. */
  empty: Uint8Array;
  /** Domains × layers bounded again (refresh), for the caller's statistics. */
  refreshed: number;
  /** Per domain, its bounds on the kept neurons, for its children (`inherited`). */
  packed: Float64Array[];
}

/**
 * The neurons whose bounds a domain passes to its children: per layer that back-substitution
 * tightens (a nonlinear op reads it), those the root leaves open (unstable under a ReLU, of
 * positive width otherwise). Any other neuron's bounds are the root's on every domain.
 */
const keptOf = new WeakMap<LayerBounds[], { layer: number; idx: Int32Array }[]>();
function kept(plan: BackwardState['plan'], rootBounds: LayerBounds[]): { layer: number; idx: Int32Array }[] {
  const hit = keptOf.get(rootBounds);
  if (hit) return hit;
  const out: { layer: number; idx: Int32Array }[] = [];
  plan.layers.forEach((p, i) => {
    if (p.tighten === 'none' || i === plan.layers.length - 1) return;
    const b = rootBounds[i], idx: number[] = [];
    for (let k = 0; k < b.lower.length; k++) if (p.tighten === 'unstable' ? b.lower[k] < 0 && b.upper[k] > 0 : b.lower[k] < b.upper[k]) idx.push(k);
    if (idx.length) out.push({ layer: i, idx: Int32Array.from(idx) });
  });
  keptOf.set(rootBounds, out);
  return out;
}

/**
 * The input box of D domains of one root box (count 1): the root's, once, read by every domain
 * (BackwardState.inputBox: the SIMD kernels then copy it once and see the domains' rows as rows
 * of one box). A root with several boxes keeps one copy per domain, as tiled.
 */
export function domainInput(root: BackwardState, D: number): Pick<BackwardState, 'inMid' | 'inRad' | 'inputBox'> {
  if (root.count !== 1) return { inMid: tile(root.inMid, D), inRad: tile(root.inRad, D) };
  return { inMid: root.inMid, inRad: root.inRad, inputBox: new Int32Array(D) };
}

export function tile<T extends Float64Array | Int32Array | Uint8Array>(a: T, D: number): T {
  const out = new (a.constructor as new (n: number) => T)(a.length * D);
  for (let d = 0; d < D; d++) out.set(a, d * a.length);
  return out;
}

function tileSide(f: CurveSide, D: number): CurveSide {
  return { anchor: tile(f.anchor, D), value: tile(f.value, D), k0: tile(f.k0, D), k1: tile(f.k1, D), tEnd: tile(f.tEnd, D) };
}

function tileRelax(r: Relaxation, D: number): Relaxation {
  if (r.kind === 'lines') {
    return {
      kind: 'lines', lowSlope: tile(r.lowSlope, D), lowIcpt: r.lowIcpt && tile(r.lowIcpt, D), upSlope: tile(r.upSlope, D), upIcpt: tile(r.upIcpt, D), free: r.free && tile(r.free, D),
      curve: r.curve && { lower: tileSide(r.curve.lower, D), upper: tileSide(r.curve.upper, D) },
    };
  }
  const m = r as MaxRelax;
  return { kind: 'max', lowIdx: tile(m.lowIdx, D), lowIdx2: m.lowIdx2 && tile(m.lowIdx2, D), free: m.free && tile(m.free, D), upIdx: tile(m.upIdx, D), upSlope: tile(m.upSlope, D), upIcpt: tile(m.upIcpt, D) };
}

function tileBounds(b: LayerBounds, D: number): LayerBounds {
  return { lower: tile(b.lower, D), upper: tile(b.upper, D) };
}

export interface DomainLayersOptions {
  /** Bound the layers above each domain's lowest split again on the domain (see the header). */
  refresh?: boolean;
  /** Per domain: its parent's `packed` bounds, and how many of its splits the parent had. */
  inherited?: ({ packed: Float64Array; splits: number } | undefined)[];
}

/**
 * The layers of D domains of the box `root` (count 1; `bounds` its layer bounds, `input` the
 * box): root's bounds and relaxations with each domain's splits applied, and with `refresh`
 * bounded again above the splits.
 */
export function domainLayers(root: BackwardState, rootBounds: LayerBounds[], input: LayerBounds, domains: Split[][], o: DomainLayersOptions = {}): DomainLayers {
  const plan = root.plan, layers = plan.layers, D = domains.length, last = layers.length - 1;
  // the split bounds, per activation input layer q (D × its size), and where each domain's lowest is
  const cutLo = new Map<number, Float64Array>(), cutHi = new Map<number, Float64Array>();
  const reluAt = new Map<number, Int32Array>();
  const poolLeft = new Map<number, Map<number, number[]>>();
  const lowest = new Int32Array(D).fill(layers.length);
  const windowOf = (j: number, out: number): number[] => {
    const p = layers[j], { start, idx } = windowsOf(p.op as MaxPool2dOp, p.inShapes[0], p.outShape);
    return Array.from(idx.subarray(start[out], start[out + 1]));
  };
  // cuts on the network input narrow no box here (the domain state keeps the root's box): such a
  // ReLU is still exact by its lines, a sigmoid's lines still come from its cut interval
  const inputCut = new Map<number, { lo: Float64Array; hi: Float64Array }>();
  // sigmoid neurons cut, per layer (d·n + neuron)
  const curveCut = new Map<number, Set<number>>();
  const empty = new Uint8Array(D);
  domains.forEach((splits, d) => splits.forEach((s, t) => {
    const n = layers[s.layer].outSize, k = d * n + s.neuron;
    if (s.pair) {
      let left = poolLeft.get(s.layer);
      if (!left) poolLeft.set(s.layer, (left = new Map()));
      const cand = left.get(k) ?? windowOf(s.layer, s.neuron);
      left.set(k, cand);
      const [win, lose] = s.active ? s.pair : [s.pair[1], s.pair[0]];
      const at = cand.indexOf(lose);
      if (win !== lose && at >= 0 && cand.includes(win)) cand.splice(at, 1);
      return;
    }
    if (layers[s.layer].op.kind === 'relu') {
      let a = reluAt.get(s.layer);
      if (!a) reluAt.set(s.layer, (a = new Int32Array(D * n)));
      a[k] = t + 1;
    } else {
      let c = curveCut.get(s.layer);
      if (!c) curveCut.set(s.layer, (c = new Set()));
      c.add(k);
    }
    const q = layers[s.layer].inputs[0], p = s.point ?? 0;
    let lo: Float64Array, hi: Float64Array;
    if (q === INPUT) {
      let c = inputCut.get(s.layer);
      if (!c) inputCut.set(s.layer, (c = { lo: tile(input.lower, D), hi: tile(input.upper, D) }));
      ({ lo, hi } = c);
    } else {
      if (!cutLo.has(q)) { cutLo.set(q, new Float64Array(D * n).fill(-Infinity)); cutHi.set(q, new Float64Array(D * n).fill(Infinity)); }
      lo = cutLo.get(q)!; hi = cutHi.get(q)!;
      if (t >= (o.inherited?.[d]?.splits ?? 0)) lowest[d] = Math.min(lowest[d], q);
    }
    if (s.active) lo[k] = Math.max(lo[k], p); else hi[k] = Math.min(hi[k], p);
  }));
  // b ∩ [lo, hi] at flat index k (d·n + neuron)
  const meet = (b: LayerBounds, k: number, n: number, lo: number, hi: number) => {
    let l = Math.max(b.lower[k], lo), u = Math.min(b.upper[k], hi);
    if (l > u) {
      if (l - u > TOL * (1 + Math.abs(l) + Math.abs(u))) empty[Math.floor(k / n)] = 1;
      [l, u] = [u, l];
    }
    b.lower[k] = l; b.upper[k] = u;
  };
  const cut = (q: number, b: LayerBounds) => {
    const lo = cutLo.get(q), hi = cutHi.get(q);
    if (!lo || !hi) return;
    const n = b.lower.length / D;
    for (let k = 0; k < b.lower.length; k++) meet(b, k, n, lo[k], hi[k]);
  };
  // the parents' bounds on the kept neurons: where each layer's sit in a packed array
  const keep = kept(plan, rootBounds);
  const keepAt = new Map<number, { idx: Int32Array; off: number }>();
  let packLen = 0;
  for (const { layer, idx } of keep) { keepAt.set(layer, { idx, off: packLen }); packLen += 2 * idx.length; }
  const inherit = (i: number, b: LayerBounds) => {
    const at = keepAt.get(i);
    if (!at || !o.inherited) return;
    const n = layers[i].outSize, S = at.idx.length;
    o.inherited.forEach((h, d) => {
      // packed against other root bounds (a layout of another length): not this root's neurons
      if (!h || h.packed.length !== packLen) return;
      for (let t = 0; t < S; t++) meet(b, d * n + at.idx[t], n, h.packed[at.off + t], h.packed[at.off + S + t]);
    });
  };
  for (const { lo, hi } of inputCut.values()) {
    const b = { lower: lo, upper: hi }, n = lo.length / D;
    for (let k = 0; k < lo.length; k++) meet(b, k, n, -Infinity, Infinity);
  }
  const tiledInput = tileBounds(input, D);
  const boundsOf = (src: number): LayerBounds => (src === INPUT ? tiledInput : bounds[src]);
  // the bounds of layer j's (first) input on each domain, its cuts included
  const inputOf = (j: number): LayerBounds => {
    const c = inputCut.get(j);
    return c ? { lower: c.lo, upper: c.hi } : boundsOf(layers[j].inputs[0]);
  };
  const st: BackwardState = { plan, count: D, relax: [], ...domainInput(root, D) };
  const bounds: LayerBounds[] = [];
  const first = Math.min(...lowest);
  const blockRows = blockRowsOf(plan.maxWidth);
  let refreshed = 0;
  layers.forEach((p, i) => {
    const ctx = ctxOf(p, D);
    let b: LayerBounds;
    if (o.refresh && i > first && i !== last) {
      const ins = p.inputs.map(boundsOf);
      if (p.rule.relax) st.relax[i] = p.rule.relax(p.op, ins, ctx);
      b = p.rule.interval(p.op, ins, ctx);
      const r = rootBounds[i], n = p.outSize;
      for (let k = 0; k < b.lower.length; k++) {
        b.lower[k] = Math.max(b.lower[k], r.lower[k % n]);
        b.upper[k] = Math.min(b.upper[k], r.upper[k % n]);
      }
      inherit(i, b);
      if (p.tighten === 'unstable') {
        const want = new Uint8Array(D);
        for (let d = 0; d < D; d++) if (lowest[d] < i) { want[d] = 1; refreshed++; }
        const chw = p.rule.patches !== 'dense' ? chwOf(p.outShape) : undefined;
        tightenBoxes(st, i, b, p.tighten, n, blockRows, chw && chw[1] * chw[2] > 1 ? chw : undefined, want);
      }
    } else {
      b = tileBounds(rootBounds[i], D);
      inherit(i, b);
      // the root's lines, unless inherited bounds narrowed this activation's input
      const r = root.relax[i], src = p.inputs[0];
      if (p.rule.relax && o.inherited && src !== INPUT && keepAt.has(src)) st.relax[i] = p.rule.relax(p.op, p.inputs.map(boundsOf), ctx);
      else if (r) st.relax[i] = tileRelax(r, D);
    }
    cut(i, b);
    bounds.push(b);
    // the activation's lines on its domain: split ReLUs exact, cut sigmoids on their interval
    // (with refresh both already follow from the cut bounds above), split pools' candidates left
    const relax = st.relax[i];
    const at = reluAt.get(i);
    if (at) {
      const r = relax as LineRelax;
      for (let k = 0; k < at.length; k++) {
        if (!at[k]) continue;
        const d = Math.floor(k / p.outSize), s = domains[d][at[k] - 1];
        r.lowSlope[k] = r.upSlope[k] = s.active ? 1 : 0;
        r.upIcpt[k] = 0;
        if (r.free) r.free[k] = 0;
      }
    }
    const cutHere = curveCut.get(i);
    if (cutHere) {
      const inB = inputOf(i);
      for (const k of cutHere) setSigmoidNeuron(relax as LineRelax, k, inB.lower[k], inB.upper[k]);
    }
    const left = poolLeft.get(i);
    if (left) {
      const inB = inputOf(i), m = p.inSizes[0];
      for (const [k, cand] of left) {
        const d = Math.floor(k / p.outSize);
        setMaxOutput(relax as MaxRelax, k, cand, inB.lower.subarray(d * m, (d + 1) * m), inB.upper.subarray(d * m, (d + 1) * m));
      }
    }
  });
  const packed = domains.map((_, d) => {
    const out = new Float64Array(packLen);
    for (const { layer, idx } of keep) {
      const { off } = keepAt.get(layer)!, n = layers[layer].outSize, b = bounds[layer];
      for (let t = 0; t < idx.length; t++) { out[off + t] = b.lower[d * n + idx[t]]; out[off + idx.length + t] = b.upper[d * n + idx[t]]; }
    }
    return out;
  });
  return { bounds, relax: st.relax, inputOf, reluAt, poolLeft, empty, refreshed, packed };
}
