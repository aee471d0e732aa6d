// β-CROWN on the one engine: bounds of J spec rows on each of D domains at once, for any
// network. A domain is a set of ReLU splits (splits as data): the batch is a backward state
// with one "box" per domain, whose relaxations are the root's with every split neuron made
// exact — active: relu(z) = z (lower = upper = z), inactive: relu(z) = 0 — and a multiplier
// β ≥ 0 per (row, split) on the split's constraint (active −z ≤ 0, inactive z ≤ 0), which the
// backward pass adds as ∓β on the row's coefficient of z (see ../backward.ts: weak duality).
// α (unsplit unstable ReLUs) and β are optimised jointly by projected Adam ascent, from the
// values the caller passes (children inherit their parent's).
// Soundness on a domain {x in box : every split's sign condition holds}: the root's
// relaxations hold on the whole box (its layer bounds are sound there), the exact pieces hold
// on the domain, and each β term is ≤ 0 there, so every row's bound is a lower bound of a·y on
// the domain. MaxPool and Sigmoid are not split (their relaxations stay the root's): splitting
// happens on ReLUs only.
// Branching data from the same pass: BaBSR's score of each unsplit unstable ReLU for a row —
// the intercept −λ·s·(−l) that a split removes where the row's coefficient λ on relu(z) is
// negative (upper line), 10⁻³·λ·min(u, −l) as a tie-break where it is positive.
import { INPUT } from '../../network.js';
import type { LayerBounds } from '../types.js';
import { backwardPass, type BackwardState } from '../backward.js';
import type { LayerParams, LineRelax, MaxRelax, Relaxation } from '../relax/types.js';
import { Adam } from '../../train/adam.js';

/** A split: ReLU layer `layer`'s neuron `neuron` fixed active (z ≥ 0) or inactive (z ≤ 0). */
export interface Split {
  layer: number;
  neuron: number;
  active: boolean;
}

export interface DomainParams {
  /** Per ReLU layer index: J × n lower slopes (absent: the relaxation's default). */
  alpha: (Float64Array | undefined)[];
  /** J × splits.length multipliers ≥ 0, in split order. */
  beta: Float64Array;
}

export interface DomainBounds {
  /** D × J best lower bounds seen. */
  lb: Float64Array;
  /** Per domain: the parameters at the end (for the children). */
  params: DomainParams[];
  /** D × J × topK: the row's best-scored unsplit unstable ReLUs (layer, neuron), best first; layer −1: none. */
  branchLayer: Int32Array;
  branchNeuron: Int32Array;
  topK: number;
  /** D × J × inSize: each row's minimising input point (from the last pass). */
  corner: Float64Array;
}

function tile<T extends Float64Array | Int32Array | Uint8Array>(a: T, D: number): T {
  const out = new (a.constructor as new (n: number) => T)(a.length * D);
  for (let d = 0; d < D; d++) out.set(a, d * a.length);
  return out;
}

function tileRelax(r: Relaxation, D: number): Relaxation {
  if (r.kind === 'lines') {
    return { kind: 'lines', lowSlope: tile(r.lowSlope, D), lowIcpt: r.lowIcpt && tile(r.lowIcpt, D), upSlope: tile(r.upSlope, D), upIcpt: tile(r.upIcpt, D), free: r.free && tile(r.free, D) };
  }
  const m = r as MaxRelax;
  return { kind: 'max', lowIdx: tile(m.lowIdx, D), upIdx: tile(m.upIdx, D), upSlope: tile(m.upSlope, D), upIcpt: tile(m.upIcpt, D) };
}

export interface BoundDomainsOptions {
  iterations: number;
  lr: number;
  /** Bounds of every layer over the box (the root's, from which its relaxations came). */
  bounds: LayerBounds[];
  input: LayerBounds;
  /** Branching candidates kept per row (default 1). */
  topK?: number;
}

/**
 * Bounds of the J rows of c (J × outputs) on each domain. `root` is the backward state of the
 * box (count 1); `init[d]` the parameters to start domain d from (inherited), or undefined.
 */
