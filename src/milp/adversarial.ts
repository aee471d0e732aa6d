// Minimal adversarial examples (Fischetti & Jo): the input closest to x, in L∞ (one column t,
// −t ≤ x̃ − x ≤ t) or L1 (Σ dᵢ, −dᵢ ≤ x̃ᵢ − xᵢ ≤ dᵢ), whose decision is no longer `label`: a margin
// y_label − y_j ≤ −δ for some j (binaries choose which) or every y_target − y_k ≥ δ for a target.
// Without a radius, growing radii are searched: an infeasible radius r proves the distance > r,
// and a point found at r is the global optimum (re-solved at r = its L1 distance for L1).
import type { Network } from '../network.js';
import { logitNetwork, outputSize } from '../network.js';
import { UserError } from '../errors.js';
import type { LayerBounds } from '../bounds/types.js';
import { marginsOf, predictedClass } from '../spec/margins.js';
import { forward } from '../forward.js';
import type { Expr } from './builder.js';
import type { Box } from './encode/input.js';
import type { MilpSolver, Prepared } from './problem.js';
import type { SolveStatus } from './highs.js';
import { checkLabel, DEFAULT_SOLVER, inputOf, localSolver, prepare, replay, startFrom, warnNoReplay } from './problem.js';
import { marginVector } from './verify.js';
import { bracketDistance } from './bracket.js';
import { bisectLinfDistance } from './bisect-distance.js';
import { now, secondsLeft } from '../clock.js';

export interface AdversarialOptions {
  norm: 'linf' | 'l1';
  /** Per-value cap on the change |x̃ᵢ − xᵢ|. */
  maxChange?: number;
  /** Search only inside the L∞ ball of this radius (a smaller box gives tighter big-M). */
  radius?: number;
  /** Required margin by which the new class wins (default 0.001). */
  delta?: number;
  /** Class the example must be classified as. */
  target?: number;
  timeLimitS: number;
  /** Valid input range (default [0, 1]). */
  domain?: [number, number];
  /** Bounds on each layer's output over a box (e.g. CROWN), for tighter encodings. */
  boundsFor?: (box: Box) => readonly (LayerBounds | undefined)[] | undefined;
  /** A nearby adversarial point to start HiGHS from. */
  incumbent?: Float64Array;
  pool?: MilpSolver;
  /** Bracket the distance first with PGD (upper) and CROWN (lower); default true. */
  bracket?: boolean;
  /** 'bab' (branch-and-bound with LPs, bab.ts) or 'mip' (HiGHS's MIP); default DEFAULT_SOLVER. */
  solver?: 'bab' | 'mip';
  /**
   * L∞ without a target: bisect over ε with the MILP decision query (bisect-distance.ts) until
   * the bracket is this narrow, then minimise exactly inside the small ball. Default 1e-4; 0 skips
   * the bisection (one distance-minimising MILP over the attack's ball).
   */
  tolerance?: number;
  /** Told whenever the bracket moves: the proven lower bound and the best example's distance so far. */
  onProgress?: (p: { lowerBound: number; best?: number; phase: string }) => void;
}

export interface SolveRecord { radius: number; status: string; binaries: number; timeS: number }

export interface AdversarialResult {
  /** 'bracketed': the minimum is proven to lie in [lowerBound, distance], narrower than the tolerance. */
  status: 'optimal' | 'bracketed' | 'infeasible' | 'timeout' | 'unknown';
  /** ‖x̃ − x‖ of the replayed example. */
  distance?: number;
  /** Proven lower bound on the smallest distance. */
  lowerBound: number;
  adversarial?: Float64Array;
  output?: Float64Array;
  originalClass: number;
  newClass?: number;
  /** Margins y_label − y_j (j ≠ label) of the example, replayed in float64. */
  margins?: number[];
  radius: number;
  binaries: number;
  timeS: number;
  solves: SolveRecord[];
  messages: string[];
}

