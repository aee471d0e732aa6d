// β-CROWN on the one engine: bounds of J spec rows on each of D domains at once, for any
// network. A domain is a set of splits (splits as data): the batch is a backward state with
// one "box" per domain, whose relaxations are the root's except at split neurons —
//  - a ReLU split fixes the neuron active, relu(z) = z (lower = upper = z), or inactive,
//    relu(z) = 0;
//  - a sigmoid split cuts its input interval at a point p (z ≤ p or z ≥ p; a neuron may be cut
//    again in a child): the neuron's lines and α family are recomputed on the domain's
//    interval (the root's intersected with every cut of the domain), which is tighter;
//  - a MaxPool split orders two inputs x_i, x_k of one output's window (x_i ≥ x_k or
//    x_k ≥ x_i): the loser is dropped from the output's candidates, and its lines are
//    recomputed (ops/maxpool.ts setMaxOutput) over the candidates left. Why this form and not
//    the ReLU decomposition max(a, b) = a + relu(b − a): on a two-input window the two are the
//    same split (the sign of b − a), but a k-input window decomposes into a tree of ReLUs over
//    differences of partial maxima, nodes with no bounds and no layer in the engine; a pairwise
//    order is a linear constraint on the pool's input layer, which takes a β like any other, and
//    k − 1 splits along a path leave one candidate, where the pool is exact. (An argmax choice
//    "x_i is the max" is k − 1 constraints at once, and its complement is not convex.)
//    Sound: a split drops k only while its winner i is still a candidate, so on the domain
//    (x_i ≥ x_k) the max over the candidates left equals the window's max; a split whose winner
//    was dropped before changes no lines (its β still applies) —
// and a multiplier β ≥ 0 per (row, split) on the split's constraint g ≤ 0 (ReLU: active −z,
// inactive z; sigmoid: p − z or z − p; MaxPool: x_k − x_i or x_i − x_k), which the backward
// pass adds as a coefficient on the split layer's input (∓β on z; for a MaxPool ∓β on x_i and
// ±β on x_k; see ../backward.ts: weak duality) and, for a sigmoid cut, ±β·p in the
// row's constant.
// The layers' bounds and relaxations on each domain come from domain-layers.ts: the root's with
// the splits applied, and with `refresh` every layer above a domain's new splits bounded again
// on the domain (β-CROWN's per-domain intermediate bounds), from its parent's bounds.
// α (free neurons of every layer) and β are optimised jointly by projected Adam ascent, from
// the values the caller passes (children inherit their parent's); with the rows' targets, for
// as many steps as pay (stepsEnough), and none once every domain is proved.
// Soundness on a domain {x in box : every split's condition holds}: the root's relaxations
// hold on the whole box (its layer bounds are sound there), the recomputed ones hold wherever
// the split neuron's input lies in the domain's interval, hence on the domain, the exact
// pieces hold on the domain, and each β term is ≤ 0 there, so every row's bound is a lower
// bound of a·y on the domain. (A MaxPool's lines on the domain hold by the argument above.)
// Branching data from the same pass, per row and candidate neuron, λ the row's coefficient on
// the activation's output: for an unsplit unstable ReLU, BaBSR's score — the intercept
// −λ·s·(−l) that a split removes where λ < 0 (upper line), 10⁻³·λ·min(u, −l) as a tie-break
// where λ > 0; for a sigmoid neuron whose domain interval is wider than MIN_CUT, the same
// quantity for its lines: |λ| × (upper line − lower line) at the cut point it would get (0 when
// that leaves both sides at least a fifth of the interval, else the midpoint) — the gap the
// cut closes there, as the ReLU's upper intercept is its gap at 0; for a MaxPool output with a
// candidate j* of largest upper bound u* that does not always win (l_j* < u2, the runner-up k's
// upper bound), the BaBSR score of its ReLU decomposition u2 + relu(x_j* − u2) on
// [l_j* − u2, u* − u2], splitting the pair (j*, k).
import type { LayerBounds } from '../types.js';
import { backwardPass, linearHead, type BackwardState } from '../backward.js';
import { defaultAlpha, hasFree, type LayerParams, type LineRelax } from '../relax/types.js';
import { windowsOf } from '../ops/window.js';
import { domainInput, domainLayers } from './domain-layers.js';
import type { MaxPool2dOp } from '../../network.js';
import { Adam } from '../../train/adam.js';

