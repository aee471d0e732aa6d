// The sweep's results as a table (stdout), JSON (--out), CSV per (method, eps) (--csv) and CSV per
// (input, eps) pair (--pairs). Per (method, eps) robust accuracy is an interval
// [verified, samples − falsified − misclassified] / samples: verified by the method's bounds (or,
// with --complete, by the cascade), falsified by a replayed counterexample (attack or cascade),
// misclassified inputs in their own column (each input is its own counterexample); the interval
// closes where nothing is left undecided. Every pair has one record: its verdict, what decided
// it, the time spent on it, why it is still open, and the counterexample as data.
import type { SweepRun } from './scheduler.js';
import type { PairTable } from './pairs.js';
import { FALSIFIED, MISCLASSIFIED, VERIFIED, VERDICTS } from './pairs.js';

export interface SweepRow {
  method: string;
  eps: number;
  samples: number;
  correct: number;
  /** Inputs proven robust: by this method's bounds, or (--complete) by the cascade. */
  verified: number;
  /** Correctly classified inputs with a replayed counterexample in the ball. */
  falsified: number;
  misclassified: number;
  /** samples − verified − falsified − misclassified */
  undecided: number;
  /** Verified by the bounds alone. */
  boundVerified: number;
  /** verified / samples */
  robustAccuracy: number;
  /** (samples − falsified − misclassified) / samples */
  robustAccuracyUpper: number;
  /** Pairs the engine bounded at this epsilon, and the engine time they took. */
  bounded: number;
  seconds: number;
  /** What decided the pairs of this epsilon (method name, 'attack', a cascade stage, 'misclassified'). */
  decidedBy: Record<string, number>;
}

export interface SweepSample {
  index: number;
  label: number;
  predicted: number;
  /** Largest epsilon verified, per method (null: none). */
  maxVerifiedEps: Record<string, number | null>;
  /** Smallest epsilon falsified (null: none). */
  minFalsifiedEps: number | null;
}

export interface PairRecord {
  index: number;
  eps: number;
  verdict: string;
  decidedBy: string | null;
  timeS: number;
  reason?: string;
  /** The replayed counterexample, on the input's smallest falsified pair only ... */
  counterexample?: number[];
  /** ... which the input's larger falsified pairs name (the same point lies in their balls). */
  counterexampleEps?: number;
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
  /** The attack phase. */
  attack: { attacks: number; seconds: number };
  /** --complete: the per-pair budget, the cascade calls and their time. */
  complete?: { timeoutS: number; calls: number; seconds: number; openReasons: Record<string, number>; decidedBy?: Record<string, number> };
  conflicts: number;
  /** Interrupted: what was decided so far (every count is still sound). */
  partial: boolean;
}

export interface RunInfo {
  run: SweepRun;
  seconds: number;
}

/**
 * Rows per (method, eps). `shared`: a proof by any method counts for every method's row (with
 * --complete the answer is exact, whatever method bounded first; boundVerified stays the method's own).
 */
export function buildRows(eps: readonly number[], samples: number, correct: number, runs: RunInfo[], table: PairTable, shared = false): SweepRow[] {
  const rows: SweepRow[] = [];
  const E = eps.length;
  for (const { run } of runs) {
    eps.forEach((e, k) => {
      let verified = 0, bound = 0, falsified = 0, mis = 0;
      const decidedBy: Record<string, number> = {};
      for (let i = 0; i < samples; i++) {
        const p = i * E + k;
        const s = table.status[p];
        let by: string | undefined;
        const other = shared ? runs.find((r) => r.run.verified[p]) : undefined;
        if (run.verified[p]) { bound++; verified++; by = run.method; }
        else if (other) { verified++; by = other.run.method; }
        else if (s === VERIFIED) { verified++; by = table.by[p]; }
        else if (s === FALSIFIED) { falsified++; by = table.by[p]; }
        else if (s === MISCLASSIFIED) { mis++; by = 'misclassified'; }
        if (by) decidedBy[by] = (decidedBy[by] ?? 0) + 1;
      }
      rows.push({
        method: run.method, eps: e, samples, correct, verified, falsified, misclassified: mis,
        undecided: samples - verified - falsified - mis, boundVerified: bound,
        robustAccuracy: verified / samples, robustAccuracyUpper: (samples - falsified - mis) / samples,
        bounded: run.boxesPerEps[k], seconds: run.secondsPerEps[k], decidedBy,
      });
    });
  }
  return rows;
}

