// `sweep --milp`: completes a bound sweep. The (input, eps) pairs the bounds left undecided (input
// correctly classified, not verified) are decided by a short PGD attack and, failing that, the
// exact MILP (CROWN layer bounds of the pair's box, only the classes CROWN did not settle, the
// attack's best point as the start). Monotonicity in eps is used both ways: verified at eps_k ⇒
// verified below (the smaller ball lies inside), falsified at eps_k ⇒ falsified above (the same
// counterexample lies in every larger ball). So per input only the band between its largest
// verified and smallest falsified eps needs work: attacks first search down from the top of the
// band (cheap), then the MILP bisects what is left. A pair the MILP cannot decide in time stays
// undecided and the bisection goes on around it. Every counterexample replays (ball.ts).
import { warnOnce } from '../errors.js';
import { inputSize, outputSize } from '../network.js';
import { boundNetworkCpu, crownLayerBounds } from '../bounds/index.js';
import { marginVector, milpVerify } from '../milp/index.js';
import type { MilpSolver } from '../milp/index.js';
import { pgdAttack } from '../attack/pgd.js';
import type { Conjunction } from '../spec/property.js';
import { marginSpec } from '../spec/margins.js';
import { buildBoxes } from './boxes.js';
import { innerBall, replayCounterexample } from './ball.js';
import type { SweepProblem } from './scheduler.js';
import { PairBudget } from './budget.js';

export const UNDECIDED = 0;
export const VERIFIED = 1;
export const FALSIFIED = 2;

/** What decided a pair (directly or through monotonicity). */
export type Source = 'bounds' | 'crown' | 'milp' | 'attack' | 'misclassified';
const SOURCES: readonly Source[] = ['bounds', 'crown', 'milp', 'attack', 'misclassified'];

/** An exact answer for one pair, kept across methods (it does not depend on the bound method). */
export interface PairFact {
  verdict: 'verified' | 'falsified' | 'unknown';
  by: Source;
  /** The replayed counterexample (falsified). */
  x?: Float64Array;
  timedOut?: boolean;
}

export interface CompletionCache {
  facts: Map<number, PairFact>;
  /** PGD per pair: a replayed counterexample or null, and the best point (MILP start). */
  attacks: Map<number, { x: Float64Array | null; best: Float64Array }>;
}

export function newCompletionCache(): CompletionCache {
  return { facts: new Map(), attacks: new Map() };
}

export interface CompletionOptions {
  /** MILP limit per (input, eps) pair, in seconds. */
  timeLimitS: number;
  /** Solve on a worker pool (MilpPool); default this thread. */
  pool?: MilpSolver;
  /** Jobs the pool runs at once (default its `size`, else 1): a pair's classes share its limit on them. */
  poolSize?: number;
  /** Inputs worked on at once (default: the pool's size, else 1). */
  concurrency?: number;
  /** Use monotonicity to skip pairs (default true); false decides every undecided pair on its own. */
  monotone?: boolean;
  attack?: { restarts?: number; steps?: number };
  /** Exact answers of an earlier completion of the same problem (another bound method). */
  cache?: CompletionCache;
  /** Pairs settled (decided, or given up on) since the last call. */
  onProgress?(pairs: number): void;
}

export interface Completion {
  /** count × E: VERIFIED, FALSIFIED or UNDECIDED (misclassified inputs: FALSIFIED). */
  status: Uint8Array;
  /** count × E: index into `sources` of what decided the pair (status UNDECIDED: 0, meaningless). */
  source: Uint8Array;
  sources: readonly Source[];
  /** Replayed counterexample of each falsified pair (the same array for an input's pairs). */
  counterexamples: Map<number, Float64Array>;
  /** Per eps: pairs the bounds left undecided (the work), pairs still undecided after. */
  undecidedBefore: Int32Array;
  undecidedAfter: Int32Array;
  /** Per eps: MILP queries run and their time. */
  milpCalls: Int32Array;
  milpSeconds: Float64Array;
  milpTimeouts: number;
  attacks: number;
  attackSeconds: number;
  /** Pairs answered from the cache (an earlier method's completion). */
  cached: number;
  /** Inputs where a proof and a replayed counterexample disagreed (the counterexample won); 0 unless something is wrong. */
  conflicts: number;
  seconds: number;
}

/** Count of pairs of status `s` per eps, optionally only from `source`. */
export function countPerEps(c: Completion, count: number, E: number, s: number, source?: Source): number[] {
  const want = source === undefined ? -1 : c.sources.indexOf(source);
  const out = new Array<number>(E).fill(0);
  for (let i = 0; i < count; i++) {
    for (let k = 0; k < E; k++) if (c.status[i * E + k] === s && (want < 0 || c.source[i * E + k] === want)) out[k]++;
  }
  return out;
}