/**
 * A split of activation layer `layer`'s neuron `neuron` (z its input): a ReLU fixed active
 * (z ≥ 0) or inactive (z ≤ 0); a sigmoid's input cut at `point`: active z ≥ point, else z ≤ point;
 * a MaxPool output `neuron`'s window inputs pair = [i, k] (indices into the pool's input):
 * active x_i ≥ x_k, else x_k ≥ x_i.
 */
export interface Split {
  layer: number;
  neuron: number;
  active: boolean;
  /** Sigmoid splits only: the cut point. */
  point?: number;
  /** MaxPool splits only: the two inputs ordered. */
  pair?: readonly [number, number];
}

/** Sigmoid intervals narrower than this are not cut further. */
export const MIN_CUT = 1e-3;

/** Where a sigmoid input interval [l, u] is cut: 0 when both sides keep a fifth of it, else the midpoint. */
export function cutPoint(l: number, u: number): number {
  return l < 0 && u > 0 && Math.min(-l, u) >= 0.2 * (u - l) ? 0 : 0.5 * (l + u);
}

export interface DomainParams {
  /** Per ReLU layer index: J × n lower slopes (absent: the relaxation's default). */
  alpha: (Float64Array | undefined)[];
  /** J × splits.length multipliers ≥ 0, in split order. */
  beta: Float64Array;
  /** The domain's refreshed layer bounds (domain-layers.ts `packed`) and how many splits it had then: its children start from them. */
  bounds?: { packed: Float64Array; splits: number };
}

export interface DomainBounds {
  /** D × J best lower bounds seen. */
  lb: Float64Array;
  /** Per domain: the parameters at the end, not those of the best bound (the children go on
   *  optimising from where the parent stopped; starting them at the parent's best point instead
   *  left mnist_fc 256x4 prop_7 at ε 0.05 with lower margins after 30 s per disjunct). */
  params: DomainParams[];
  /** D × J × topK: the row's best-scored branching candidates (layer, neuron), best first; layer −1: none. */
  branchLayer: Int32Array;
  branchNeuron: Int32Array;
  /** D × J × topK: the cut point of a sigmoid candidate (NaN for a ReLU). */
  branchPoint: Float64Array;
  /** D × J × topK × 2: a MaxPool candidate's input pair (−1 for the others). */
  branchPair: Int32Array;
  topK: number;
  /** D × J × inSize: each row's minimising input point (from the last pass). */
  corner: Float64Array;
}

export interface BoundDomainsOptions {
  /** Adam steps (with `target`: at least these, unless every row passes its target first). */
  iterations: number;
  /** With `target`: go on past `iterations`, up to this many steps, while the steps still pay (see `boundDomains`). */
  maxIterations?: number;
  /** Per row j of c, the bound that decides it (the caller's b_j): rows above it need no more steps. */
  target?: Float64Array;
  lr: number;
  /** Bounds of every layer over the box (the root's, from which its relaxations came). */
  bounds: LayerBounds[];
  input: LayerBounds;
  /** Branching candidates kept per row (default 1). */
  topK?: number;
  /** Bound every layer above a domain's splits again on the domain (domain-layers.ts). */
  refresh?: boolean;
  /** The reverse sweep computes every column (the reference the tests compare needOut's bits with). */
  allColumns?: boolean;
}

/**
 * Bounds of the J rows of c (J × outputs) on each domain. `root` is the backward state of the
 * box (count 1); `init[d]` the parameters to start domain d from (inherited), or undefined.
 */