const RADII = [0.01, 0.03, 0.1, 0.3, 1];

export async function minimalAdversarial(net0: Network, x: Float64Array, label: number, opts: AdversarialOptions): Promise<AdversarialResult> {
  const t0 = performance.now();
  const deadline = now() + opts.timeLimitS * 1000;
  const net = logitNetwork(net0);
  checkLabel(net, label);
  const out = outputSize(net);
  const classes = out === 1 ? 2 : out;
  if (opts.target !== undefined && (opts.target === label || !(opts.target >= 0 && opts.target < classes))) {
    throw new UserError(`target class ${opts.target} must differ from ${label} and lie in 0..${classes - 1}`);
  }
  const delta = opts.delta ?? 0.001;
  const [dLo, dHi] = opts.domain ?? [0, 1];
  const cap = Math.min(opts.maxChange ?? Infinity, opts.radius ?? Infinity, dHi - dLo);
  const base: AdversarialResult = { status: 'unknown', lowerBound: 0, originalClass: label, radius: 0, binaries: 0, timeS: 0, solves: [], messages: [] };
  const done = (r: Partial<AdversarialResult>): AdversarialResult => ({ ...base, ...r, timeS: (performance.now() - t0) / 1000 });
  const y0 = forward(net, x, 1);
  // nothing to move when the input itself is already on the other side
  if (isAdversarial(y0, label, opts.target)) return done({ status: 'optimal', ...example(x.slice(), y0, 0, label) });

  let incumbent = opts.incumbent;
  let radii = opts.radius !== undefined ? [cap] : [...RADII.filter((r) => r < cap), cap];
  if (opts.bracket !== false) {
    // an attack's example bounds the optimum, so the box can shrink to its distance
    const br = bracketDistance(net, x, label, { norm: opts.norm, delta, target: opts.target, cap, domain: [dLo, dHi], deadline: deadline - opts.timeLimitS * 600 });
    base.lowerBound = br.lower;
    opts.onProgress?.({ lowerBound: br.lower, best: br.point ? br.upper : undefined, phase: 'attack and CROWN bracket' });
    if (br.upper !== undefined && br.point) {
      radii = [Math.min(cap, Math.max(br.upper, 1e-9))];
      incumbent = br.point;
    } else radii = radii.filter((r) => r > br.lower);
    if (!radii.length) radii = [cap];
  }
  const tolerance = opts.tolerance ?? 1e-4;
  if (opts.norm === 'linf' && opts.target === undefined && tolerance > 0) {
    // the exact minimisation below gets whatever the bisection leaves, at least a fifth
    const b = await bisectLinfDistance(net, x, label, { lower: base.lowerBound, upper: radii[radii.length - 1], point: incumbent }, {
      delta, domain: [dLo, dHi], tolerance, deadline: deadline - opts.timeLimitS * 200, boundsFor: opts.boundsFor, pool: opts.pool, solver: opts.solver,
      onStep: (lowerBound, best) => opts.onProgress?.({ lowerBound, best, phase: 'bisection' }),
    });
    for (const s of b.steps) base.solves.push(s);
    base.binaries = Math.max(base.binaries, b.binaries);
    base.lowerBound = b.lower;
    if (!b.point) {
      if (b.stopped) return done({ status: b.stopped });
      return done({ status: 'infeasible', radius: cap, lowerBound: cap }); // every step up to the cap was proven safe
    }
    const up = b.upper!;
    const found = { ...example(b.point, forward(net, b.point, 1), up, label), radius: up };
    // the exact minimum inside the ball of the best example; a bracket within the tolerance stands if it does not close
    const s = await solveAt(net, x, label, up, delta, [dLo, dHi], opts, b.point, b.lower, deadline);
    base.solves.push({ radius: up, status: s.status, binaries: s.binaries, timeS: s.timeS });
    base.binaries = Math.max(base.binaries, s.binaries);
    if (s.message) base.messages.push(s.message);
    if (s.status === 'optimal' && s.point) {
      const d = norm(s.point.adv, x, 'linf');
      if (d <= up) return done({ status: 'optimal', lowerBound: Math.max(b.lower, Math.min(s.bound, d)), ...example(s.point.adv, s.point.y, d, label), radius: up });
    }
    const lowerBound = Math.max(b.lower, s.status === 'infeasible' ? b.lower : Math.min(s.bound, up));
    const status = up - lowerBound <= tolerance ? 'bracketed' : b.stopped ?? 'timeout';
    return done({ status, lowerBound, ...found });
  }
  for (let k = 0; k < radii.length; k++) {
    if (now() > deadline) return done({ status: 'timeout' });
    const r = radii[k];
    const s = await solveAt(net, x, label, r, delta, [dLo, dHi], opts, incumbent, base.lowerBound, deadline);
    base.solves.push({ radius: r, status: s.status, binaries: s.binaries, timeS: s.timeS });
    base.binaries = Math.max(base.binaries, s.binaries);
    base.radius = r;
    if (s.message) base.messages.push(s.message);
    if (s.status === 'infeasible') {
      base.lowerBound = Math.max(base.lowerBound, r);
      opts.onProgress?.({ lowerBound: base.lowerBound, phase: `radius ${r} proven safe` });
      continue;
    }
    if (!s.point) return done({ status: s.status === 'timeout' ? 'timeout' : 'unknown', lowerBound: Math.max(base.lowerBound, s.bound) });
    const { adv, y } = s.point;
    const distance = norm(adv, x, opts.norm);
    const found = example(adv, y, distance, label);
    const lowerBound = Math.max(base.lowerBound, Math.min(s.bound, distance));
    // an L1 optimum within the box can hide a closer example that moves one value further than r
    if (opts.norm === 'l1' && s.status === 'optimal' && distance > r + 1e-12 && r < cap) {
      incumbent = adv;
      radii.splice(k + 1, radii.length, Math.min(distance, cap));
      base.lowerBound = lowerBound;
      continue;
    }
    return done({ status: s.status === 'optimal' ? 'optimal' : s.status === 'timeout' ? 'timeout' : 'unknown', lowerBound, ...found });
  }
  return done({ status: 'infeasible' });
}