/** Per input, the largest epsilon each method verified and the smallest one falsified. */
export function perSample(eps: readonly number[], indices: number[], labels: ArrayLike<number>, predicted: ArrayLike<number>, runs: RunInfo[], table: PairTable, shared = false): SweepSample[] {
  const E = eps.length;
  return indices.map((index, i) => {
    const maxVerifiedEps: Record<string, number | null> = {};
    for (const { run } of runs) {
      let k = -1;
      for (let e = 0; e < E; e++) if (run.verified[i * E + e] || table.status[i * E + e] === VERIFIED || (shared && runs.some((r) => r.run.verified[i * E + e]))) k = e;
      maxVerifiedEps[run.method] = k < 0 ? null : eps[k];
    }
    const f = table.firstFalsified(i);
    return { index, label: labels[i], predicted: predicted[i], maxVerifiedEps, minFalsifiedEps: f < E ? eps[f] : null };
  });
}

/** One record per (input, eps): the best verdict over the methods (a bound proof names its method). */
export function pairRecords(eps: readonly number[], indices: number[], runs: RunInfo[], table: PairTable): PairRecord[] {
  const E = eps.length;
  const out: PairRecord[] = [];
  indices.forEach((index, i) => {
    const cex = table.cex.get(i);
    for (let k = 0; k < E; k++) {
      const p = i * E + k;
      const bound = runs.find(({ run }) => run.verified[p]);
      const s = table.status[p];
      const verdict = bound ? 'verified' : VERDICTS[s];
      const rec: PairRecord = { index, eps: eps[k], verdict, decidedBy: bound ? bound.run.method : table.by[p] || null, timeS: table.timeS[p] };
      if (!bound && table.reason[p]) rec.reason = table.reason[p];
      if (!bound && s === FALSIFIED && cex) {
        if (cex.k === k) rec.counterexample = Array.from(cex.x);
        else rec.counterexampleEps = eps[cex.k];
      }
      out.push(rec);
    }
  });
  return out;
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
  const head = ['method', 'eps', 'clean acc', 'verified', 'robust acc', 'falsified', 'misclassified', 'undecided', 'robust acc interval', 'bounded', 'time (s)'];
  const body = rep.rows.map((r) => [
    r.method, formatEps(r.eps), pct(r.correct / r.samples), `${r.verified}/${r.samples}`, pct(r.robustAccuracy), String(r.falsified), String(r.misclassified), String(r.undecided),
    formatInterval(r.robustAccuracy, r.robustAccuracyUpper), String(r.bounded), r.seconds.toFixed(3),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((row) => row[c].length)));
  const line = (cells: string[]) => cells.map((s, c) => (c < 2 ? s.padEnd(widths[c]) : s.padStart(widths[c]))).join('  ');
  const out = [
    `${rep.net} on ${rep.samples} inputs of ${rep.data}; engine ${rep.engine}; schedule ${rep.schedule}` +
      (rep.complete ? `; --complete: the verify cascade, ${rep.complete.timeoutS} s per open pair (pooled per input)` : '') + (rep.partial ? '; PARTIAL (interrupted)' : ''),
    line(head),
    ...body.map(line),
  ];
  for (const r of rep.runs) {
    const saved = r.pairsTotal ? (100 * (1 - r.pairsBounded / r.pairsTotal)).toFixed(1) : '0';
    out.push(`${r.method}: bounded ${r.pairsBounded} of ${r.pairsTotal} (input, eps) pairs (${saved}% skipped) in ${r.rounds} round(s), ${r.engineCalls} engine call(s), ${r.seconds.toFixed(2)} s` +
      (r.pilotInputs !== undefined ? `; plan from a pilot of ${r.pilotInputs} inputs: ${r.expectedProbes!.toFixed(2)} probes per input expected` : '') +
      (r.nonMonotone !== undefined ? `; ${r.nonMonotone} pair(s) unverified below a verified eps` : ''));
  }
  out.push(`attack: ${rep.attack.attacks} (input, eps) pair(s) attacked in ${rep.attack.seconds.toFixed(2)} s (PGD, every counterexample replayed in float64)`);
  if (rep.complete) {
    out.push(`--complete: ${rep.complete.calls} cascade call(s) in ${rep.complete.seconds.toFixed(1)} s`, ...stageTable(rep).map((l) => '  ' + l));
  }
  if (rep.conflicts) out.push(`WARNING: ${rep.conflicts} pair(s) where a proof and a replayed counterexample disagreed (the counterexample is counted)`);
  return out.join('\n');
}

/** Stages in the order the sweep runs them (what the stage table lists first). */
const STAGE_ORDER = ['misclassified', 'attack', 'ibp', 'crown', 'attack-strong', 'cascade-attack', 'cascade-ibp', 'cascade-crown', 'alpha-crown', 'refine', 'bab', 'milp'];

/** Per stage: the pairs it decided over every eps of the last method's rows (directly or by
 *  monotonicity), and how many it decided itself (--complete's stages: one per attack or cascade
 *  call that decided); then the undecided pairs by reason. */