export function boundDomains(root: BackwardState, c: Float64Array, J: number, domains: Split[][], init: (DomainParams | undefined)[], o: BoundDomainsOptions): DomainBounds {
  const plan = root.plan;
  const last = plan.layers.length - 1;
  const D = domains.length, R = D * J, m = plan.layers[last].outSize, inSize = plan.inSize;
  const L = domainLayers(root, o.bounds, o.input, domains, { refresh: o.refresh, inherited: init.map((p) => p?.bounds) });
  const { relax, reluAt, poolLeft } = L;
  const st: BackwardState = { plan, count: D, relax, ...domainInput(root, D), ...(o.allColumns ? { allColumns: true } : {}) };
  let needs = needsOf.get(o.bounds);
  if (!needs) needsOf.set(o.bounds, (needs = columnNeeds(plan, o.bounds)));
  const { needOut, needIn } = needs;
  const A0 = new Float64Array(R * m);
  const box = new Int32Array(R);
  for (let r = 0; r < R; r++) { A0.set(c.subarray((r % J) * m, (r % J + 1) * m), r * m); box[r] = Math.floor(r / J); }
  // the linear layers on top take the same step on every pass: once (backward.ts linearHead)
  const headBias = new Float64Array(R);
  const head = linearHead(st, last, A0, { n: R, box, bias: headBias }, needIn);
  // α: layers whose (tiled) relaxation has free parameters
  const alphaLayers = relax.map((r, j) => (hasFree(r) ? j : -1)).filter((j) => j >= 0);
  const alpha = alphaLayers.map((j) => {
    const n = plan.layers[j].outSize, low = defaultAlpha(relax[j]!);
    const a = new Float64Array(R * n);
    for (let d = 0; d < D; d++) {
      const given = init[d]?.alpha[j];
      for (let jj = 0; jj < J; jj++) a.set(given ? given.subarray(jj * n, (jj + 1) * n) : low.subarray(d * n, (d + 1) * n), (d * J + jj) * n);
    }
    return a;
  });
  // β: one value per (row, split), flat: domain d's block at betaOff[d], row-major J × splits
  const betaLen = domains.map((s) => s.length);
  const betaOff: number[] = [];
  let betaTotal = 0;
  for (const len of betaLen) { betaOff.push(betaTotal); betaTotal += J * len; }
  const betaFlat = new Float64Array(betaTotal);
  domains.forEach((s, d) => {
    // the parent's splits come first, in the same order: its β per row, 0 for the new ones
    const given = init[d]?.beta;
    const Sp = given ? given.length / J : 0;
    if (given && Sp <= s.length) for (let jj = 0; jj < J; jj++) betaFlat.set(given.subarray(jj * Sp, (jj + 1) * Sp), betaOff[d] + jj * s.length);
  });
  // the α entries that can move: a free neuron of the row's domain (any other has gradient 0)
  const alphaAt = alphaLayers.map((j) => {
    const n = plan.layers[j].outSize, free = relax[j]!.free!;
    let count = 0;
    for (let r = 0; r < R; r++) for (let i = 0, f = box[r] * n; i < n; i++) count += free[f + i];
    const at = new Int32Array(count);
    for (let r = 0, t = 0; r < R; r++) for (let i = 0, f = box[r] * n; i < n; i++) if (free[f + i] === 1) at[t++] = r * n + i;
    return at;
  });
  const adamA = new Adam(alpha);
  // d bound / d α, written by every pass wherever Adam reads it (alphaAt: free neurons are never
  // inactive on the root, so their columns are computed), so one array per layer serves every step
  const gradAlpha = alpha.map((a) => new Float64Array(a.length));
  const adamB = new Adam([betaFlat]);
  // the β terms of the pass (relax/types.ts SplitTerms): per split layer, one term per distinct
  // (row, input) that splits constrain; multiplier q (betaFlat's index) goes to term termA[q]
  // (and, for a MaxPool's second input, termB[q])
  const terms = new Map<number, { key: Map<number, number>; row: number[]; at: number[] }>();
  const termOf = (layer: number, r: number, i: number): number => {
    let T = terms.get(layer);
    if (!T) terms.set(layer, (T = { key: new Map(), row: [], at: [] }));
    const k = r * plan.layers[layer].inSizes[0] + i;
    let q = T.key.get(k);
    if (q === undefined) { q = T.row.length; T.key.set(k, q); T.row.push(r); T.at.push(i); }
    return q;
  };
  const termA = new Int32Array(betaTotal), termB = new Int32Array(betaTotal).fill(-1);
  domains.forEach((splits, d) => splits.forEach((s, t) => {
    for (let jj = 0; jj < J; jj++) {
      const r = d * J + jj, q = betaOff[d] + jj * splits.length + t;
      termA[q] = termOf(s.layer, r, s.pair ? s.pair[0] : s.neuron);
      if (s.pair) termB[q] = termOf(s.layer, r, s.pair[1]);
    }
  }));
  const termAt = [...terms].map(([j, T]) => ({ j, row: Int32Array.from(T.row), at: Int32Array.from(T.at) }));
  // sign of split t's coefficient on z (g = sign·z + const): ReLU active −z, inactive z; sigmoid likewise about p;
  // MaxPool: on x_i (and −sign on x_k)
  const signOf = (s: Split) => (s.active ? -1 : 1);
  const best = new Float64Array(R).fill(-Infinity);
  const corner = new Float64Array(R * inSize);
  // the branching choice of each row (the last pass offers its candidates as it scores them)
  const K = Math.max(1, o.topK ?? 1);
  const branchLayer = new Int32Array(R * K).fill(-1), branchNeuron = new Int32Array(R * K), branchPoint = new Float64Array(R * K).fill(NaN);
  const branchPair = new Int32Array(R * K * 2).fill(-1);
  const bestScore = new Float64Array(R * K);
  // row r's sorted list of K: candidate (layer j, neuron i) with score v, a sigmoid's cut point, a pool's pair
  const offer = (r: number, v: number, j: number, i: number, point: number, pi: number, pk: number) => {
    if (!(v > bestScore[r * K + K - 1])) return;
    let p = K - 1;
    while (p > 0 && v > bestScore[r * K + p - 1]) {
      bestScore[r * K + p] = bestScore[r * K + p - 1]; branchLayer[r * K + p] = branchLayer[r * K + p - 1];
      branchNeuron[r * K + p] = branchNeuron[r * K + p - 1]; branchPoint[r * K + p] = branchPoint[r * K + p - 1];
      branchPair[2 * (r * K + p)] = branchPair[2 * (r * K + p - 1)]; branchPair[2 * (r * K + p) + 1] = branchPair[2 * (r * K + p - 1) + 1];
      p--;
    }
    bestScore[r * K + p] = v; branchLayer[r * K + p] = j; branchNeuron[r * K + p] = i;
    branchPoint[r * K + p] = point; branchPair[2 * (r * K + p)] = pi; branchPair[2 * (r * K + p) + 1] = pk;
  };
  // with targets: the open gap of the batch after each step (openGap)
  const maxIt = o.target ? Math.max(o.iterations, o.maxIterations ?? o.iterations) : o.iterations;
  const gaps: number[] = [];
  let final = o.iterations === 0;
  for (let it = 0; ; it++) {
    const layer: (LayerParams | undefined)[] = [];
    const grad: (LayerParams | undefined)[] = [];
    alphaLayers.forEach((j, f) => { layer[j] = { alpha: adamA.parameters[f] }; grad[j] = { alpha: gradAlpha[f] }; });
    const bf = adamB.parameters[0];
    const bias = new Float64Array(R);
    for (const { j, row, at } of termAt) {
      layer[j] = { ...(layer[j] ?? {}), beta: { row, at, value: new Float64Array(row.length) } };
      grad[j] = { ...(grad[j] ?? {}), beta: { row, at, value: new Float64Array(row.length) } };
    }
    domains.forEach((splits, d) => splits.forEach((s, t) => {
      const coef = layer[s.layer]!.beta!.value;
      for (let jj = 0; jj < J; jj++) {
        const r = d * J + jj, q = betaOff[d] + jj * splits.length + t, b = bf[q];
        if (s.pair) {
          coef[termA[q]] += signOf(s) * b;
          coef[termB[q]] -= signOf(s) * b;
          continue;
        }
        coef[termA[q]] += signOf(s) * b;
        if (s.point !== undefined) bias[r] -= signOf(s) * b * s.point;
      }
    }));
    // the head's intercepts after the cuts' constants, as the head's steps added them in a whole pass
    for (let r = 0; r < R; r++) bias[r] += headBias[r];
    const onLayer = final ? (j: number, A: Float64Array) => {
      const kind = plan.layers[j].op.kind;
      if (kind !== 'relu' && kind !== 'sigmoid' && kind !== 'maxpool2d') return;
      const n = plan.layers[j].outSize;
      if (kind === 'maxpool2d') {
        const b = L.inputOf(j), left = poolLeft.get(j), mIn = plan.layers[j].inSizes[0];
        const p = plan.layers[j], { start, idx } = windowsOf(p.op as MaxPool2dOp, p.inShapes[0], p.outShape);
        for (let r = 0; r < R; r++) {
          const bo = box[r] * mIn;
          for (let o = 0; o < n; o++) {
            const lam = A[r * n + o];
            if (lam === 0) continue;
            const cand = left?.get(box[r] * n + o);
            const t0 = cand ? 0 : start[o], t1 = cand ? cand.length : start[o + 1], from = cand ?? idx;
            let bestU = -Infinity, ui = -1, u2 = -Infinity, ki = -1;
            for (let t = t0; t < t1; t++) {
              const i = from[t], u = b.upper[bo + i];
              if (u > bestU || ui < 0) { u2 = bestU; ki = ui; bestU = u; ui = i; } else if (u > u2 || ki < 0) { u2 = u; ki = i; }
            }
            if (ki < 0) continue;
            const l = b.lower[bo + ui] - u2, u = bestU - u2;
            if (!(l < 0)) continue; // j* always wins: exact
            offer(r, lam < 0 ? -lam * (u / (u - l)) * -l : 1e-3 * lam * Math.min(u, -l), j, o, NaN, ui, ki);
          }
        }
      } else if (kind === 'relu') {
        const b = L.inputOf(j), at = reluAt.get(j);
        for (let r = 0; r < R; r++) {
          const d = box[r];
          for (let i = 0; i < n; i++) {
            const lam = A[r * n + i];
            if (lam === 0) continue;
            const l = b.lower[d * n + i], u = b.upper[d * n + i];
            if (!(l < 0 && u > 0) || (at && at[d * n + i])) continue;
            offer(r, lam < 0 ? -lam * (u / (u - l)) * -l : 1e-3 * lam * Math.min(u, -l), j, i, NaN, -1, -1);
          }
        }
      } else {
        const { lower: lo, upper: hi } = L.inputOf(j), rl = relax[j] as LineRelax;
        for (let r = 0; r < R; r++) {
          const d = box[r];
          for (let i = 0; i < n; i++) {
            const k = d * n + i, l = lo[k], u = hi[k], lam = A[r * n + i];
            if (!(u - l > MIN_CUT) || lam === 0) continue;
            const p = cutPoint(l, u);
            const gap = (rl.upSlope[k] - rl.lowSlope[k]) * p + rl.upIcpt[k] - rl.lowIcpt![k];
            offer(r, Math.abs(lam) * Math.max(0, gap), j, i, p, -1, -1);
          }
        }
      }
    } : undefined;
    // the last pass takes no step: no reverse sweep (the corner is read off the input coefficients)
    const lb = backwardPass(st, head.layer, head.A.slice(), { n: R, box, bias }, { layer, grad: final ? undefined : grad, corner, onLayer, needOut, needIn });
    for (let r = 0; r < R; r++) if (lb[r] > best[r]) best[r] = lb[r];
    if (final) break;
    if (o.target) {
      const { open, gap } = openGap(best, o.target, D, J, L.empty);
      // every domain proved: no more steps, and no last pass (branching data is for open domains)
      if (!open) break;
      gaps.push(gap);
    }
    final = it + 1 >= maxIt || stepsEnough(gaps, it + 1, o.iterations);
    if (alphaLayers.length) adamA.step(alphaLayers.map((j) => grad[j]!.alpha!), o.lr, { ascend: true, lo: 0, hi: 1, only: alphaAt });
    if (betaTotal) {
      // d bound / d β_t = g_t at the minimiser: sign·z (grad.beta: the value of z) + the cut's constant
      const gb = new Float64Array(betaTotal);
      domains.forEach((splits, d) => splits.forEach((s, t) => {
        const g = grad[s.layer]!.beta!.value;
        for (let jj = 0; jj < J; jj++) {
          const q = betaOff[d] + jj * splits.length + t;
          gb[q] = s.pair ? signOf(s) * (g[termA[q]] - g[termB[q]]) : signOf(s) * (g[termA[q]] - (s.point ?? 0));
        }
      }));
      adamB.step([gb], o.lr, { ascend: true, lo: 0 });
    }
  }
  // a domain no input reaches: every bound holds on it
  for (let r = 0; r < R; r++) if (L.empty[box[r]]) best[r] = Infinity;
  // a row whose coefficients vanish below its split neurons (every split ReLU on the output
  // inactive: the row is the constant 0 on the domain, ERAN's mnist_relu_9_200 whose last layer
  // is a ReLU) has no BaBSR candidate, though unstable neurons are left: only showing the domain
  // empty proves it, which splits below tighten (refresh). Its candidates: the unsplit unstable
  // ReLUs of its domain with the largest gap u·(−l)/(u − l), not the leaf MILP of a domain with
  // hundreds of unstable neurons.
  for (let r = 0; r < R; r++) {
    if (branchLayer[r * K] >= 0 || L.empty[box[r]]) continue;
    const d = box[r];
    plan.layers.forEach((p, j) => {
      if (p.op.kind !== 'relu') return;
      const b = L.inputOf(j), n = p.outSize, at = reluAt.get(j);
      for (let i = 0; i < n; i++) {
        const l = b.lower[d * n + i], u = b.upper[d * n + i];
        if (l < 0 && u > 0 && !(at && at[d * n + i])) offer(r, (u * -l) / (u - l), j, i, NaN, -1, -1);
      }
    });
  }
  const params: DomainParams[] = domains.map((_, d) => {
    const a: (Float64Array | undefined)[] = [];
    alphaLayers.forEach((j, f) => { const n = plan.layers[j].outSize; a[j] = adamA.parameters[f].slice(d * J * n, (d + 1) * J * n); });
    return { alpha: a, beta: adamB.parameters[0].slice(betaOff[d], betaOff[d] + J * betaLen[d]), ...(o.refresh ? { bounds: { packed: L.packed[d], splits: domains[d].length } } : {}) };
  });
  return { lb: best, params, branchLayer, branchNeuron, branchPoint, branchPair, topK: K, corner };
}

