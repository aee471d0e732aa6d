// Tightens the pre-activation bounds of the unstable ReLUs of a box by MILP, layer by layer from
// the input ("bab-refine": branch and bound then starts from these bounds, with fewer unstable
// neurons and tighter relaxations). Why: on deep dense nets (mnist_fc 256x4/x6 at ε = 0.05)
// α-CROWN leaves the later layers mostly unstable because the relaxation error of the early
// layers compounds; α-CROWN is already about as tight as the LP (triangle) relaxation, so only
// the integer model of a neuron's first layers removes that error where it starts. Measured on
// 256x4 prop_0 at 0.05: the exact bounds of the second hidden layer lie 40–50% of the way from
// α-CROWN's to the sampled range, and bounds moved half way close all nine classes at the root.
// For each ReLU layer after the first (the first's pre-activation is affine in the input, so
// CROWN's bounds are exact there), in order:
//  1. the neurons still unstable, most impactful first (the ReLU's gap u·(−l)/(u−l) times the
//     ℓ1 norm of its weights into the next layer), get their min and max over the prefix
//     network with the binaries of the last ReLU layers integer (as many layers as fit in
//     `maxBinaries`, at least one, at most `window`; the older ones relaxed), each with an even
//     share of the layer's time (our branch and bound over LPs, bab.ts, BEST-first so that its
//     proven bound rises steadily — depth first, it stays at the root's until the tree is done;
//     on a MilpSolver: a pool works on several at once), stopping as soon as the neuron's sign
//     on that side is proved;
//  2. `rederive` (the cascade: α-CROWN over these bounds, refine-stage.ts) tightens every later
//     layer before the next one is refined.
// A layer whose MILPs stop paying is left early (`minGain`): once a quarter of its time is
// spent, if the neurons done so far lost less than that share of their summed ReLU gap
// u·(−l)/(u − l) (the relaxation's height; 0 once a neuron is stable), the rest
// of its time goes to the next layer, or to the stages after refine. Measured on mnist_fc
// 256x4 prop_2 at ε 0.05: the last layer's 252 unstable neurons got 0.2 s MILPs each, 47 s in
// all, for 1740 → 1727 summed width; where refinement decides (prop_0), its layers lose 15–30%.
// Soundness: every model contains every real point of the box (its layer bounds hold on the
// box; relaxing binaries only adds points), so its minimum is ≤ the neuron's true minimum; we
// take the branch and bound's PROVEN lower bound of that minimum (Lagrangian bounds of its
// nodes, bab.ts) — never the objective of a point it found, which lies above the minimum.
// Bounds are only ever intersected, so they never loosen.
import type { Network } from '../network.js';
import { INPUT } from '../network.js';
import type { LayerBounds } from '../bounds/types.js';
import { encodeNetwork } from './encode/network.js';
import { milpSupport } from './encode/ops/index.js';
import type { MilpData } from './builder.js';
import { localSolver, type MilpSolver } from './problem.js';
import { now } from '../clock.js';

export interface RefineOptions {
  /** Stop by this now() value (layers not reached keep their bounds). */
  deadline: number;
  /** Most time for one neuron's MILP (each side), seconds (default 5); a layer's time is spread
   *  evenly over its unstable neurons' MILPs, at least 0.2 s each (the most impactful get theirs first). */
  perNeuronS?: number;
  /** Checked between MILPs: true stops the refinement (e.g. every disjunct was closed meanwhile). */
  stop?: () => boolean;
  /** Most ReLU layers whose binaries stay integer in a neuron's MILP (the last ones before it; default all). */
  window?: number;
  /** Older ReLU layers stay integer only while the binaries add up to at most this (default 64; the last layer always). */
  maxBinaries?: number;
  /** Relative gap at which a neuron's MILP stops (default 0.02): a bound 2% short of exact is worth the time saved. */
  relGap?: number;
  /** Absolute gap at which it stops (default 1e-3). */
  absGap?: number;
  /** Where the MILPs run (default this thread); `parallel` of them are kept in flight. */
  solver?: MilpSolver;
  parallel?: number;
  /** Share of the time left that each layer gets, the last one all of it (default 0.5: the first layers matter most). */
  layerShare?: number;
  /** A layer stops once a quarter of its time is spent if its neurons so far lost less than this share of their width (default 0.03; 0: never). */
  minGain?: number;
  log?: (line: string) => void;
  /** Re-derives every layer's bounds from the given ones (e.g. a CROWN pass with them intersected) after each layer; the result is intersected in. */
  rederive?: (bounds: LayerBounds[]) => LayerBounds[];
  /** Take each MILP's primal value (a point's, above the minimum) instead of its proven bound: UNSOUND, for the test that shows the soundness checks catch it. */
  unsoundUsePrimal?: boolean;
}

export interface RefineStats {
  /** Pre-activation layers refined (in order). */
  layers: number[];
  /** Unstable neurons of those layers before and after. */
  unstableBefore: number;
  unstableAfter: number;
  milps: number;
  timeS: number;
}

