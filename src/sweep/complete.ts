// `sweep --complete`: every (input, eps) pair the bounds and the attack left open goes through
// the same cascade `verify` uses (verify/cascade.ts: attack, IBP, CROWN, α-CROWN with optimised
// intermediate bounds, ReLU branch and bound, MILP), as an in-memory property, under a per-pair
// time budget. Work is shared across the epsilons of one input by monotonicity (pairs.ts): the
// open band of an input is [largest verified eps, smallest falsified eps), and it is bisected,
// so a proof at eps_k settles every smaller eps and a counterexample every larger one; a pair
// that stays open (timeout, unknown) is recorded with its reason and the bisection goes on
// around it.
//
// Soundness: the property's input box is the outward-rounded ball (boxes.ts), so an `unsat`
// covers the real ball; a `sat` counts only when its point, clipped into the inward-rounded
// ball, replays with a negative margin on the float64 network (ball.ts), the same gate as the
// attack's counterexamples.
import type { Network } from '../network.js';
import { inputSize, outputSize } from '../network.js';
import type { BoundEngine } from '../bounds/types.js';
import type { Property } from '../spec/property.js';
import { marginRows, writeMarginRows } from '../spec/margins.js';
import { verifyProperty } from '../verify/cascade.js';
import { buildBoxes } from './boxes.js';
import { replayCounterexample } from './ball.js';
import type { SweepProblem } from './scheduler.js';
import type { PairTable } from './pairs.js';
import { yieldToEventLoop } from './interrupt.js';

export interface CompleteOptions {
  /** Budget of one pair, in seconds. */
  timeoutS: number;
  engine: BoundEngine;
  seed?: number;
  /** Inputs to work on (default the problem's candidates), in order. */
  inputs?: readonly number[];
  /** Per input: epsilons below lo[i] are verified by the bounds (default none). */
  lo?: Int32Array;
  /** Per pair (i·E + k): skip it (e.g. a checkpoint says it timed out under at least this budget). */
  skip?(pair: number): boolean;
  /** Called after each cascade call with the input (its pairs in the table are up to date). */
  onDecided?(input: number): void;
  /** Checked between cascade calls: true stops. */
  shouldStop?(): boolean;
  /** The cascade's stage lines (default: dropped). */
  log?: (line: string) => void;
}

export interface CompleteStats {
  calls: number;
  seconds: number;
  interrupted: boolean;
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

export async function completePairs(problem: SweepProblem, table: PairTable, opts: CompleteOptions): Promise<CompleteStats> {
  const t0 = performance.now();
  const { net, eps } = problem;
  const E = eps.length;
  const n = inputSize(net);
  const stats: CompleteStats = { calls: 0, seconds: 0, interrupted: false };
  const log = opts.log ?? (() => {});
  for (const i of opts.inputs ?? Array.from(problem.candidates)) {
    const tried = new Set<number>();
    for (;;) {
      const lo = Math.max(opts.lo?.[i] ?? 0, table.verifiedPrefix(i));
      const hi = table.firstFalsified(i);
      const open: number[] = [];
      for (let k = lo; k < hi; k++) if (!tried.has(k) && !table.reason[i * E + k] && !opts.skip?.(i * E + k)) open.push(k);
      if (!open.length) break;
      if (opts.shouldStop) await yieldToEventLoop();
      if (opts.shouldStop?.()) {
        stats.interrupted = true;
        stats.seconds = (performance.now() - t0) / 1000;
        return stats;
      }
      const k = open[open.length >> 1];
      tried.add(k);
      const tc = performance.now();
      let reason: string | undefined;
      try {
        const out = await verifyProperty(net, pairProperty(net, problem, i, eps[k]), { timeoutS: opts.timeoutS, engine: opts.engine, seed: opts.seed ?? 1, log });
        const timeS = (performance.now() - tc) / 1000;
        stats.calls++;
        if (out.answer === 'unsat') table.verified(i, k, out.decidedBy ?? 'cascade', timeS);
        else if (out.answer === 'sat' && out.counterexample) {
          const x = replayCounterexample(net, problem.inputs.subarray(i * n, (i + 1) * n), problem.labels[i], eps[k], out.counterexample.x);
          // the cascade's own attack is told apart from the sweep's (falsify.ts) in decidedBy
          if (x) table.falsified(i, k, x, out.decidedBy === 'attack' ? 'cascade-attack' : out.decidedBy ?? 'cascade', timeS);
          else reason = 'counterexample did not replay inside the ball';
        } else reason = out.answer; // timeout or unknown
        if (reason) table.open(i, k, reason, timeS);
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        table.open(i, k, /memory|allocation/i.test(msg) ? `memory: ${msg}` : `error: ${msg}`, (performance.now() - tc) / 1000);
        stats.calls++;
      }
      opts.onDecided?.(i);
    }
  }
  stats.seconds = (performance.now() - t0) / 1000;
  return stats;
}
