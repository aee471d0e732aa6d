// `sweep --complete`: every (input, eps) pair the bounds and the attack left open is decided with
// the same cascade `verify` uses (verify/cascade.ts: attack, IBP, CROWN, α-CROWN with optimised
// intermediate bounds, ReLU branch and bound, MILP), as an in-memory property. Per input the open
// pairs form a band [largest verified eps, smallest falsified eps), and the work is shared across
// it by monotonicity (pairs.ts: a proof at eps_k settles every smaller eps, a counterexample
// every larger one):
//   1. a stronger seeded attack on every open pair (8 starts × 50 steps, batched over all inputs),
//      one start being the input's counterexample at its smallest falsified eps shrunk toward the
//      input (x0 + (x − x0)·eps_k/eps_c lies in the ball of eps_k);
//   2. the cascade, first a quick call (--timeout/4) on the top of the band (the largest ball,
//      the easiest to refute: the cascade's attack succeeds there within seconds or not at all,
//      and a counterexample settles the whole band), then on the bottom (the smallest ball, the
//      easiest to prove) with --timeout, doubled each time it stays open; each proof moves the
//      bottom up by one pair. The input has --timeout seconds per open pair in all, pooled, so
//      the budget the easy pairs did not need goes to the hard pair next to the verified
//      boundary (measured on mnist-mlp: proofs decide most of the cascade's pairs). A pair
//      inside the band is harder both ways than its neighbours, so pairs above a bottom that
//      stayed open are not tried. Pairs that stay open are recorded with the reason: `timeout`
//      (with the largest budget it got), `untried` (a pair below it stayed open, and a larger
//      ball is no easier to prove), `memory`/`error`, `unknown`.
// A larger ball's bounds are not passed to a smaller one: the cascade's own CROWN/α-CROWN bounds
// of the smaller box are tighter than those of the box that contains it (in practice: CROWN is
// not provably monotone in the box), so the intersection would add nothing; what carries across
// epsilons is the verdicts and the counterexamples.
// The cascade runs in worker threads (cascade-pool.ts): Ctrl-C stops it within a fraction of a
// second, and with W workers W inputs are decided at once.
//
// Soundness: the property's input box is the outward-rounded ball (boxes.ts), so an `unsat`
// covers the real ball; a `sat` counts only when its point, clipped into the inward-rounded
// ball, replays with a negative margin on the float64 network (ball.ts), the same gate as the
// attack's counterexamples (attack.ts replays every point it reports).
import type { Network } from '../network.js';
import { inputSize, outputSize } from '../network.js';
import type { Property } from '../spec/property.js';
import { marginRows, writeMarginRows } from '../spec/margins.js';
import { buildBoxes } from './boxes.js';
import { replayCounterexample, shrunkToward } from './ball.js';
import type { SweepProblem } from './scheduler.js';
import type { PairTable } from './pairs.js';
import { attackPairs, type AttackPair } from './attack.js';
import { CascadePool } from './cascade-pool.js';
import { yieldToEventLoop } from './interrupt.js';

export interface CompleteOptions {
  /** Budget per open pair, in seconds: an input with q open pairs gets q·timeoutS in all. */
  timeoutS: number;
  seed?: number;
  /** Per input position: the number the attack's start points are drawn from (attack.ts). */
  seedIds?: ArrayLike<number>;
  /** Inputs to work on (default the problem's candidates), in order. */
  inputs?: readonly number[];
  /** Per input: epsilons below lo[i] are verified by the bounds (default none). */
  lo?: Int32Array;
  /** Per pair (i·E + k): skip it (e.g. a checkpoint says it stayed open under at least this budget). */
  skip?(pair: number): boolean;
  /** Cascade worker threads (default 1). */
  workers?: number;
  /** The stronger attack's starts and steps per pair (default 8 and 50; 0 starts: no attack). */
  attackRestarts?: number;
  attackSteps?: number;
  /** Called when an input's pairs in the table changed (after the attack, each cascade call, its end). */
  onDecided?(input: number): void;
  /** Polled between steps and, while the cascade runs, every 50 ms: true stops. */
  shouldStop?(): boolean;
}

