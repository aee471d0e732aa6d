// The sweep's results as a table (stdout), JSON (--out) and CSV (--csv). Per (method, eps) robust
// accuracy is an interval [verified, samples − falsified] / samples: without --milp the falsified
// pairs are the misclassified inputs (each its own counterexample) and the upper end is the clean
// accuracy; with --milp (milp.ts) attacks and the MILP decide the undecided pairs, and the
// interval closes where nothing is left undecided.
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { SweepRun } from './scheduler.js';
import { verifiedCounts } from './scheduler.js';
import type { Completion } from './milp.js';
import { countPerEps, FALSIFIED, VERIFIED } from './milp.js';

export interface SweepRow {
  method: string;
  eps: number;
  samples: number;
  correct: number;
  /** Inputs proven robust: by this method's bounds, and with --milp by the MILP too. */
  verified: number;
  /** Inputs shown not robust: misclassified, and with --milp by a replayed counterexample. */
  falsified: number;
  /** samples − verified − falsified */
  undecided: number;
  /** Verified by the bounds alone. */
  boundVerified: number;
  /** verified / samples */
  robustAccuracy: number;
  /** (samples - falsified) / samples */
  robustAccuracyUpper: number;
  /** Pairs the engine bounded at this epsilon, and the engine time they took. */
  bounded: number;
  seconds: number;
  /** --milp: what the completion did at this epsilon. */
  milp?: MilpRow;
}

export interface MilpRow {
  /** Pairs the bounds left undecided (correctly classified, not verified). */
  undecidedBefore: number;
  /** Verified by the MILP (or CROWN on the pair's own box), directly or below a proven eps. */
  verified: number;
  falsifiedAttack: number;
  falsifiedMilp: number;
  /** MILP queries run at this epsilon and their wall-clock time (summed over parallel queries). */
  calls: number;
  seconds: number;
}

export interface SweepSample {
  index: number;
  label: number;
  predicted: number;
  /** Largest epsilon verified, per method (null: none). */
  maxVerifiedEps: Record<string, number | null>;
  /** --milp: smallest epsilon falsified, per method (null: none). */
  minFalsifiedEps?: Record<string, number | null>;
}

export interface SweepReport {
  net: string;
  data: string;
  samples: number;
  backend: string;
  engine: string;
  schedule: string;
  eps: number[];
  methods: string[];
  correct: number;
  rows: SweepRow[];
  runs: { method: string; pairsBounded: number; pairsTotal: number; engineCalls: number; rounds: number; seconds: number; nonMonotone?: number; pilotInputs?: number; expectedProbes?: number; completion?: CompletionSummary }[];
  perSample: SweepSample[];
  seconds: number;
  /** --milp: the per-pair MILP limit and the worker pool's size. */
  milp?: { timeoutS: number; workers: number };
}

export interface CompletionSummary {
  undecidedBefore: number;
  undecidedAfter: number;
  attacks: number;
  attackSeconds: number;
  milpCalls: number;
  milpTimeouts: number;
  cached: number;
  conflicts: number;
  seconds: number;
}

export interface RunInfo {
  run: SweepRun;
  seconds: number;
  /** --milp: the completion of this method's sweep. */
  completion?: Completion;
}

export function completionSummary(c: Completion): CompletionSummary {
  const sum = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0);
  return {
    undecidedBefore: sum(c.undecidedBefore), undecidedAfter: sum(c.undecidedAfter), attacks: c.attacks, attackSeconds: c.attackSeconds,
    milpCalls: sum(c.milpCalls), milpTimeouts: c.milpTimeouts, cached: c.cached, conflicts: c.conflicts, seconds: c.seconds,
  };
}

export function buildRows(eps: readonly number[], samples: number, correct: number, runs: RunInfo[]): SweepRow[] {
  const rows: SweepRow[] = [];
  const E = eps.length;
  for (const { run, completion: c } of runs) {
    const bound = verifiedCounts(run, samples, E);
    const verified = c ? countPerEps(c, samples, E, VERIFIED) : bound;
    const falsified = c ? countPerEps(c, samples, E, FALSIFIED) : eps.map(() => samples - correct);
    const milp = c && {
      verifiedMilp: countPerEps(c, samples, E, VERIFIED, 'milp'), verifiedCrown: countPerEps(c, samples, E, VERIFIED, 'crown'),
      attack: countPerEps(c, samples, E, FALSIFIED, 'attack'), milp: countPerEps(c, samples, E, FALSIFIED, 'milp'),
    };
    eps.forEach((e, k) => {
      rows.push({
        method: run.method,
        eps: e,
        samples,
        correct,
        verified: verified[k],
        falsified: falsified[k],
        undecided: samples - verified[k] - falsified[k],
        boundVerified: bound[k],
        robustAccuracy: verified[k] / samples,
        robustAccuracyUpper: (samples - falsified[k]) / samples,
        bounded: run.boxesPerEps[k],
        seconds: run.secondsPerEps[k],
        ...(c && milp ? {
          milp: {
            undecidedBefore: c.undecidedBefore[k], verified: milp.verifiedMilp[k] + milp.verifiedCrown[k], falsifiedAttack: milp.attack[k],
            falsifiedMilp: milp.milp[k], calls: c.milpCalls[k], seconds: c.milpSeconds[k],
          },
        } : {}),
      });
    });
  }
  return rows;
}