/** The result fields of an adversarial example and its replayed output. */
function example(adversarial: Float64Array, output: Float64Array, distance: number, label: number) {
  return { adversarial, output, distance, newClass: predictedClass(output), margins: marginsOf(output, label) };
}

function isAdversarial(y: ArrayLike<number>, label: number, target?: number): boolean {
  const c = predictedClass(y);
  return target === undefined ? c !== label : c === target;
}

export function norm(a: ArrayLike<number>, b: ArrayLike<number>, kind: 'linf' | 'l1'): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    s = kind === 'linf' ? Math.max(s, d) : s + d;
  }
  return s;
}

interface RadiusResult {
  status: 'optimal' | 'infeasible' | 'timeout' | 'unknown';
  point?: { adv: Float64Array; y: Float64Array };
  bound: number;
  binaries: number;
  timeS: number;
  message?: string;
}

async function solveAt(
  net: Network, x: Float64Array, label: number, r: number, delta: number, domain: [number, number], opts: AdversarialOptions,
  incumbent: Float64Array | undefined, lowerBound: number, deadline: number,
): Promise<RadiusResult> {
  const t0 = performance.now();
  const box: Box = { lower: x.map((v) => Math.max(domain[0], v - r)), upper: x.map((v) => Math.min(domain[1], v + r)) };
  const layerBounds = opts.boundsFor?.(box);
  const time = (): number => (performance.now() - t0) / 1000;
  const out = outputSize(net);
  const one = (only?: number, cutoff?: number, start = incumbent): Promise<OneResult> => solveOne(net, x, label, r, delta, box, layerBounds, opts, start, lowerBound, deadline, only, cutoff);
  if ((opts.solver ?? DEFAULT_SOLVER) !== 'bab' || opts.target !== undefined || out === 1) {
    const s = await one();
    const status = s.status === 'infeasible' ? 'infeasible' : s.status === 'optimal' ? (s.point ? 'optimal' : 'unknown') : s.status === 'timeout' ? 'timeout' : 'unknown';
    return { status, point: s.point, bound: s.bound, binaries: s.binaries, timeS: time(), message: s.message };
  }
  // branch-and-bound: one problem per new class (no binaries choosing it), the best distance so
  // far a cutoff for the next; the classes closest at the attack's point first
  const y0 = incumbent ? forward(net, incumbent, 1) : undefined;
  const classes = [...Array(out).keys()].filter((j) => j !== label);
  if (y0) classes.sort((a, b) => (y0[label] - y0[a]) - (y0[label] - y0[b]));
  let best: OneResult['point'];
  let bestD = Infinity, bound = Infinity, binaries = 0;
  let open: 'timeout' | 'unknown' | undefined;
  const messages: string[] = [];
  for (const j of classes) {
    if (now() > deadline) { open = 'timeout'; bound = Math.min(bound, lowerBound); break; }
    // the best example so far starts every class (any adversarial point bounds the minimum)
    const s = await one(j, Number.isFinite(bestD) ? bestD : undefined, best?.adv ?? incumbent);
    binaries = Math.max(binaries, s.binaries);
    if (s.message) messages.push(s.message);
    if (s.status === 'infeasible') continue;
    if (s.point) {
      const d = norm(s.point.adv, x, opts.norm);
      if (d < bestD) { bestD = d; best = s.point; }
    }
    bound = Math.min(bound, s.bound);
    // 'stopped': proven above the cutoff, nothing closer in this class
    const settled = (s.status === 'optimal' && s.point) || (s.status === 'stopped' && s.bound > bestD);
    if (!settled) open ??= s.status === 'timeout' ? 'timeout' : 'unknown';
  }
  bound = Math.min(bound, bestD);
  const message = messages.length ? messages.join('; ') : undefined;
  if (open) return { status: open, point: best, bound, binaries, timeS: time(), message };
  if (!best) return { status: 'infeasible', bound: Infinity, binaries, timeS: time(), message };
  return { status: 'optimal', point: best, bound, binaries, timeS: time(), message };
}