export function boundDomains(root: BackwardState, c: Float64Array, J: number, domains: Split[][], init: (DomainParams | undefined)[], o: BoundDomainsOptions): DomainBounds {
  const plan = root.plan;
  const last = plan.layers.length - 1;
  const D = domains.length, R = D * J, m = plan.layers[last].outSize, inSize = plan.inSize;
  const relax = root.relax.map((r) => r && tileRelax(r, D));
  // where each domain's splits sit: position in its list per (layer, d·n + neuron), +1
  const splitAt = new Map<number, Int32Array>();
  domains.forEach((splits, d) => splits.forEach((s, t) => {
    const n = plan.layers[s.layer].outSize;
    let a = splitAt.get(s.layer);
    if (!a) { a = new Int32Array(D * n); splitAt.set(s.layer, a); }
    a[d * n + s.neuron] = t + 1;
    const r = relax[s.layer] as LineRelax;
    const k = d * n + s.neuron;
    r.lowSlope[k] = r.upSlope[k] = s.active ? 1 : 0;
    r.upIcpt[k] = 0;
    if (r.free) r.free[k] = 0;
  }));
  const st: BackwardState = { plan, count: D, relax, inMid: tile(root.inMid, D), inRad: tile(root.inRad, D) };
  const A0 = new Float64Array(R * m);
  const box = new Int32Array(R);
  for (let r = 0; r < R; r++) { A0.set(c.subarray((r % J) * m, (r % J + 1) * m), r * m); box[r] = Math.floor(r / J); }
  // α: layers whose (tiled) relaxation has free slopes
  const alphaLayers = relax.map((r, j) => (r?.kind === 'lines' && r.free?.some((f) => f === 1) ? j : -1)).filter((j) => j >= 0);
  const alpha = alphaLayers.map((j) => {
    const n = plan.layers[j].outSize, low = (relax[j] as LineRelax).lowSlope;
    const a = new Float64Array(R * n);
    for (let d = 0; d < D; d++) {
      const given = init[d]?.alpha[j];
      for (let jj = 0; jj < J; jj++) a.set(given ? given.subarray(jj * n, (jj + 1) * n) : low.subarray(d * n, (d + 1) * n), (d * J + jj) * n);
    }
    return a;
  });
  // β: one value per (row, split); expanded to signed coefficients per split layer
  const betaLen = domains.map((s) => s.length);
  const beta = domains.map((s, d) => {
    const b = new Float64Array(J * s.length);
    const given = init[d]?.beta;
    // the parent's splits come first, in the same order: its β per row, 0 for the new ones
    const Sp = given ? given.length / J : 0;
    if (given && Sp <= s.length) for (let jj = 0; jj < J; jj++) b.set(given.subarray(jj * Sp, (jj + 1) * Sp), jj * s.length);
    return b;
  });
  const betaFlat = new Float64Array(beta.reduce((t, b) => t + b.length, 0));
  const betaOff: number[] = [];
  { let off = 0; beta.forEach((b) => { betaOff.push(off); betaFlat.set(b, off); off += b.length; }); }
  const adamA = new Adam(alpha);
  const adamB = new Adam([betaFlat]);
  const splitLayers = [...splitAt.keys()];
  const best = new Float64Array(R).fill(-Infinity);
  const corner = new Float64Array(R * inSize);
  const scores = new Map<number, Float64Array>(); // relu layer → R × n scores (last pass)
  for (let it = 0; it <= o.iterations; it++) {
    const final = it === o.iterations;
    const layer: (LayerParams | undefined)[] = [];
    const grad: (LayerParams | undefined)[] = [];
    alphaLayers.forEach((j, f) => { layer[j] = { alpha: adamA.parameters[f] }; grad[j] = { alpha: new Float64Array(adamA.parameters[f].length) }; });
    const bf = adamB.parameters[0];
    for (const j of splitLayers) {
      const n = plan.layers[j].outSize, at = splitAt.get(j)!;
      const coef = new Float64Array(R * n);
      for (let d = 0; d < D; d++) {
        const splits = domains[d];
        for (let i = 0; i < n; i++) {
          const t = at[d * n + i];
          if (!t) continue;
          for (let jj = 0; jj < J; jj++) coef[(d * J + jj) * n + i] = (splits[t - 1].active ? -1 : 1) * bf[betaOff[d] + jj * betaLen[d] + t - 1];
        }
      }
      layer[j] = { ...(layer[j] ?? {}), beta: coef };
      grad[j] = { ...(grad[j] ?? {}), beta: new Float64Array(R * n) };
    }
    const onLayer = final ? (j: number, A: Float64Array) => {
      if (plan.layers[j].op.kind !== 'relu') return;
      const n = plan.layers[j].outSize, src = plan.layers[j].inputs[0];
      const b = src === INPUT ? o.input : o.bounds[src];
      const at = splitAt.get(j);
      const sc = new Float64Array(R * n);
      for (let r = 0; r < R; r++) {
        const d = box[r];
        for (let i = 0; i < n; i++) {
          const l = b.lower[i], u = b.upper[i], lam = A[r * n + i];
          if (!(l < 0 && u > 0) || lam === 0 || (at && at[d * n + i])) continue;
          sc[r * n + i] = lam < 0 ? -lam * (u / (u - l)) * -l : 1e-3 * lam * Math.min(u, -l);
        }
      }
      scores.set(j, sc);
    } : undefined;
    const lb = backwardPass(st, last, A0.slice(), { n: R, box, bias: new Float64Array(R) }, { layer, grad, corner, onLayer });
    for (let r = 0; r < R; r++) if (lb[r] > best[r]) best[r] = lb[r];
    if (final) break;
    if (alphaLayers.length) adamA.step(alphaLayers.map((j) => grad[j]!.alpha!), o.lr, { ascend: true, lo: 0, hi: 1 });
    if (betaFlat.length) {
      const gb = new Float64Array(betaFlat.length);
      for (const j of splitLayers) {
        const n = plan.layers[j].outSize, at = splitAt.get(j)!, g = grad[j]!.beta!;
        for (let d = 0; d < D; d++) {
          const splits = domains[d];
          for (let i = 0; i < n; i++) {
            const t = at[d * n + i];
            if (!t) continue;
            for (let jj = 0; jj < J; jj++) gb[betaOff[d] + jj * betaLen[d] + t - 1] = (splits[t - 1].active ? -1 : 1) * g[(d * J + jj) * n + i];
          }
        }
      }
      adamB.step([gb], o.lr, { ascend: true, lo: 0 });
    }
  }
  // the branching choice of each row, and the parameters each domain ends with
  const K = Math.max(1, o.topK ?? 1);
  const branchLayer = new Int32Array(R * K).fill(-1), branchNeuron = new Int32Array(R * K);
  const bestScore = new Float64Array(R * K);
  for (const [j, sc] of scores) {
    const n = plan.layers[j].outSize;
    for (let r = 0; r < R; r++) {
      for (let i = 0; i < n; i++) {
        const v = sc[r * n + i];
        if (!(v > bestScore[r * K + K - 1])) continue;
        // insert into the row's sorted list of K
        let p = K - 1;
        while (p > 0 && v > bestScore[r * K + p - 1]) {
          bestScore[r * K + p] = bestScore[r * K + p - 1]; branchLayer[r * K + p] = branchLayer[r * K + p - 1]; branchNeuron[r * K + p] = branchNeuron[r * K + p - 1];
          p--;
        }
        bestScore[r * K + p] = v; branchLayer[r * K + p] = j; branchNeuron[r * K + p] = i;
      }
    }
  }
  const params: DomainParams[] = domains.map((_, d) => {
    const a: (Float64Array | undefined)[] = [];
    alphaLayers.forEach((j, f) => { const n = plan.layers[j].outSize; a[j] = adamA.parameters[f].slice(d * J * n, (d + 1) * J * n); });
    return { alpha: a, beta: adamB.parameters[0].slice(betaOff[d], betaOff[d] + J * betaLen[d]) };
  });
  return { lb: best, params, branchLayer, branchNeuron, topK: K, corner };
}