/** Per input, the largest epsilon each method verified (with --milp: and the smallest falsified). */
export function perSample(eps: readonly number[], indices: number[], labels: ArrayLike<number>, predicted: ArrayLike<number>, runs: RunInfo[]): SweepSample[] {
  const E = eps.length;
  const withMilp = runs.some((r) => r.completion);
  return indices.map((index, i) => {
    const maxVerifiedEps: Record<string, number | null> = {};
    const minFalsifiedEps: Record<string, number | null> = {};
    for (const { run, completion: c } of runs) {
      let k = -1, f = -1;
      for (let e = 0; e < E; e++) if (c ? c.status[i * E + e] === VERIFIED : run.verified[i * E + e]) k = e;
      for (let e = E - 1; e >= 0; e--) if (c?.status[i * E + e] === FALSIFIED) f = e;
      maxVerifiedEps[run.method] = k < 0 ? null : eps[k];
      minFalsifiedEps[run.method] = f < 0 ? null : eps[f];
    }
    return { index, label: labels[i], predicted: predicted[i], maxVerifiedEps, ...(withMilp ? { minFalsifiedEps } : {}) };
  });
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

function formatEps(e: number): string {
  return e === 0 ? '0' : Number(e.toPrecision(6)).toString();
}

/** "[95.00%, 97.50%]", or one value once the interval has closed. */
export function formatInterval(lo: number, hi: number): string {
  return lo === hi ? pct(lo) : `[${pct(lo)}, ${pct(hi)}]`;
}

export function formatTable(rep: SweepReport): string {
  const milp = rep.milp !== undefined;
  const head = ['method', 'eps', 'clean acc', 'verified', 'robust acc', 'falsified', 'undecided', 'robust acc interval', 'bounded', 'time (s)',
    ...(milp ? ['milp calls', 'milp (s)', 'closed'] : [])];
  const body = rep.rows.map((r) => [
    r.method, formatEps(r.eps), pct(r.correct / r.samples), `${r.verified}/${r.samples}`, pct(r.robustAccuracy), String(r.falsified), String(r.undecided),
    formatInterval(r.robustAccuracy, r.robustAccuracyUpper), String(r.bounded), r.seconds.toFixed(3),
    ...(r.milp ? [String(r.milp.calls), r.milp.seconds.toFixed(1), r.milp.undecidedBefore ? pct(1 - r.undecided / r.milp.undecidedBefore) : '-'] : milp ? ['-', '-', '-'] : []),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((row) => row[c].length)));
  const line = (cells: string[]) => cells.map((s, c) => (c < 2 ? s.padEnd(widths[c]) : s.padStart(widths[c]))).join('  ');
  const out = [
    `${rep.net} on ${rep.samples} inputs of ${rep.data}; engine ${rep.engine}; schedule ${rep.schedule}` +
      (rep.milp ? `; MILP ${rep.milp.timeoutS} s per pair on ${rep.milp.workers} worker(s)` : ''),
    line(head),
    ...body.map(line),
  ];
  for (const r of rep.runs) {
    const saved = r.pairsTotal ? (100 * (1 - r.pairsBounded / r.pairsTotal)).toFixed(1) : '0';
    out.push(`${r.method}: bounded ${r.pairsBounded} of ${r.pairsTotal} (input, eps) pairs (${saved}% skipped) in ${r.rounds} round(s), ${r.engineCalls} engine call(s), ${r.seconds.toFixed(2)} s` +
      (r.pilotInputs !== undefined ? `; plan from a pilot of ${r.pilotInputs} inputs: ${r.expectedProbes!.toFixed(2)} probes per input expected` : '') +
      (r.nonMonotone !== undefined ? `; ${r.nonMonotone} pair(s) unverified below a verified eps` : ''));
    const c = r.completion;
    if (c) {
      const closed = c.undecidedBefore - c.undecidedAfter;
      out.push(`${r.method} + attack + MILP: decided ${closed} of the ${c.undecidedBefore} pair(s) the bounds left undecided` +
        (c.undecidedBefore ? ` (${((100 * closed) / c.undecidedBefore).toFixed(1)}%)` : '') +
        ` with ${c.attacks} attack(s) (${c.attackSeconds.toFixed(1)} s) and ${c.milpCalls} MILP quer${c.milpCalls === 1 ? 'y' : 'ies'} (${c.milpTimeouts} timed out)` +
        (c.cached ? `, ${c.cached} answer(s) reused from an earlier method` : '') + ` in ${c.seconds.toFixed(1)} s` +
        (c.conflicts ? `; WARNING: ${c.conflicts} input(s) where a proof and a counterexample disagreed` : ''));
    }
  }
  return out.join('\n');
}

export function toJson(rep: SweepReport): unknown {
  return {
    net: rep.net,
    data: rep.data,
    samples: rep.samples,
    backend: rep.backend,
    engine: rep.engine,
    schedule: rep.schedule,
    eps: rep.eps,
    methods: rep.methods,
    clean_correct: rep.correct,
    clean_accuracy: rep.correct / rep.samples,
    seconds: rep.seconds,
    milp: rep.milp ? { timeout_s: rep.milp.timeoutS, workers: rep.milp.workers } : null,
    results: rep.rows.map((r) => ({
      method: r.method, eps: r.eps, verified: r.verified, falsified: r.falsified, undecided: r.undecided, bound_verified: r.boundVerified,
      robust_accuracy: r.robustAccuracy, robust_accuracy_upper: r.robustAccuracyUpper, robust_accuracy_interval: [r.robustAccuracy, r.robustAccuracyUpper],
      pairs_bounded: r.bounded, seconds: r.seconds,
      ...(r.milp ? {
        milp: {
          undecided_before: r.milp.undecidedBefore, verified: r.milp.verified, falsified_attack: r.milp.falsifiedAttack,
          falsified_milp: r.milp.falsifiedMilp, calls: r.milp.calls, seconds: r.milp.seconds,
        },
      } : {}),
    })),
    runs: rep.runs.map((r) => ({
      method: r.method, pairs_bounded: r.pairsBounded, pairs_total: r.pairsTotal, engine_calls: r.engineCalls,
      rounds: r.rounds, seconds: r.seconds, ...(r.nonMonotone !== undefined ? { non_monotone: r.nonMonotone } : {}),
      ...(r.pilotInputs !== undefined ? { pilot_inputs: r.pilotInputs, expected_probes_per_input: r.expectedProbes } : {}),
      ...(r.completion ? {
        completion: {
          undecided_before: r.completion.undecidedBefore, undecided_after: r.completion.undecidedAfter, attacks: r.completion.attacks,
          attack_seconds: r.completion.attackSeconds, milp_calls: r.completion.milpCalls, milp_timeouts: r.completion.milpTimeouts,
          reused: r.completion.cached, conflicts: r.completion.conflicts, seconds: r.completion.seconds,
        },
      } : {}),
    })),
    per_sample: rep.perSample.map((s) => ({
      index: s.index, label: s.label, predicted: s.predicted, max_verified_eps: s.maxVerifiedEps,
      ...(s.minFalsifiedEps ? { min_falsified_eps: s.minFalsifiedEps } : {}),
    })),
  };
}

export function toCsv(rep: SweepReport): string {
  const milp = rep.milp !== undefined;
  const lines = ['method,eps,samples,clean_correct,clean_accuracy,verified,falsified,undecided,bound_verified,robust_accuracy,robust_accuracy_upper,pairs_bounded,seconds' +
    (milp ? ',undecided_before,milp_verified,falsified_attack,falsified_milp,milp_calls,milp_seconds' : '')];
  for (const r of rep.rows) {
    const m = r.milp;
    lines.push([r.method, r.eps, r.samples, r.correct, r.correct / r.samples, r.verified, r.falsified, r.undecided, r.boundVerified, r.robustAccuracy, r.robustAccuracyUpper, r.bounded, r.seconds.toFixed(6),
      ...(milp ? [m?.undecidedBefore ?? 0, m?.verified ?? 0, m?.falsifiedAttack ?? 0, m?.falsifiedMilp ?? 0, m?.calls ?? 0, (m?.seconds ?? 0).toFixed(6)] : [])].join(','));
  }
  return lines.join('\n') + '\n';
}