export interface CompleteStats {
  calls: number;
  seconds: number;
  interrupted: boolean;
  /** Pairs decided directly (not by monotonicity) per stage: attack-strong, and the cascade's stages. */
  decidedBy: Record<string, number>;
}

/** The property "input i keeps its label on the box of eps": unsafe when some margin y_label − y_j ≤ 0. */
export function pairProperty(net: Network, problem: SweepProblem, i: number, eps: number): Property {
  const n = inputSize(net), m = outputSize(net);
  const box = buildBoxes(problem.inputs, n, [i], [eps]);
  const rows = marginRows(m);
  const c = new Float64Array(rows * m);
  writeMarginRows(c, 0, problem.labels[i], m);
  const unsafe = Array.from({ length: rows }, (_, r) => ({ a: c.slice(r * m, (r + 1) * m), b: new Float64Array(1), rows: 1 }));
  return { source: `sweep input ${i} eps ${eps}`, numInputs: n, numOutputs: m, regions: [{ lower: box.lower, upper: box.upper, unsafe }] };
}

/** What the cascade's stage names are recorded as (its attack, IBP and CROWN told apart from the sweep's own). */
function cascadeBy(stage: string | null): string {
  return stage === 'attack' || stage === 'ibp' || stage === 'crown' ? `cascade-${stage}` : stage ?? 'cascade';
}