/** columnNeeds per root bounds: a search passes the same ones to every batch. */
const needsOf = new WeakMap<readonly LayerBounds[], ReturnType<typeof columnNeeds>>();

/**
 * The columns the pass must compute around a ReLU: its neurons not inactive on the root box (upper
 * bound > 0), as the ReLU's outputs in the reverse sweep (needOut; the others are +0, whatever
 * reads them) and, where the ReLU reads a Dense layer alone, as that layer's outputs there too,
 * and where one Dense layer alone reads the ReLU, as that layer's input columns in the backward
 * step (needIn). A neuron inactive on the root box is inactive on every domain (a domain's bounds
 * lie inside the root's), never split and never free, so its lines are 0 on every box: its
 * input's value and its output's coefficient change no bound, no derivative and no branching
 * score (backward.ts PassParams). On mnist_fc 256x4 after refine, 191–246 of each layer's 256;
 * on verivital's average-pooling CNN at ε 0.04, 6,457 of its 23,328.
 */
function columnNeeds(plan: BackwardState['plan'], bounds: readonly LayerBounds[]): { needOut: (Int32Array | undefined)[]; needIn: (Int32Array | undefined)[] } {
  const readers = new Map<number, number[]>();
  plan.layers.forEach((p, k) => { for (const src of p.inputs) readers.set(src, [...(readers.get(src) ?? []), k]); });
  const needOut: (Int32Array | undefined)[] = [], needIn: (Int32Array | undefined)[] = [];
  plan.layers.forEach((p, k) => {
    const j = p.inputs[0];
    if (p.op.kind !== 'relu' || j < 0) return;
    const up = bounds[j].upper, cols: number[] = [];
    for (let i = 0; i < up.length; i++) if (!(up[i] <= 0)) cols.push(i);
    if (cols.length === up.length) return;
    needOut[k] = Int32Array.from(cols);
    if (plan.layers[j].op.kind !== 'dense' || readers.get(j)?.length !== 1) return;
    needOut[j] = needOut[k];
    const above = readers.get(k);
    if (above?.length === 1 && plan.layers[above[0]].op.kind === 'dense') needIn[above[0]] = needOut[j];
  });
  return { needOut, needIn };
}

