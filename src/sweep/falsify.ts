// The sweep's attack phase: per input, the smallest epsilon of the list where the attack
// (attack.ts) finds a replayed counterexample. A counterexample at eps_k lies in every larger
// ball, so it falsifies every eps_j ≥ k with no further work, and the bounds need never look
// at those pairs (no sound bound can verify a falsified pair: the verified counts are the same).
// The search first attacks each input's largest open epsilon (where attacks succeed most), then,
// where that succeeded, bisects downwards: an attack that fails at eps_m moves the search up (a
// failed attack proves nothing, so nothing below m is marked). Every round is one batched
// attack over all inputs still searching. Below a counterexample at eps_hi, restart 1 starts
// from it shrunk toward the input into the smaller ball, with half the steps of a cold attack
// (downSteps): on mnist_fc 256x6 (2,000 inputs × 10 eps) the phase took 6.1 s instead of 8.2 s
// and falsified 614 pairs at eps 0.05 instead of 568, so the bounds had fewer pairs to look at;
// on the bundled mnist-mlp it falsifies 1–5% fewer at eps 0.03–0.06 than cold attacks with every
// step (696 instead of 712 at 0.05, in 1.5 s instead of 1.8 s).
import type { SweepProblem } from './scheduler.js';
import type { AttackPair, SweepAttackOptions } from './attack.js';
import { attackPairsThreaded } from './attack-threads.js';
import { yieldToEventLoop } from './interrupt.js';
import { shrunkToward } from './ball.js';
import { inputSize } from '../network.js';

export interface Falsified {
  /** Per input: index of the smallest falsified epsilon (E: none). */
  hi: Int32Array;
  /** Per input: the counterexample at eps[hi] (null when hi = E or it came from elsewhere without one). */
  cex: (Float64Array | null)[];
  /** Per input: seconds of attack spent on it (its share of each batched round). */
  timeS: Float64Array;
  /** Attacked (input, eps) pairs, and the wall-clock time of the phase. */
  attacks: number;
  seconds: number;
  /** The phase stopped early (shouldStop); what it found so far is valid. */
  interrupted: boolean;
}

export interface FalsifyOptions extends SweepAttackOptions {
  /** Per input: epsilons below lo are known verified (never attacked). Default 0. */
  lo?: Int32Array;
  /** Per input: first falsified index already known (e.g. from a checkpoint). Default E. */
  hi?: Int32Array;
  /** Per input: a counterexample at its eps[hi], where known (e.g. a checkpoint's): the probes
   *  below it start from it as from one the search found. */
  cex?: readonly (Float64Array | null | undefined)[];
  /** Inputs to search (default problem.candidates). */
  inputs?: readonly number[];
  /** Threads the attack is split over (default: every core; attack-threads.ts, same results). */
  threads?: number;
  /** Steps of the attacks below a counterexample (they start from it shrunk; default 10, half a cold attack's). */
  downSteps?: number;
  /** Pairs attacked per batch (bounds the memory of one round). Default 256. */
  batch?: number;
  /** Called after each batch with the number of inputs whose search ended in it. */
  onRound?(finished: number): void;
  /** Called between batches; true stops the phase. */
  shouldStop?(): boolean;
}

export async function falsifyByAttack(problem: SweepProblem, opts: FalsifyOptions = {}): Promise<Falsified> {
  const t0 = performance.now();
  const E = problem.eps.length;
  const hi = opts.hi ? Int32Array.from(opts.hi) : new Int32Array(problem.count).fill(E);
  const res: Falsified = { hi, cex: Array.from({ length: problem.count }, (_, i) => opts.cex?.[i] ?? null), timeS: new Float64Array(problem.count), attacks: 0, seconds: 0, interrupted: false };
  const lo = opts.lo ?? new Int32Array(problem.count);
  // a: lowest index not yet attacked without success in the current search
  const a = Int32Array.from(lo);
  let active = (opts.inputs ?? Array.from(problem.candidates)).filter((i) => a[i] < hi[i]);
  const first = new Set(active); // inputs whose top has not been attacked yet
  const n = inputSize(problem.net);
  const batch = Math.max(1, opts.batch ?? 256);
  while (active.length) {
    const probes = active.map((input) => ({ input, k: first.has(input) ? hi[input] - 1 : (a[input] + hi[input]) >> 1 }));
    for (let s = 0; s < probes.length; s += batch) {
      if (opts.shouldStop) await yieldToEventLoop();
      if (opts.shouldStop?.()) {
        res.interrupted = true;
        res.seconds = (performance.now() - t0) / 1000;
        return res;
      }
      const part = probes.slice(s, s + batch);
      // a probe below a counterexample starts restart 1 from it, shrunk toward the input into the
      // probe's ball (x0 + (x − x0)·eps_k/eps_hi), and takes downSteps; the others are cold
      const pairs: AttackPair[] = part.map(({ input, k }) => {
        const eps = problem.eps[k], c = res.cex[input];
        if (!c) return { input, eps };
        return { input, eps, start: shrunkToward(problem.inputs.subarray(input * n, (input + 1) * n), c, eps / problem.eps[hi[input]]) };
      });
      const ta = performance.now();
      const found: (Float64Array | null)[] = new Array(pairs.length).fill(null);
      for (const warm of [false, true]) {
        const which = pairs.map((p, j) => (!!p.start === warm ? j : -1)).filter((j) => j >= 0);
        if (!which.length) continue;
        const got = await attackPairsThreaded(problem.net, problem.inputs, problem.labels, which.map((j) => pairs[j]), warm ? { ...opts, steps: opts.downSteps ?? 10 } : opts, opts.threads);
        which.forEach((j, q) => { found[j] = got[q]; });
      }
      const share = (performance.now() - ta) / 1000 / part.length;
      let finished = 0;
      part.forEach((p, j) => {
        res.timeS[p.input] += share;
        const wasFirst = first.delete(p.input);
        if (found[j]) {
          hi[p.input] = p.k;
          res.cex[p.input] = found[j];
        } else if (wasFirst) a[p.input] = hi[p.input]; // nothing at the top: stop searching this input
        else a[p.input] = p.k + 1;
        if (a[p.input] >= hi[p.input]) finished++;
      });
      res.attacks += part.length;
      opts.onRound?.(finished);
    }
    active = active.filter((i) => a[i] < hi[i]);
  }
  res.seconds = (performance.now() - t0) / 1000;
  return res;
}
