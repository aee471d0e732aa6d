// The epsilon sweep's scheduler. Verification is monotone in epsilon (the ball at a smaller
// epsilon lies inside the one at a larger epsilon, so a proof at eps_k covers every eps_j < k),
// so each input is searched for the first epsilon the engine cannot verify, and every round is
// one batched engine call over all inputs' current probes. 'bisect' bisects each input's list;
// 'adaptive' (the default) bisects a pilot of inputs, then follows the plan of least expected
// cost for the boundary distribution and per-epsilon engine cost the pilot measured (plan.ts),
// conditioned on where an input's search started from above (`hi`, e.g. the attack's first
// falsified epsilon) and on the margin bound its last probe gave (plan-evidence.ts), learnt from
// the pilot and then from every block of inputs resolved: on 256x6 that cuts the pairs bounded by
// several percent. Which epsilons are probed is all a plan changes.
// Inputs not in `candidates` (misclassified) are never bounded.
//
// What is counted as verified at eps_j is "the engine verified this input at some probed
// eps_k >= eps_j", which is sound by the nesting above. For a method whose bounds widen with the
// box (IBP, and CROWN in practice) that equals evaluating every pair independently, which is what
// the 'all' schedule does (it also counts the pairs where that nesting is violated, to check it).
import type { Network } from '../network.js';
import { inputSize } from '../network.js';
import type { BoundEngine, BoundMethod, BoundResult } from '../bounds/types.js';
import { marginSpec } from '../spec/margins.js';
import { buildBoxes } from './boxes.js';
import { fillCosts } from './plan.js';
import { cleanMargins, EvidencePlans, marginBin } from './plan-evidence.js';
import { yieldToEventLoop } from './interrupt.js';

export type Schedule = 'adaptive' | 'bisect' | 'all';
export const SCHEDULES: readonly Schedule[] = ['adaptive', 'bisect', 'all'];

export interface SweepProblem {
  /** The network margins are taken on (logitNetwork of the loaded one). */
  net: Network;
  /** count × inputSize(net) values. */
  inputs: Float64Array;
  labels: ArrayLike<number>;
  count: number;
  /** Ascending, distinct. */
  eps: readonly number[];
  /** Indices of the inputs worth bounding (the correctly classified ones). */
  candidates: ArrayLike<number>;
}

export interface SweepOptions {
  method: BoundMethod;
  schedule?: Schedule;
  /** Most boxes per engine call (bounds the memory of one call); default 4096. */
  batch?: number;
  /** Called after each engine call with the number of (input, eps) pairs it bounded. */
  onBounded?(pairs: number): void;
  /** 'adaptive': called once the pilot has fixed the plan, with the expected pairs of the whole run. */
  onEstimate?(expectedPairs: number): void;
  /** 'adaptive': inputs bisected first to measure (default: max(32, 5% of the candidates)). */
  pilot?: number;
  /** 'adaptive': cost of one probe per epsilon instead of the pilot's measured engine time. */
  cost?: ArrayLike<number>;
  /**
   * Per input, what is already known: verified below lo[i] (an earlier run of this method) and
   * not to be verified from hi[i] on (a replayed counterexample, or this method failed there
   * before). Only [lo, hi) is searched ('all' ignores both).
   */
  lo?: Int32Array;
  hi?: Int32Array;
  /** Called between engine calls; true stops the run with what it has (run.interrupted). */
  shouldStop?(): boolean;
}

export interface SweepRun {
  method: BoundMethod;
  schedule: Schedule;
  /** count × eps.length, row per input: 1 where the pair counts as verified. */
  verified: Uint8Array;
  /** (input, eps) pairs sent to the engine. */
  pairsBounded: number;
  /** count × eps.length: every pair of the sweep, misclassified inputs included. */
  pairsTotal: number;
  engineCalls: number;
  rounds: number;
  /** Engine time attributed to each epsilon (each call's time shared over its boxes). */
  secondsPerEps: Float64Array;
  /** Boxes bounded at each epsilon. */
  boxesPerEps: Int32Array;
  /** 'adaptive': inputs in the pilot, and the plan's expected probes per input after it. */
  pilotInputs?: number;
  expectedProbes?: number;
  /** 'all' only: pairs the engine did not verify although it verified a larger eps of the same input. */
  nonMonotone?: number;
  /** Per input: the search's final bracket (verified below lo; not verified, or falsified, from hi). lo = hi: resolved. */
  lo: Int32Array;
  hi: Int32Array;
  /** Stopped early by shouldStop: `verified` holds what was proven so far. */
  interrupted: boolean;
}

/** Probes at most this many rounds for a list of n epsilons. */
export function bisectRounds(n: number): number {
  return Math.ceil(Math.log2(n + 1));
}

