// The sweep's work on a set of inputs, all their epsilons at once: the attack, the bounds per
// method, and with --complete verify's cascade on what is still open. One function, called by the
// local `sweep` (every correctly classified input), by a `--shard K/N` (its round-robin part) and
// by a queue worker on one job's block (queue/block-child.ts), so each of them computes what the
// local sweep computes for those inputs.
//
// Why a block's answers equal the whole sweep's for its inputs: every step is per input. The
// attack draws its start points from (seed, the input's position in the whole sweep, restart)
// (attack.ts, `seedIds` below), the bounds bound each box on its own (a batch only groups boxes),
// and the cascade works input by input. What depends on the block is how the work is grouped and
// timed: engine calls, times and, with --schedule adaptive, which epsilons are probed (each block
// plans from a pilot of its own inputs; the plan of the local sweep depends on measured times, so
// it differs between two local runs too). docs/scale-out.md lists these fields (sweep/compare.ts).
import type { BoundEngine, BoundMethod } from '../bounds/types.js';
import { createProgress, type Progress } from '../progress.js';
import type { Schedule, SweepProblem } from './scheduler.js';
import { bisectRounds, runSweep } from './scheduler.js';
import type { RunInfo } from './report.js';
import type { PairTable } from './pairs.js';
import { falsifyByAttack } from './falsify.js';
import { completePairs } from './complete.js';
import type { Fact } from './checkpoint.js';
import type { Resumed } from './resume.js';

/** Everything that decides a block's answers (a queue job carries exactly this). */
export interface BlockSettings {
  eps: number[];
  methods: BoundMethod[];
  schedule: Schedule;
  /** Boxes per engine call. */
  batch: number;
  /** false: --no-attack. */
  attack: boolean;
  complete: boolean;
  /** --complete: seconds per (input, eps) pair. */
  timeoutS: number;
  /** The attack's and the cascade's seed. */
  seed: number;
}

export interface BlockHooks {
  /** Per input position of the problem: its index in its source (checkpoint facts name it). */
  indices?: readonly number[];
  /** Per input position: its position in the whole sweep (the attack's start points); default the position. */
  seedIds?: ArrayLike<number>;
  /** Threads the attack is split over (--threads; default every core). */
  threads?: number;
  /** What a checkpoint already knows (--resume). */
  resumed?: Resumed;
  /** Facts as they are established (--checkpoint). */
  save?(facts: Fact[]): void;
  shouldStop?(): boolean;
  /** Progress bars (default: createProgress, which draws only on a terminal). */
  progress?(total: number, label: string): Progress;
  /** For the bars' labels. */
  label?: string;
  /** --complete: cascade worker threads (how the work is run, not what it answers; default 1). */
  workers?: number;
}

export interface BlockOutcome {
  /** One per method that ran (fewer than the methods when interrupted). */
  runs: RunInfo[];
  attack: { attacks: number; seconds: number };
  completeStats?: { calls: number; seconds: number; decidedBy: Record<string, number> };
}