interface OneResult {
  status: SolveStatus | 'infeasible';
  point?: { adv: Float64Array; y: Float64Array };
  bound: number;
  binaries: number;
  message?: string;
}

/** One MILP: the closest point in the box whose decision leaves `label` (for class `only`, if given). */
async function solveOne(
  net: Network, x: Float64Array, label: number, r: number, delta: number, box: Box, layerBounds: readonly (LayerBounds | undefined)[] | undefined,
  opts: AdversarialOptions, incumbent: Float64Array | undefined, lowerBound: number, deadline: number, only?: number, cutoff?: number,
): Promise<OneResult> {
  const p = prepare(net, box, layerBounds);
  const b = p.enc.builder;
  const n = x.length;
  if (!addDecisionRows(p, label, delta, opts.target, only)) return { status: 'infeasible', bound: Infinity, binaries: p.enc.binaries };
  let costIdx: number[];
  if (opts.norm === 'linf') {
    const t = b.addVar(Math.min(lowerBound, r), r, (v) => norm(v.subarray(0, n), x, 'linf'));
    for (let i = 0; i < n; i++) b.addRow({ idx: [i, t], val: [1, -1], c: 0 }, -Infinity, x[i]);
    for (let i = 0; i < n; i++) b.addRow({ idx: [i, t], val: [1, 1], c: 0 }, x[i], Infinity);
    costIdx = [t];
  } else {
    costIdx = [];
    for (let i = 0; i < n; i++) {
      const d = b.addVar(0, Math.max(x[i] - box.lower[i], box.upper[i] - x[i]), (v) => Math.abs(v[i] - x[i]));
      b.addRow({ idx: [i, d], val: [1, -1], c: 0 }, -Infinity, x[i]);
      b.addRow({ idx: [i, d], val: [1, 1], c: 0 }, x[i], Infinity);
      costIdx.push(d);
    }
  }
  const c = new Float64Array(b.numCols);
  for (const j of costIdx) c[j] = 1;
  const res = await (opts.pool ?? localSolver).solve(b.data(c, 0), {
    timeLimitS: secondsLeft(deadline), incumbent: startFrom(p, incumbent), method: opts.solver ?? DEFAULT_SOLVER,
    stop: cutoff !== undefined ? { proveAbove: cutoff } : undefined,
    replay: { kind: 'distance', net, box, x0: x, norm: opts.norm, label, delta, target: opts.target },
  });
  const binaries = p.enc.binaries + countAfter(p);
  if (res.status === 'infeasible') return { status: 'infeasible', bound: Infinity, binaries };
  let point: OneResult['point'];
  let message = res.message;
  if (res.x) {
    const adv = inputOf(p, res.x);
    const y = replay(p, adv);
    if (isAdversarial(y, label, opts.target)) point = { adv, y };
    else { message = `the solver's example at radius ${r} is classified ${predictedClass(y)} when replayed`; warnNoReplay('attack', message); }
  }
  return { status: res.status, point, bound: res.bound, binaries, message };
}