/** One box's verdict: every margin's lower bound is positive (NaN is not). */
export function verifiedAt(result: BoundResult, box: number): boolean {
  const { rows, lower } = result;
  for (let r = 0; r < rows; r++) if (!(lower[box * rows + r] > 0)) return false;
  return true;
}

interface Probe {
  input: number;
  epsIndex: number;
}

/** Bounds the probes in batches; returns one verdict per probe, and its worst margin lower bound. */
async function boundProbes(engine: BoundEngine, problem: SweepProblem, probes: Probe[], opts: SweepOptions, run: SweepRun): Promise<{ verdicts: Uint8Array; worst: Float64Array }> {
  const size = inputSize(problem.net);
  const most = Math.max(1, opts.batch ?? 4096);
  const out = new Uint8Array(probes.length);
  const worst = new Float64Array(probes.length);
  for (let start = 0; start < probes.length;) {
    let batch = most;
    if (opts.shouldStop) {
      await yieldToEventLoop();
      if (opts.shouldStop()) throw new Stopped();
      // a stop is only seen between calls: calls of about STOP_LATENCY_S at the cost measured so far
      const boxes = run.boxesPerEps.reduce((a, b) => a + b, 0);
      const perBox = boxes ? run.secondsPerEps.reduce((a, b) => a + b, 0) / boxes : 0;
      batch = Math.min(most, perBox > 0 ? Math.max(64, Math.floor(STOP_LATENCY_S / perBox)) : 256);
    }
    // largest epsilons first (they cost the most): the threads claim the boxes in this order, so
    // the last chunks of the call are cheap ones and neither thread waits long for the other
    const at = start;
    const order = Array.from({ length: Math.min(batch, probes.length - start) }, (_, k) => at + k)
      .sort((a, b) => probes[b].epsIndex - probes[a].epsIndex || a - b);
    const part = order.map((q) => probes[q]);
    start += part.length;
    const which = part.map((p) => p.input);
    const boxes = buildBoxes(problem.inputs, size, which, part.map((p) => problem.eps[p.epsIndex]));
    const spec = marginSpec(problem.net, which.map((i) => problem.labels[i]));
    const t0 = performance.now();
    const result = await engine.bound(problem.net, boxes, { method: opts.method, spec, lowerOnly: true });
    const share = (performance.now() - t0) / 1000 / part.length;
    for (let k = 0; k < part.length; k++) {
      out[order[k]] = verifiedAt(result, k) ? 1 : 0;
      let w = Infinity;
      for (let r = 0; r < result.rows; r++) w = Math.min(w, result.lower[k * result.rows + r]);
      worst[order[k]] = w;
      run.secondsPerEps[part[k].epsIndex] += share;
      run.boxesPerEps[part[k].epsIndex]++;
    }
    run.engineCalls++;
    run.pairsBounded += part.length;
    opts.onBounded?.(part.length);
  }
  return { verdicts: out, worst };
}

class Stopped extends Error {}

/** With shouldStop: seconds one engine call should last at most (the stop latency of the bound phase). */
const STOP_LATENCY_S = 5;

export async function runSweep(engine: BoundEngine, problem: SweepProblem, opts: SweepOptions): Promise<SweepRun> {
  const E = problem.eps.length;
  for (let k = 1; k < E; k++) {
    if (!(problem.eps[k] > problem.eps[k - 1])) throw new Error('runSweep: eps must be ascending and distinct');
  }
  const schedule = opts.schedule ?? 'adaptive';
  const run: SweepRun = {
    method: opts.method,
    schedule,
    verified: new Uint8Array(problem.count * E),
    pairsBounded: 0,
    pairsTotal: problem.count * E,
    engineCalls: 0,
    rounds: 0,
    secondsPerEps: new Float64Array(E),
    boxesPerEps: new Int32Array(E),
    lo: opts.lo ? Int32Array.from(opts.lo) : new Int32Array(problem.count),
    hi: opts.hi ? Int32Array.from(opts.hi) : new Int32Array(problem.count).fill(E),
    interrupted: false,
  };
  const candidates = Array.from(problem.candidates);
  if (E === 0 || candidates.length === 0) return run;
  try {
    await search(engine, problem, opts, run, candidates);
  } catch (err) {
    if (!(err instanceof Stopped)) throw err;
    run.interrupted = true;
  }
  if (schedule !== 'all') for (const input of candidates) run.verified.fill(1, input * E, input * E + run.lo[input]);
  return run;
}