/** The attack, the bounds and (--complete) the cascade on `problem.candidates`, in that order. */
export async function sweepBlock(problem: SweepProblem, table: PairTable, engine: BoundEngine, s: BlockSettings, h: BlockHooks = {}): Promise<BlockOutcome> {
  const { eps, count } = problem;
  const E = eps.length;
  const candidates = Array.from(problem.candidates);
  const indices = h.indices ?? Array.from({ length: count }, (_, i) => i);
  const resumed = h.resumed;
  const save = (facts: Fact[]) => h.save?.(facts);
  const stop = () => h.shouldStop?.() ?? false;
  const bar = h.progress ?? createProgress;
  const label = h.label ?? 'sweep';
  const cexFact = (i: number): Fact[] => {
    const c = table.cex.get(i);
    return c && c.by !== 'misclassified' ? [{ t: 'cex', index: indices[i], eps: eps[c.k], by: c.by, timeS: table.timeS[i * E + c.k], x: Array.from(c.x) }] : [];
  };
  const runs: RunInfo[] = [];
  let attack = { attacks: 0, seconds: 0 };
  let completeStats: BlockOutcome['completeStats'];

  // 1. attacks: the smallest eps with a replayed counterexample, per input
  if (s.attack) {
    const todo = candidates.filter((i) => !resumed?.attacked.has(i));
    const progress = bar(todo.length, `sweep attack ${label}`);
    try {
      const hi = Int32Array.from({ length: count }, (_, i) => table.firstFalsified(i));
      // a known counterexample (an interrupted search's, or --complete's) is where the search goes on from
      const cex = Array.from({ length: count }, (_, i) => { const c = table.cex.get(i); return c && c.k === hi[i] ? c.x : null; });
      const f = await falsifyByAttack(problem, { inputs: todo, hi, cex, seed: s.seed, seedIds: h.seedIds, threads: h.threads, onRound: (k) => progress.tick(k), shouldStop: h.shouldStop });
      for (const i of todo) if (f.hi[i] < hi[i]) table.falsified(i, f.hi[i], f.cex[i]!, 'attack', f.timeS[i]);
      if (!f.interrupted) save(todo.flatMap((i) => [...cexFact(i), { t: 'attacked', index: indices[i], eps: [...eps] } as Fact]));
      else save(todo.flatMap(cexFact));
      attack = { attacks: f.attacks, seconds: f.seconds };
    } finally {
      progress.stop();
    }
  }
  // 2. the bounds, per method, below each input's first falsified eps
  const perMethod = candidates.length * (s.schedule === 'all' ? E : bisectRounds(E));
  const progress = bar(perMethod * s.methods.length, `sweep ${label}`);
  let done = 0;
  try {
    for (const [m, method] of s.methods.entries()) {
      if (stop()) break;
      const start = performance.now();
      const hi = Int32Array.from({ length: count }, (_, i) => Math.min(table.firstFalsified(i), resumed?.hi.get(method)![i] ?? E));
      const run = await runSweep(engine, problem, {
        method, schedule: s.schedule, batch: s.batch, lo: resumed?.lo.get(method), hi, shouldStop: h.shouldStop,
        onBounded: (k) => progress.tick(k),
        onEstimate: (pairs) => progress.setTotal(done + pairs + perMethod * (s.methods.length - m - 1)),
      });
      done += run.pairsBounded;
      runs.push({ run, seconds: (performance.now() - start) / 1000 });
      save(candidates.filter((i) => run.lo[i] > 0 || run.hi[i] < E).map((i) => ({
        t: 'bounds', method, index: indices[i], verifiedEps: run.lo[i] > 0 ? eps[run.lo[i] - 1] : null, notVerifiedEps: run.hi[i] < E ? eps[run.hi[i]] : null,
      })));
    }
  } finally {
    progress.stop();
  }
  // 3. --complete: the cascade on what is still open
  if (s.complete && !stop()) {
    const lo = Int32Array.from({ length: count }, (_, i) => Math.max(0, ...runs.map(({ run }) => run.lo[i])));
    const open = candidates.filter((i) => Math.max(lo[i], table.verifiedPrefix(i)) < table.firstFalsified(i));
    const progress = bar(open.length, `sweep --complete ${label}`);
    try {
      const saved = new Set<string>();
      completeStats = await completePairs(problem, table, {
        timeoutS: s.timeoutS, inputs: open, lo, seed: s.seed, seedIds: h.seedIds, workers: h.workers, shouldStop: h.shouldStop,
        skip: (p) => resumed?.gaveUp.has(p) ?? false,
        onDecided: (i) => {
          if (!h.save) return;
          // the input's facts from the cascade not yet in the checkpoint
          const facts: Fact[] = [];
          for (let k = 0; k < E; k++) {
            const p = i * E + k;
            if (table.timeS[p] === 0 || saved.has(`${p}:${table.status[p]}`)) continue;
            if (table.status[p] === 1) facts.push({ t: 'verified', index: indices[i], eps: eps[k], by: table.by[p], timeS: table.timeS[p] });
            else if (table.status[p] === 0 && table.reason[p]) facts.push({ t: 'open', index: indices[i], eps: eps[k], reason: table.reason[p]!, timeS: table.timeS[p], timeoutS: s.timeoutS });
            else if (table.status[p] === 2 && table.cex.get(i)?.k === k) facts.push(...cexFact(i));
            else continue;
            saved.add(`${p}:${table.status[p]}`);
          }
          save(facts);
        },
      });
      progress.tick(open.length);
    } finally {
      progress.stop();
    }
  }
  return { runs, attack, ...(completeStats ? { completeStats } : {}) };
}