/** Binaries added after the network (the choice of the new class). */
function countAfter(p: Prepared): number {
  return p.enc.builder.binaries - p.enc.binaries;
}

/** Rows forcing the decision away from `label` (or onto `target`); false when no class can win. */
function addDecisionRows(p: Prepared, label: number, delta: number, target?: number, only?: number): boolean {
  const b = p.enc.builder;
  const out = p.enc.outputs.length;
  const margin = (j: number): Expr => b.combine(marginVector(out, label, j), p.enc.outputs, 0);
  if (out === 1) {
    const e = margin(1 - label);
    if (b.bounds(e)[0] > -delta) return false;
    b.addRow(e, -Infinity, -delta);
    return true;
  }
  if (target !== undefined) {
    for (let k = 0; k < out; k++) {
      if (k === target) continue;
      const e = b.combine(marginVector(out, target, k), p.enc.outputs, 0); // y_target − y_k ≥ δ
      if (b.bounds(e)[1] < delta) return false;
      b.addRow(e, delta, Infinity);
    }
    return true;
  }
  const reach: { j: number; e: Expr; m: number }[] = [];
  for (let j = 0; j < out; j++) {
    if (j === label || (only !== undefined && j !== only)) continue;
    const e = margin(j);
    const [lo, hi] = b.bounds(e);
    if (lo <= -delta) reach.push({ j, e, m: hi + delta });
  }
  if (!reach.length) return false;
  if (reach.length === 1) { b.addRow(reach[0].e, -Infinity, -delta); return true; }
  // chosen class j (a_j = 1): y_label − y_j ≤ −δ; otherwise relaxed by M_j = max(y_label − y_j) + δ
  const a = reach.map(({ j }) => b.addVar(0, 1, (v) => {
    let best = reach[0].j, bestM = Infinity;
    for (const q of reach) { const m = b.value(q.e, v); if (m < bestM) { bestM = m; best = q.j; } }
    return best === j ? 1 : 0;
  }, true));
  reach.forEach(({ e, m }, k) => b.addRow({ idx: [...e.idx, a[k]], val: [...e.val, m], c: e.c }, -Infinity, m - delta));
  b.addRow({ idx: a, val: a.map(() => 1), c: 0 }, 1, 1);
  return true;
}