export async function completePairs(problem: SweepProblem, table: PairTable, opts: CompleteOptions): Promise<CompleteStats> {
  const t0 = performance.now();
  const { net, eps } = problem;
  const E = eps.length;
  const n = inputSize(net);
  const seed = opts.seed ?? 1;
  const stats: CompleteStats = { calls: 0, seconds: 0, interrupted: false, decidedBy: {} };
  const count = (by: string) => { stats.decidedBy[by] = (stats.decidedBy[by] ?? 0) + 1; };
  const finish = () => { stats.seconds = (performance.now() - t0) / 1000; return stats; };
  const stop = () => opts.shouldStop?.() ?? false;
  /** The input's open band: undecided pairs between its verified prefix and its first counterexample, not skipped. */
  const band = (i: number): number[] => {
    const lo = Math.max(opts.lo?.[i] ?? 0, table.verifiedPrefix(i));
    const out: number[] = [];
    for (let k = lo; k < table.firstFalsified(i); k++) if (!table.reason[i * E + k] && !opts.skip?.(i * E + k)) out.push(k);
    return out;
  };
  const inputs = (opts.inputs ?? Array.from(problem.candidates)).filter((i) => band(i).length > 0);

  // 1. the stronger attack, batched over every open pair of every input
  const restarts = opts.attackRestarts ?? 8;
  if (restarts > 0) {
    const pairs: (AttackPair & { k: number })[] = [];
    for (const i of inputs) {
      const c = table.cex.get(i);
      const x0 = problem.inputs.subarray(i * n, (i + 1) * n);
      for (const k of band(i)) {
        const start = c ? shrunkToward(x0, c.x, eps[k] / eps[c.k]) : undefined;
        pairs.push({ input: i, eps: eps[k], k, start });
      }
    }
    const chunk = 16; // pairs per attack call: about a second of work, so Ctrl-C is seen soon
    for (let s = 0; s < pairs.length; s += chunk) {
      await yieldToEventLoop();
      if (stop()) { stats.interrupted = true; return finish(); }
      const part = pairs.slice(s, s + chunk);
      const ta = performance.now();
      const found = attackPairs(net, problem.inputs, problem.labels, part, { restarts, steps: opts.attackSteps ?? 50, seed: seed + 1, seedIds: opts.seedIds });
      const share = (performance.now() - ta) / 1000 / part.length;
      const touched = new Set<number>();
      part.forEach((p, j) => {
        table.timeS[p.input * E + p.k] += share;
        if (!found[j] || table.firstFalsified(p.input) <= p.k) return;
        table.falsified(p.input, p.k, found[j]!, 'attack-strong');
        touched.add(p.input);
      });
      for (const i of touched) { count('attack-strong'); opts.onDecided?.(i); }
    }
  }

  // 2. the cascade, W inputs at once, each from the ends of its band inwards
  const pool = new CascadePool(net, Math.min(opts.workers ?? 1, Math.max(1, inputs.length)), opts.shouldStop);
  let next = 0;
  const decideInput = async (i: number): Promise<boolean> => {
    let open = band(i);
    if (!open.length) return true;
    let left = opts.timeoutS * open.length; // the input's budget
    const quick = Math.min(opts.timeoutS, Math.max(1, opts.timeoutS / 4));
    const failedAt = new Map<number, number>(); // pair -> largest budget it stayed open with (Infinity: never again)
    const why = new Map<number, string>();
    const spent = new Map<number, number>();
    // the next call: first a quick one on the top of the band (the largest ball, where the
    // cascade's attack refutes within seconds or not at all; a counterexample settles the whole
    // band), then the bottom with --timeout (a proof returns as soon as it is found), doubled
    // each time it stays open, while the input's budget lasts; each proof moves the bottom up
    const pick = (open: number[]): [number, number] | null => {
      const bottom = open[0], top = open[open.length - 1];
      if (top !== bottom && !failedAt.has(top)) return [top, Math.min(quick, left)];
      const f = failedAt.get(bottom) ?? 0;
      const budget = Math.min(left, f < opts.timeoutS ? opts.timeoutS : 2 * f);
      return f !== Infinity && budget > f && budget >= 0.25 ? [bottom, budget] : null;
    };
    while ((open = band(i)).length) {
      const call = pick(open);
      if (!call) break;
      const [k, budget] = call;
      if (stop()) return false;
      const tc = performance.now();
      const ans = await pool.run(pairProperty(net, problem, i, eps[k]), budget, seed);
      const timeS = (performance.now() - tc) / 1000;
      if ('stopped' in ans) return false;
      stats.calls++;
      left -= timeS;
      const p = i * E + k;
      const total = (spent.get(k) ?? 0) + timeS;
      spent.set(k, total);
      if ('error' in ans) {
        failedAt.set(k, Infinity);
        why.set(k, /memory|allocation/i.test(ans.error) ? `memory: ${ans.error}` : `error: ${ans.error}`);
        continue;
      }
      const out = ans.outcome;
      if (out.answer === 'unsat') {
        table.verified(i, k, cascadeBy(out.decidedBy), total);
        count(cascadeBy(out.decidedBy));
      } else if (out.answer === 'sat' && out.counterexample) {
        const x = replayCounterexample(net, problem.inputs.subarray(i * n, (i + 1) * n), problem.labels[i], eps[k], out.counterexample.x);
        if (x) {
          table.falsified(i, k, x, cascadeBy(out.decidedBy), total);
          count(cascadeBy(out.decidedBy));
        } else {
          failedAt.set(k, Infinity);
          why.set(k, 'error: counterexample did not replay inside the ball');
        }
      } else {
        failedAt.set(k, out.answer === 'timeout' ? budget : Infinity);
        why.set(k, out.answer === 'timeout' ? `timeout: ${budget.toFixed(1)} s` : out.answer);
      }
      if (table.status[p] !== 0) opts.onDecided?.(i);
    }
    // what stays open, and why
    const tried = band(i);
    const lo = tried[0];
    for (const k of tried) {
      const reason = why.get(k) ?? `untried: eps ${eps[lo]} below it stayed open (a larger ball is no easier to prove)`;
      table.open(i, k, reason, spent.get(k) ?? 0);
    }
    if (tried.length) opts.onDecided?.(i);
    return true;
  };
  try {
    const lane = async (): Promise<void> => {
      while (next < inputs.length && !stats.interrupted) {
        const i = inputs[next++];
        if (!(await decideInput(i))) stats.interrupted = true;
      }
    };
    await Promise.all(Array.from({ length: pool.size }, lane));
    if (pool.wasStopped || stop()) stats.interrupted = true;
  } finally {
    await pool.close();
  }
  return finish();
}