export function stageRows(rep: SweepReport): { stage: string; pairs: number; direct?: number }[] {
  const by: Record<string, number> = {};
  let undecided = 0;
  for (const r of rep.rows.filter((x) => x.method === rep.methods[rep.methods.length - 1])) {
    for (const [k, v] of Object.entries(r.decidedBy)) by[k] = (by[k] ?? 0) + v;
    undecided += r.undecided;
  }
  const direct = rep.complete?.decidedBy ?? {};
  const names = [...STAGE_ORDER.filter((k) => by[k] || direct[k]), ...Object.keys(by).filter((k) => !STAGE_ORDER.includes(k))];
  const rows: { stage: string; pairs: number; direct?: number }[] = names.map((k) => ({ stage: k, pairs: by[k] ?? 0, ...(k in direct ? { direct: direct[k] } : {}) }));
  rows.push({ stage: 'undecided', pairs: undecided });
  return rows;
}

function stageTable(rep: SweepReport): string[] {
  const rows = stageRows(rep);
  const reasons = Object.entries(rep.complete?.openReasons ?? {}).map(([k, v]) => `${v} ${k}`).join(', ');
  const w = Math.max(...rows.map((r) => r.stage.length));
  return ['decided by'.padEnd(w) + '  pairs  direct', ...rows.map((r) =>
    `${r.stage.padEnd(w)}  ${String(r.pairs).padStart(5)}  ${r.direct === undefined ? '     -' : String(r.direct).padStart(6)}` + (r.stage === 'undecided' && reasons ? `  (${reasons})` : ''))];
}

export function toJson(rep: SweepReport, pairs: PairRecord[]): unknown {
  return {
    partial: rep.partial,
    net: rep.net,
    data: rep.data,
    samples: rep.samples,
    backend: rep.backend,
    engine: rep.engine,
    schedule: rep.schedule,
    eps: rep.eps,
    methods: rep.methods,
    cleanCorrect: rep.correct,
    cleanAccuracy: rep.correct / rep.samples,
    timeS: rep.seconds,
    attack: { attacks: rep.attack.attacks, timeS: rep.attack.seconds },
    complete: rep.complete ? { timeoutS: rep.complete.timeoutS, calls: rep.complete.calls, timeS: rep.complete.seconds, openReasons: rep.complete.openReasons, stages: stageRows(rep) } : null,
    conflicts: rep.conflicts,
    results: rep.rows.map((r) => ({
      method: r.method, eps: r.eps, verified: r.verified, falsified: r.falsified, misclassified: r.misclassified, undecided: r.undecided,
      boundVerified: r.boundVerified, robustAccuracy: r.robustAccuracy, robustAccuracyUpper: r.robustAccuracyUpper,
      robustAccuracyInterval: [r.robustAccuracy, r.robustAccuracyUpper], pairsBounded: r.bounded, timeS: r.seconds, decidedBy: r.decidedBy,
    })),
    runs: rep.runs.map((r) => ({
      method: r.method, pairsBounded: r.pairsBounded, pairsTotal: r.pairsTotal, engineCalls: r.engineCalls,
      rounds: r.rounds, timeS: r.seconds, ...(r.nonMonotone !== undefined ? { nonMonotone: r.nonMonotone } : {}),
      ...(r.pilotInputs !== undefined ? { pilotInputs: r.pilotInputs, expectedProbesPerInput: r.expectedProbes } : {}),
    })),
    perSample: rep.perSample.map((s) => ({ index: s.index, label: s.label, predicted: s.predicted, maxVerifiedEps: s.maxVerifiedEps, minFalsifiedEps: s.minFalsifiedEps })),
    pairs,
  };
}

export function toCsv(rep: SweepReport): string {
  const lines = ['method,eps,samples,cleanCorrect,cleanAccuracy,verified,falsified,misclassified,undecided,boundVerified,robustAccuracy,robustAccuracyUpper,pairsBounded,timeS,partial'];
  for (const r of rep.rows) {
    lines.push([r.method, r.eps, r.samples, r.correct, r.correct / r.samples, r.verified, r.falsified, r.misclassified, r.undecided, r.boundVerified,
      r.robustAccuracy, r.robustAccuracyUpper, r.bounded, r.seconds.toFixed(6), rep.partial].join(','));
  }
  return lines.join('\n') + '\n';
}

/**
 * One row per (input, eps); the counterexample is its values separated by spaces, on the input's
 * smallest falsified pair (its larger ones give that eps in counterexampleEps).
 */
export function pairsCsv(pairs: PairRecord[], partial: boolean): string {
  const lines = ['index,eps,verdict,decidedBy,timeS,reason,partial,counterexampleEps,counterexample'];
  for (const p of pairs) {
    const reason = p.reason ? `"${p.reason.replace(/"/g, '""')}"` : '';
    lines.push([p.index, p.eps, p.verdict, p.decidedBy ?? '', p.timeS.toFixed(6), reason, partial, p.counterexample ? p.eps : p.counterexampleEps ?? '', p.counterexample ? p.counterexample.join(' ') : ''].join(','));
  }
  return lines.join('\n') + '\n';
}