async function search(engine: BoundEngine, problem: SweepProblem, opts: SweepOptions, run: SweepRun, all: number[]): Promise<void> {
  const E = problem.eps.length;
  const schedule = run.schedule;

  if (schedule === 'all') {
    const probes: Probe[] = [];
    for (const input of all) for (let e = 0; e < E; e++) probes.push({ input, epsIndex: e });
    const { verdicts } = await boundProbes(engine, problem, probes, opts, run);
    run.rounds = 1;
    let nonMonotone = 0;
    probes.forEach((p, k) => { run.verified[p.input * E + p.epsIndex] = verdicts[k]; });
    for (const input of all) {
      let seenLarger = false;
      for (let e = E - 1; e >= 0; e--) {
        const v = run.verified[input * E + e];
        if (v) seenLarger = true;
        else if (seenLarger) nonMonotone++;
      }
    }
    run.nonMonotone = nonMonotone;
    for (const input of all) { let k = 0; while (k < E && run.verified[input * E + k]) k++; run.lo[input] = k; run.hi[input] = k; }
    return;
  }

  // Search on k, the number of leading epsilons verified: invariant k ∈ [lo, hi], i.e. verified
  // at eps[lo-1] (or lo = 0) and not verified at eps[hi] (or hi = E).
  const { lo, hi } = run;
  const candidates = all.filter((i) => lo[i] < hi[i]);
  if (!candidates.length) return;
  // where each input's search starts from above (the plans of 'adaptive' are per value)
  const hi0 = Int32Array.from(hi);
  // 'adaptive': each input's probes so far, as [eps index, worst margin bound]
  const probed = new Map<number, [number, number][]>();
  const search = async (inputs: number[], probe: (input: number, lo: number, hi: number) => number, resolved?: (block: number[]) => void) => {
    // a block of inputs at a time (rounds of one block's probes)
    for (let b0 = 0; b0 < inputs.length; b0 += SEARCH_BLOCK) {
      const block = inputs.slice(b0, b0 + SEARCH_BLOCK);
      let active = block;
      while (active.length) {
        const probes = active.map((input) => ({ input, epsIndex: probe(input, lo[input], hi[input]) }));
        const { verdicts, worst } = await boundProbes(engine, problem, probes, opts, run);
        run.rounds++;
        probes.forEach((p, k) => {
          if (verdicts[k]) lo[p.input] = p.epsIndex + 1;
          else hi[p.input] = p.epsIndex;
          if (schedule === 'adaptive') {
            const seen = probed.get(p.input) ?? [];
            seen.push([p.epsIndex, worst[k]]);
            probed.set(p.input, seen);
          }
        });
        active = active.filter((input) => lo[input] < hi[input]);
      }
      resolved?.(block);
    }
  };
  const bisect = (_input: number, l: number, h: number) => (l + h) >> 1;
  if (schedule === 'bisect') {
    await search(candidates, bisect);
  } else {
    const pilotSize = Math.min(candidates.length, opts.pilot ?? Math.max(32, Math.ceil(0.05 * candidates.length)));
    const pilot = candidates.slice(0, pilotSize);
    await search(pilot, bisect);
    const rest = candidates.slice(pilotSize);
    if (rest.length) {
      // prior: the pilot's boundaries, smoothed so that no k is ruled out
      const prior = new Float64Array(E + 1).fill(0.5);
      for (const input of pilot) prior[lo[input]] += 1;
      const measured = Float64Array.from(run.secondsPerEps, (sec, j) => (run.boxesPerEps[j] ? sec / run.boxesPerEps[j] : NaN));
      const cost = opts.cost ?? fillCosts(measured);
      // the evidence: the pilot's boundaries per starting hi, and per probe's margin bin; then,
      // block by block, the boundaries the plans found (the later blocks plan from more)
      const clean = cleanMargins(problem.net, problem.inputs, inputSize(problem.net), candidates, problem.labels, problem.count);
      const plans = new EvidencePlans(prior, cost);
      const learn = (inputs: number[]) => plans.add(inputs.map((i) => [hi0[i], lo[i]]), inputs.flatMap((i) => (probed.get(i) ?? [])
        .map(([j, w]) => ({ j, bin: marginBin(w, clean[i]), hi: hi0[i], k: lo[i] }))
        .filter((e) => e.bin >= 0)));
      learn(pilot);
      run.pilotInputs = pilotSize;
      run.expectedProbes = rest.reduce((s, i) => s + plans.planFor(hi0[i]).expectedProbes, 0) / rest.length;
      opts.onEstimate?.(run.pairsBounded + rest.length * run.expectedProbes);
      await search(rest, (input, l, h) => {
        const seen = probed.get(input);
        const last = seen?.[seen.length - 1];
        return (last ? plans.planAfter(last[0], marginBin(last[1], clean[input]), hi0[input]) : plans.planFor(hi0[input])).probe(l, h);
      }, learn);
    }
  }
}

/** Inputs searched at once. */
const SEARCH_BLOCK = 1024;

/** Verified count per epsilon. */
export function verifiedCounts(run: SweepRun, count: number, E: number): number[] {
  const counts = new Array<number>(E).fill(0);
  for (let i = 0; i < count; i++) for (let e = 0; e < E; e++) counts[e] += run.verified[i * E + e];
  return counts;
}