export interface RefineResult {
  bounds: LayerBounds[];
  stats: RefineStats;
}

/** Whether refine can run on this network: the MILP encodes it exactly and it has ReLUs. */
export function refineSupported(net: Network): boolean {
  return milpSupport(net).support === 'exact' && net.layers.some((l) => l.op.kind === 'relu');
}

/**
 * Tightened copies of `bounds` (every layer's output bounds over the box [lower, upper], e.g.
 * α-CROWN's); the input is not modified.
 */
export async function refineBounds(net: Network, lower: Float64Array, upper: Float64Array, bounds: readonly LayerBounds[], opts: RefineOptions): Promise<RefineResult> {
  const t0 = performance.now();
  let cur: LayerBounds[] = bounds.map((b) => ({ lower: Float64Array.from(b.lower), upper: Float64Array.from(b.upper) }));
  const stats: RefineStats = { layers: [], unstableBefore: 0, unstableAfter: 0, milps: 0, timeS: 0 };
  const maxPerNeuronS = opts.perNeuronS ?? 5, window = Math.max(1, opts.window ?? Infinity), maxBinaries = opts.maxBinaries ?? 64;
  const solver = opts.solver ?? localSolver, parallel = Math.max(1, opts.parallel ?? 1);
  const box = { lower, upper };
  // the ReLU layers and the layer each reads
  const relus: { i: number; p: number }[] = [];
  net.layers.forEach((l, i) => { if (l.op.kind === 'relu' && l.inputs[0] !== INPUT) relus.push({ i, p: l.inputs[0] }); });
  const nonlinearBefore = (p: number) => net.layers.slice(0, p).some((l) => l.op.kind === 'relu' || l.op.kind === 'maxpool2d' || l.op.kind === 'sigmoid');
  const todo = relus.filter(({ p }) => nonlinearBefore(p));
  const unstable = (p: number) => { let n = 0; for (let k = 0; k < cur[p].lower.length; k++) if (cur[p].lower[k] < 0 && cur[p].upper[k] > 0) n++; return n; };
  for (const { p } of todo) stats.unstableBefore += unstable(p);

  for (let t = 0; t < todo.length; t++) {
    if (now() >= opts.deadline || opts.stop?.()) break;
    const { i, p } = todo[t];
    const layerDeadline = t === todo.length - 1 ? opts.deadline : now() + (opts.layerShare ?? 0.5) * (opts.deadline - now());
    const prefix: Network = { ...net, layers: net.layers.slice(0, p + 1) };
    const enc = encodeNetwork(prefix, box, { layerBounds: cur });
    const lo = Float64Array.from(cur[p].lower), hi = Float64Array.from(cur[p].upper);
    // the encoder's bounds of the layer (interval ∩ given) may be tighter than what we hold
    for (let k = 0; k < lo.length; k++) { lo[k] = Math.max(lo[k], enc.lower[p][k]); hi[k] = Math.min(hi[k], enc.upper[p][k]); }
    const out = enc.outputs;
    const base = enc.builder.data();
    const score = new Map<number, number>();
    const next = net.layers[i + 1];
    const weightNorm = (k: number): number => {
      if (!next || next.op.kind !== 'dense' || next.inputs[0] !== i) return 1;
      const W = next.op.weight, n = next.op.outFeatures, m = next.op.inFeatures;
      let s = 0;
      for (let j = 0; j < n; j++) s += Math.abs(W[j * m + k]);
      return s;
    };
    for (let k = 0; k < lo.length; k++) if (lo[k] < 0 && hi[k] > 0) score.set(k, (hi[k] * -lo[k]) / (hi[k] - lo[k]) * weightNorm(k));
    const order = [...score.keys()].sort((a, b) => score.get(b)! - score.get(a)!);
    const before = order.length;
    const w0 = order.reduce((s, k) => s + (hi[k] - lo[k]), 0);
    const milpData: MilpData = { ...base, integrality: integerColumns(net, prefix, box, cur, base, window, maxBinaries) };
    // each neuron's two sides, most impactful neuron first, `parallel` at a time
    const jobs = order.flatMap((k) => [{ k, sign: 1 }, { k, sign: -1 }]);
    const perNeuronS = Math.min(maxPerNeuronS, Math.max(0.2, ((layerDeadline - now()) / 1000) * parallel / Math.max(1, jobs.length)));
    let next0 = 0;
    // the ReLU gaps u·(−l)/(u − l) of the neurons asked so far (0 once stable), before and now:
    // a layer that stops paying is left
    const layerStart = now(), minGain = opts.minGain ?? 0.03;
    const gap = (k: number) => (lo[k] < 0 && hi[k] > 0 ? (hi[k] * -lo[k]) / (hi[k] - lo[k]) : 0);
    const asked = new Set<number>();
    let gapAsked = 0, stopped = false;
    const unproductive = (): boolean => {
      if (!(minGain > 0) || asked.size < 8 || now() - layerStart < 0.25 * (layerDeadline - layerStart)) return false;
      let gapNow = 0;
      for (const k of asked) gapNow += gap(k);
      return gapAsked - gapNow < minGain * gapAsked;
    };
    const worker = async (): Promise<void> => {
      while (next0 < jobs.length) {
        if (!stopped && unproductive()) {
          stopped = true;
          opts.log?.(`refine: layer ${p}: left after ${asked.size} of ${order.length} neurons (their ReLU gaps fell less than ${(100 * minGain).toFixed(0)}%)`);
        }
        if (stopped) return;
        const { k, sign } = jobs[next0++];
        const leftS = (layerDeadline - now()) / 1000;
        if (leftS <= 0.05 || opts.stop?.()) return;
        if (!asked.has(k)) { asked.add(k); gapAsked += gap(k); }
        if (!(lo[k] < 0 && hi[k] > 0)) continue; // the other side proved it stable
        const w = new Float64Array(out.length); w[k] = sign;
        const { cost, offset } = enc.builder.objective(w, out);
        // min sign·z: stop once it is proved above 0 (the neuron is stable on this side)
        const r = await solver.solve({ ...milpData, colCost: cost, offset }, {
          method: 'bab', bestFirst: true, timeLimitS: Math.min(perNeuronS, leftS), stop: { proveAbove: 0 }, tightenShare: 0,
          rootIpmAbove: Infinity, relGap: opts.relGap ?? 0.02, absGap: opts.absGap ?? 1e-3,
        });
        stats.milps++;
        // the proven lower bound of the minimum (never a found point's value, which is above it)
        const v = opts.unsoundUsePrimal ? (r.objective ?? -Infinity) : r.status === 'infeasible' ? Infinity : r.bound;
        if (!(v > -Infinity)) continue;
        if (sign === 1) lo[k] = Math.max(lo[k], v); else hi[k] = Math.min(hi[k], -v);
      }
    };
    await Promise.all(Array.from({ length: parallel }, worker));
    // an empty interval (only rounding at a neuron whose bounds meet can make one): the old bounds
    for (let k = 0; k < lo.length; k++) if (lo[k] > hi[k]) { lo[k] = cur[p].lower[k]; hi[k] = cur[p].upper[k]; }
    cur[p] = { lower: lo, upper: hi };
    stats.layers.push(p);
    let after = 0;
    for (let k = 0; k < lo.length; k++) if (lo[k] < 0 && hi[k] > 0) after++;
    if (opts.rederive) {
      const again = opts.rederive(cur);
      cur = cur.map((b, q) => intersect(b, again[q]));
    }
    const w1 = order.reduce((s, k) => s + (hi[k] - lo[k]), 0);
    opts.log?.(`refine: layer ${p}: ${before} → ${after} unstable, their summed width ${w0.toPrecision(4)} → ${w1.toPrecision(4)} (${((performance.now() - t0) / 1000).toFixed(1)}s)`);
  }
  for (const { p } of todo) stats.unstableAfter += unstable(p);
  stats.timeS = (performance.now() - t0) / 1000;
  return { bounds: cur, stats };
}