/**
 * Decides the pairs of `problem` the bounds left open. `boundVerified` is count × E (1 = the
 * bounds verified the pair; a pair below a verified eps counts as verified too).
 */
export async function completeSweep(problem: SweepProblem, boundVerified: Uint8Array, opts: CompletionOptions): Promise<Completion> {
  const t0 = performance.now();
  const { net, inputs, labels, count, eps } = problem;
  const E = eps.length;
  const n = inputSize(net);
  const out = outputSize(net);
  const cache = opts.cache ?? newCompletionCache();
  const poolSize = Math.max(1, opts.poolSize ?? (opts.pool as { size?: number } | undefined)?.size ?? 1);
  const budget = opts.pool ? new PairBudget(opts.pool, poolSize) : undefined;
  const monotone = opts.monotone ?? true;
  const c: Completion = {
    status: new Uint8Array(count * E), source: new Uint8Array(count * E), sources: SOURCES, counterexamples: new Map(),
    undecidedBefore: new Int32Array(E), undecidedAfter: new Int32Array(E), milpCalls: new Int32Array(E), milpSeconds: new Float64Array(E),
    milpTimeouts: 0, attacks: 0, attackSeconds: 0, cached: 0, conflicts: 0, seconds: 0,
  };
  const set = (i: number, k: number, status: number, by: Source, x?: Float64Array) => {
    c.status[i * E + k] = status;
    c.source[i * E + k] = SOURCES.indexOf(by);
    if (x) c.counterexamples.set(i * E + k, x);
  };
  const conflict = (i: number, k: number, what: string) => {
    c.conflicts++;
    warnOnce(`sweep --milp: input ${i} is ${what}; counting it falsified from eps ${eps[k]} (proofs and counterexamples disagree)`);
  };
  const x0Of = (i: number) => inputs.subarray(i * n, (i + 1) * n);
  const isCandidate = new Uint8Array(count);
  for (const i of Array.from(problem.candidates)) isCandidate[i] = 1;
  for (let i = 0; i < count; i++) {
    if (isCandidate[i]) continue;
    const x = Float64Array.from(x0Of(i)); // the input itself is in every ball
    for (let k = 0; k < E; k++) set(i, k, FALSIFIED, 'misclassified', x);
  }

  // the classes j whose margin CROWN does not prove positive on the pair's (outward) box
  const classCache = new Map<number, number[]>();
  const openClasses = (i: number, k: number): number[] => {
    const hit = classCache.get(i * E + k);
    if (hit) return hit;
    const box = buildBoxes(inputs, n, [i], [eps[k]]);
    const r = boundNetworkCpu(net, box, { method: 'crown', spec: marginSpec(net, [labels[i]]) });
    const js: number[] = [];
    for (let row = 0; row < r.rows; row++) {
      if (r.lower[row] > 0) continue;
      js.push(out === 1 ? 1 - labels[i] : row < labels[i] ? row : row + 1);
    }
    classCache.set(i * E + k, js);
    return js;
  };
  const unsafeOf = (label: number, classes: number[]): Conjunction[] =>
    classes.map((j) => ({ a: marginVector(out, label, j), b: new Float64Array(1), rows: 1 }));

  const attack = (i: number, k: number, classes: number[]): { x: Float64Array | null; best: Float64Array } => {
    const key = i * E + k;
    const hit = cache.attacks.get(key);
    if (hit) return hit;
    const ta = performance.now();
    const ball = innerBall(x0Of(i), eps[k]);
    const r = pgdAttack(net, { ...ball, unsafe: unsafeOf(labels[i], classes) }, {
      restarts: opts.attack?.restarts ?? 4, steps: opts.attack?.steps ?? 30, seed: 1 + key,
    });
    const x = r.counterexample ? replayCounterexample(net, x0Of(i), labels[i], eps[k], r.counterexample.x) : null;
    c.attacks++;
    c.attackSeconds += (performance.now() - ta) / 1000;
    const res = { x, best: r.best.x };
    cache.attacks.set(key, res);
    return res;
  };

  // the exact answer for one pair: CROWN recheck, attack, MILP
  const decide = async (i: number, k: number): Promise<PairFact> => {
    const key = i * E + k;
    const known = cache.facts.get(key);
    if (known) { c.cached++; return known; }
    let fact: PairFact;
    const classes = openClasses(i, k);
    if (!classes.length) fact = { verdict: 'verified', by: 'crown' };
    else {
      const a = attack(i, k, classes);
      if (a.x) fact = { verdict: 'falsified', by: 'attack', x: a.x };
      else {
        const box = buildBoxes(inputs, n, [i], [eps[k]]);
        const tm = performance.now();
        const r = await milpVerify(net, { lower: box.lower, upper: box.upper }, labels[i], {
          timeLimitS: opts.timeLimitS, layerBounds: crownLayerBounds(net, box), classes, incumbent: a.best, pool: budget?.forPair(opts.timeLimitS),
        });
        c.milpCalls[k]++;
        c.milpSeconds[k] += (performance.now() - tm) / 1000;
        const x = r.status === 'falsified' && r.counterexample ? replayCounterexample(net, x0Of(i), labels[i], eps[k], r.counterexample) : null;
        if (r.status === 'verified') fact = { verdict: 'verified', by: 'milp' };
        else if (x) fact = { verdict: 'falsified', by: 'milp', x };
        else {
          fact = { verdict: 'unknown', by: 'milp', timedOut: r.status === 'timeout' };
          if (fact.timedOut) c.milpTimeouts++;
        }
      }
    }
    cache.facts.set(key, fact);
    return fact;
  };

  const solveInput = async (i: number) => {
    const base = i * E;
    let lo = 0; // verified below lo
    for (let k = 0; k < E; k++) if (boundVerified[base + k]) lo = k + 1;
    for (let k = 0; k < lo; k++) set(i, k, VERIFIED, 'bounds');
    for (let k = lo; k < E; k++) c.undecidedBefore[k]++;
    if (!monotone) {
      for (let k = lo; k < E; k++) {
        const f = await decide(i, k);
        if (f.verdict !== 'unknown') set(i, k, f.verdict === 'verified' ? VERIFIED : FALSIFIED, f.by, f.x);
        opts.onProgress?.(1);
      }
      return;
    }
    let hi = E; // falsified from hi on
    let cex: { x: Float64Array; by: Source } | undefined;
    const tried = new Set<number>(); // undecided by the MILP
    const verdict = new Array<Source | undefined>(E);
    const settled = () => {
      let t = 0;
      for (const k of tried) if (k >= lo && k < hi) t++;
      return lo + (E - hi) + t;
    };
    let reported = settled();
    const apply = (k: number, f: PairFact) => {
      // a proof and a replayed counterexample that disagree (solver tolerances, or a bug): the
      // counterexample is a concrete input, so it wins; say so, and count it
      if (f.verdict === 'verified' && k >= hi) {
        conflict(i, k, `verified by ${f.by} at eps ${eps[k]} but falsified at ${eps[hi]}`);
        tried.add(k);
      } else if (f.verdict === 'verified') { for (let q = lo; q <= k; q++) verdict[q] = f.by; lo = k + 1 > lo ? k + 1 : lo; }
      else if (f.verdict === 'falsified') {
        if (k < lo) { conflict(i, k, `falsified by ${f.by} at eps ${eps[k]} but verified up to ${eps[lo - 1]}`); lo = k; }
        if (k < hi) { hi = k; cex = { x: f.x!, by: f.by }; }
      } else tried.add(k);
      const s = settled();
      opts.onProgress?.(s - reported);
      reported = s;
    };
    // what an earlier method's completion already knows
    for (let k = lo; k < E; k++) { const f = cache.facts.get(base + k); if (f && f.verdict !== 'unknown') { c.cached++; apply(k, f); } }
    // attacks: the top of the band first (most likely to fall), then down by bisection while they succeed
    if (lo < hi) {
      const attackAt = (k: number): boolean => {
        const classes = openClasses(i, k);
        if (!classes.length) return false;
        const a = attack(i, k, classes);
        if (a.x) apply(k, { verdict: 'falsified', by: 'attack', x: a.x });
        return a.x !== null;
      };
      if (attackAt(hi - 1)) {
        let a = lo, b = hi;
        while (a < b) {
          const m = (a + b) >> 1;
          if (attackAt(m)) b = m;
          else a = m + 1;
        }
      }
    }
    // exact answers: bisect the untried pairs of the band
    for (;;) {
      const open: number[] = [];
      for (let k = lo; k < hi; k++) if (!tried.has(k)) open.push(k);
      if (!open.length) break;
      const k = open[open.length >> 1];
      apply(k, await decide(i, k));
    }
    for (let k = 0; k < lo; k++) if (!boundVerified[base + k]) set(i, k, VERIFIED, verdict[k] ?? 'bounds');
    for (let k = hi; k < E; k++) set(i, k, FALSIFIED, cex!.by, cex!.x);
  };

  const queue = Array.from(problem.candidates);
  const workers = Math.max(1, opts.concurrency ?? poolSize);
  await Promise.all(Array.from({ length: Math.min(workers, queue.length) }, async () => {
    for (let i = queue.shift(); i !== undefined; i = queue.shift()) await solveInput(i);
  }));
  for (let i = 0; i < count; i++) for (let k = 0; k < E; k++) if (c.status[i * E + k] === UNDECIDED) c.undecidedAfter[k]++;
  c.seconds = (performance.now() - t0) / 1000;
  return c;
}