/** Steps between the checks of whether more steps pay, past the minimum. */
const PAY_WINDOW = 4;
/** Share of the open gap the last PAY_WINDOW steps must have closed for more steps. */
const PAY_SHARE = 0.01;

/**
 * The open domains of a batch (some input reaches them, and no row's best bound passes its
 * target yet) and their gap (a domain is proved by any one of its rows: the rows are a
 * conjunction), the smallest target − best of its rows (NaN counts as ∞).
 */
export function openGap(best: Float64Array, target: Float64Array, D: number, J: number, empty: Uint8Array): { open: number; gap: number } {
  let gap = 0, open = 0;
  for (let d = 0; d < D; d++) {
    if (empty[d]) continue;
    let g = Infinity;
    for (let j = 0; j < J; j++) {
      const v = target[j] - best[d * J + j];
      if (v < g) g = v; // NaN never lowers it
    }
    if (g < 0) continue;
    open++;
    gap += g;
  }
  return { open, gap };
}

/**
 * Whether the optimisation of a batch stops after `done` steps, `gaps[t]` being its open gap
 * (openGap) after step t + 1. Before `min` steps it goes on; past them it goes on only while the
 * last PAY_WINDOW steps closed at least PAY_SHARE of what was open before them. Deep nets keep
 * gaining from steps that a shallow net's bounds no longer need. Measured from refined (MILP)
 * root bounds, our search's defaults before → fixed 20 steps at lr 0.2 → this rule (8 to 24
 * steps, lr 0.2):
 *  - mnist_fc 256x4 prop_12 (2022) at ε 0.05, its three hard classes: 38.9 s (15,269 domains)
 *    → 25.1 s (6,565) → 30.3 s (6,843);
 *  - mnist_fc 256x4 prop_14 (2021) at ε 0.03, classes 4 and 6 with 30 s each: one proved
 *    (12.2 s) → the other one proved (21.8 s) → both proved (15.7 s, 19.4 s);
 *  - mnist-mlp, `sweep --samples 60 --complete --timeout 4`: 48 → 51 → 49 pairs left open.
 */
export function stepsEnough(gaps: readonly number[], done: number, min: number): boolean {
  if (!gaps.length) return false;
  if (done < min || (done - min) % PAY_WINDOW !== 0) return false;
  return !pays(gaps, done);
}

function pays(gaps: readonly number[], done: number): boolean {
  const before = gaps[done - 1 - PAY_WINDOW], now = gaps[done - 1];
  if (before === undefined || !(now < Infinity) || !(before < Infinity)) return false;
  return before - now >= PAY_SHARE * before;
}