function intersect(a: LayerBounds, b: LayerBounds | undefined): LayerBounds {
  if (!b) return a;
  const lower = Float64Array.from(a.lower, (v, k) => Math.max(v, b.lower[k]));
  const upper = Float64Array.from(a.upper, (v, k) => Math.min(v, b.upper[k]));
  for (let k = 0; k < lower.length; k++) if (lower[k] > upper[k]) { lower[k] = a.lower[k]; upper[k] = a.upper[k]; }
  return { lower, upper };
}

/**
 * The integrality of `data` (the prefix's model) with only the binaries of its last ReLU layers
 * kept (at least one layer, at most `window`, older ones only while the unstable neurons add up
 * to at most `maxBinaries`): the encoder numbers columns layer by layer, so the binaries made
 * after the columns of the layers before the first kept ReLU are the kept ones.
 */
function integerColumns(net: Network, prefix: Network, box: { lower: Float64Array; upper: Float64Array }, cur: readonly LayerBounds[], data: MilpData, window: number, maxBinaries: number): Int32Array {
  const out = Int32Array.from(data.integrality);
  let first = -1, kept = 0, binaries = 0;
  for (let q = prefix.layers.length - 1; q >= 0; q--) {
    const l = prefix.layers[q];
    if (l.op.kind !== 'relu') continue;
    const pre = cur[l.inputs[0]];
    let n = 0;
    if (pre) for (let k = 0; k < pre.lower.length; k++) if (pre.lower[k] < 0 && pre.upper[k] > 0) n++;
    if (kept >= window || (kept > 0 && binaries + n > maxBinaries)) break;
    first = q; kept++; binaries += n;
  }
  if (first < 0) return out;
  // the columns of every layer before the first kept ReLU
  const head = encodeNetwork({ ...net, layers: net.layers.slice(0, first) }, box, { layerBounds: cur });
  const from = head.builder.numCols;
  for (let j = 0; j < from; j++) out[j] = 0;
  return out;
}
