// The sweep's attack phase: per input, the smallest epsilon of the list where the attack
// (attack.ts) finds a replayed counterexample. A counterexample at eps_k lies in every larger
// ball, so it falsifies every eps_j ≥ k with no further work, and the bounds need never look
// at those pairs (no sound bound can verify a falsified pair: the verified counts are the same).
// The search first attacks each input's largest open epsilon (where attacks succeed most), then,
// where that succeeded, bisects downwards: an attack that fails at eps_m moves the search up (a
// failed attack proves nothing, so nothing below m is marked). Every round is one batched
// attack over all inputs still searching.
import type { SweepProblem } from './scheduler.js';
import type { SweepAttackOptions } from './attack.js';
import { attackPairsThreaded } from './attack-threads.js';
import { yieldToEventLoop } from './interrupt.js';

export interface Falsified {
  /** Per input: index of the smallest falsified epsilon (E: none). */
  hi: Int32Array;
  /** Per input: the counterexample found at eps[hi] (null when hi = E or it came from elsewhere). */
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
  /** Inputs to search (default problem.candidates). */
  inputs?: readonly number[];
  /** Threads the attack is split over (default: every core; attack-threads.ts, same results). */
  threads?: number;
  /** Pairs attacked per batch (bounds the memory of one round). Default 256. */
  batch?: number;
  onRound?(attacked: number): void;
  /** Called between batches; true stops the phase. */
  shouldStop?(): boolean;
}

export async function falsifyByAttack(problem: SweepProblem, opts: FalsifyOptions = {}): Promise<Falsified> {
  const t0 = performance.now();
  const E = problem.eps.length;
  const hi = opts.hi ? Int32Array.from(opts.hi) : new Int32Array(problem.count).fill(E);
  const res: Falsified = { hi, cex: new Array(problem.count).fill(null), timeS: new Float64Array(problem.count), attacks: 0, seconds: 0, interrupted: false };
  const lo = opts.lo ?? new Int32Array(problem.count);
  // a: lowest index not yet attacked without success in the current search
  const a = Int32Array.from(lo);
  let active = (opts.inputs ?? Array.from(problem.candidates)).filter((i) => a[i] < hi[i]);
  const first = new Set(active); // inputs whose top has not been attacked yet
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
      const ta = performance.now();
      const found = await attackPairsThreaded(problem.net, problem.inputs, problem.labels, part.map((p) => ({ input: p.input, eps: problem.eps[p.k] })), opts, opts.threads);
      const share = (performance.now() - ta) / 1000 / part.length;
      part.forEach((p, j) => {
        res.timeS[p.input] += share;
        const wasFirst = first.delete(p.input);
        if (found[j]) {
          hi[p.input] = p.k;
          res.cex[p.input] = found[j];
        } else if (wasFirst) a[p.input] = hi[p.input]; // nothing at the top: stop searching this input
        else a[p.input] = p.k + 1;
      });
      res.attacks += part.length;
      opts.onRound?.(part.length);
    }
    active = active.filter((i) => a[i] < hi[i]);
  }
  res.seconds = (performance.now() - t0) / 1000;
  return res;
}
