// The sweep's results as a table (stdout), JSON (--out) and CSV (--csv). Rows carry the
// falsified count too (so far: the misclassified inputs, each its own counterexample), so that
// robust accuracy is already the interval [verified, samples - falsified] a later MILP stage
// narrows; without it the upper end is the clean accuracy.
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { SweepRun } from './scheduler.js';
import { verifiedCounts } from './scheduler.js';

export interface SweepRow {
  method: string;
  eps: number;
  samples: number;
  correct: number;
  verified: number;
  falsified: number;
  /** verified / samples */
  robustAccuracy: number;
  /** (samples - falsified) / samples */
  robustAccuracyUpper: number;
  /** Pairs the engine bounded at this epsilon, and the engine time they took. */
  bounded: number;
  seconds: number;
}

export interface SweepSample {
  index: number;
  label: number;
  predicted: number;
  /** Largest epsilon verified, per method (null: none). */
  maxVerifiedEps: Record<string, number | null>;
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
  runs: { method: string; pairsBounded: number; pairsTotal: number; engineCalls: number; rounds: number; seconds: number; nonMonotone?: number; pilotInputs?: number; expectedProbes?: number }[];
  perSample: SweepSample[];
  seconds: number;
}

export interface RunInfo {
  run: SweepRun;
  seconds: number;
}

export function buildRows(eps: readonly number[], samples: number, correct: number, runs: RunInfo[]): SweepRow[] {
  const rows: SweepRow[] = [];
  for (const { run } of runs) {
    const counts = verifiedCounts(run, samples, eps.length);
    eps.forEach((e, k) => {
      const falsified = samples - correct;
      rows.push({
        method: run.method,
        eps: e,
        samples,
        correct,
        verified: counts[k],
        falsified,
        robustAccuracy: counts[k] / samples,
        robustAccuracyUpper: (samples - falsified) / samples,
        bounded: run.boxesPerEps[k],
        seconds: run.secondsPerEps[k],
      });
    });
  }
  return rows;
}

/** Per input, the largest epsilon each method verified. */
export function perSample(eps: readonly number[], indices: number[], labels: ArrayLike<number>, predicted: ArrayLike<number>, runs: RunInfo[]): SweepSample[] {
  const E = eps.length;
  return indices.map((index, i) => {
    const maxVerifiedEps: Record<string, number | null> = {};
    for (const { run } of runs) {
      let k = -1;
      for (let e = 0; e < E; e++) if (run.verified[i * E + e]) k = e;
      maxVerifiedEps[run.method] = k < 0 ? null : eps[k];
    }
    return { index, label: labels[i], predicted: predicted[i], maxVerifiedEps };
  });
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

function formatEps(e: number): string {
  return e === 0 ? '0' : Number(e.toPrecision(6)).toString();
}

export function formatTable(rep: SweepReport): string {
  const head = ['method', 'eps', 'clean acc', 'verified', 'robust acc', 'bounded', 'time (s)'];
  const body = rep.rows.map((r) => [r.method, formatEps(r.eps), pct(r.correct / r.samples), `${r.verified}/${r.samples}`, pct(r.robustAccuracy), String(r.bounded), r.seconds.toFixed(3)]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((row) => row[c].length)));
  const line = (cells: string[]) => cells.map((s, c) => (c < 2 ? s.padEnd(widths[c]) : s.padStart(widths[c]))).join('  ');
  const out = [
    `${rep.net} on ${rep.samples} inputs of ${rep.data}; engine ${rep.engine}; schedule ${rep.schedule}`,
    line(head),
    ...body.map(line),
  ];
  for (const r of rep.runs) {
    const saved = r.pairsTotal ? (100 * (1 - r.pairsBounded / r.pairsTotal)).toFixed(1) : '0';
    out.push(`${r.method}: bounded ${r.pairsBounded} of ${r.pairsTotal} (input, eps) pairs (${saved}% skipped) in ${r.rounds} round(s), ${r.engineCalls} engine call(s), ${r.seconds.toFixed(2)} s` +
      (r.pilotInputs !== undefined ? `; plan from a pilot of ${r.pilotInputs} inputs: ${r.expectedProbes!.toFixed(2)} probes per input expected` : '') +
      (r.nonMonotone !== undefined ? `; ${r.nonMonotone} pair(s) unverified below a verified eps` : ''));
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
    results: rep.rows.map((r) => ({
      method: r.method, eps: r.eps, verified: r.verified, falsified: r.falsified,
      robust_accuracy: r.robustAccuracy, robust_accuracy_upper: r.robustAccuracyUpper, pairs_bounded: r.bounded, seconds: r.seconds,
    })),
    runs: rep.runs.map((r) => ({
      method: r.method, pairs_bounded: r.pairsBounded, pairs_total: r.pairsTotal, engine_calls: r.engineCalls,
      rounds: r.rounds, seconds: r.seconds, ...(r.nonMonotone !== undefined ? { non_monotone: r.nonMonotone } : {}),
      ...(r.pilotInputs !== undefined ? { pilot_inputs: r.pilotInputs, expected_probes_per_input: r.expectedProbes } : {}),
    })),
    per_sample: rep.perSample.map((s) => ({ index: s.index, label: s.label, predicted: s.predicted, max_verified_eps: s.maxVerifiedEps })),
  };
}

export function toCsv(rep: SweepReport): string {
  const lines = ['method,eps,samples,clean_correct,clean_accuracy,verified,falsified,robust_accuracy,robust_accuracy_upper,pairs_bounded,seconds'];
  for (const r of rep.rows) {
    lines.push([r.method, r.eps, r.samples, r.correct, r.correct / r.samples, r.verified, r.falsified, r.robustAccuracy, r.robustAccuracyUpper, r.bounded, r.seconds.toFixed(6)].join(','));
  }
  return lines.join('\n') + '\n';
}

/** Fails early (before a long sweep) when an output file's folder does not exist. */
export function checkWritable(file: string, flag: string): void {
  const dir = path.dirname(path.resolve(file));
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new UserError(`${flag} ${file}: folder ${dir} does not exist`);
  }
  if (!st.isDirectory()) throw new UserError(`${flag} ${file}: ${dir} is not a folder`);
}

/** Writes through a temporary file and a rename, so a failure leaves nothing half-written. */
export function writeFileAtomic(file: string, text: string, flag: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new UserError(`${flag} ${file}: cannot write it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}
