// The end of every sweep: from the pair table and the methods' runs to the report, the table on
// stdout (or --json) and the files (--out, --csv, --pairs, --plot, --html). One writer for the
// local sweep, the queue's submitter and `veribound merge` of sweep shards, so the three write
// the same bytes in the same order for the same answers.
import type { Network } from '../network.js';
import { pictureFormat, writePicture } from '../report/plot-file.js';
import { sweepPlotSvg } from '../report/sweep-plot.js';
import { writeHtmlReport } from '../report/html.js';
import { sweepHtmlReport } from '../report/sweep-html.js';
import { writeFileAtomic } from '../outputs.js';
import { jsonDoc, printJson } from '../json-doc.js';
import type { RunInfo, SweepReport } from './report.js';
import { buildRows, formatTable, pairRecords, pairsCsv, perSample, toCsv, toJson } from './report.js';
import type { PairTable } from './pairs.js';
import type { LabelledInputs } from './inputs.js';
import type { BlockSettings } from './block.js';

export interface SweepFiles {
  out?: string;
  csv?: string;
  pairs?: string;
  plot?: string;
  html?: string;
  /** The JSON document on stdout instead of the table. */
  json?: boolean;
}

export interface SweepAnswers {
  /** The network margins are taken on, and the inputs (all of them, misclassified ones included). */
  net: Network;
  data: LabelledInputs;
  predicted: ArrayLike<number>;
  /** Correctly classified inputs. */
  correct: number;
  settings: BlockSettings;
  table: PairTable;
  /** One per method that ran, in the methods' order. */
  runs: RunInfo[];
  attack: { attacks: number; seconds: number };
  completeStats?: { calls: number; seconds: number; decidedBy: Record<string, number> };
  backend: string;
  engine: string;
  /** Wall-clock seconds of the whole sweep. */
  seconds: number;
  partial: boolean;
}

/** Rejects a --plot path of an unknown picture format before any work. */
export function checkPlotPath(plot: string | undefined): void {
  if (plot !== undefined) pictureFormat(plot, '--plot');
}

/** The report of a finished (or interrupted) sweep; fills in the rows of methods that never ran and counts conflicts. */
export function sweepReport(a: SweepAnswers): SweepReport {
  const { data, table, settings } = a;
  const { eps, methods, schedule } = settings;
  const runs = [...a.runs];
  // an interrupted method still gets rows: what it proved so far
  for (const method of methods.slice(runs.length)) {
    runs.push({ run: { method, schedule, verified: new Uint8Array(data.count * eps.length), pairsBounded: 0, pairsTotal: data.count * eps.length, engineCalls: 0, rounds: 0, secondsPerEps: new Float64Array(eps.length), boxesPerEps: new Int32Array(eps.length), lo: new Int32Array(data.count), hi: new Int32Array(data.count), interrupted: true }, seconds: 0 });
  }
  a.runs = runs;
  // a bound proof of a pair with a replayed counterexample would be a soundness bug: counted, the counterexample wins
  for (const { run } of runs) for (let p = 0; p < table.status.length; p++) if (run.verified[p] && table.status[p] === 2) { table.conflicts++; run.verified[p] = 0; }
  return {
    net: a.net.name,
    data: data.source,
    samples: data.count,
    backend: a.backend,
    engine: a.engine,
    schedule,
    eps,
    methods,
    correct: a.correct,
    rows: buildRows(eps, data.count, a.correct, runs, table, settings.complete),
    runs: runs.map(({ run, seconds }) => ({
      method: run.method, pairsBounded: run.pairsBounded, pairsTotal: run.pairsTotal, engineCalls: run.engineCalls,
      rounds: run.rounds, seconds, nonMonotone: run.nonMonotone, pilotInputs: run.pilotInputs, expectedProbes: run.expectedProbes,
    })),
    perSample: perSample(eps, data.indices, data.labels, a.predicted, runs, table, settings.complete),
    seconds: a.seconds,
    attack: a.attack,
    ...(settings.complete ? { complete: { timeoutS: settings.timeoutS, calls: a.completeStats?.calls ?? 0, seconds: a.completeStats?.seconds ?? 0, openReasons: openReasons(table, runs), decidedBy: a.completeStats?.decidedBy ?? {} } } : {}),
    conflicts: table.conflicts,
    partial: a.partial,
  };
}

/**
 * Prints the table (or --json) and writes every file asked for; returns the report and the files
 * written. `extra`: fields appended to the JSON document (a queue's overhead).
 */
export function writeSweepOutputs(a: SweepAnswers, files: SweepFiles, extra: Record<string, unknown> = {}): { report: SweepReport; written: string[] } {
  const report = sweepReport(a);
  const { net, data, settings, partial } = a;
  const written: string[] = [];
  const pairs = files.out !== undefined || files.pairs !== undefined || files.json ? pairRecords(settings.eps, data.indices, a.runs, a.table) : [];
  const doc = jsonDoc({ ...(toJson(report, pairs) as Record<string, unknown>), ...extra }, { engine: a.engine });
  if (files.json) printJson(doc);
  else process.stdout.write(formatTable(report) + '\n');
  if (files.out !== undefined) { writeFileAtomic(files.out, JSON.stringify(doc) + '\n', '--out'); written.push(files.out); }
  if (files.csv !== undefined) { writeFileAtomic(files.csv, toCsv(report), '--csv'); written.push(files.csv); }
  if (files.pairs !== undefined) { writeFileAtomic(files.pairs, pairsCsv(pairs, partial), '--pairs'); written.push(files.pairs); }
  if (files.plot !== undefined) {
    writePicture(files.plot, sweepPlotSvg(report, `${net.name}: ${data.count} inputs of ${data.source}${partial ? ' (partial)' : ''}`), '--plot');
    written.push(files.plot);
  }
  if (files.html !== undefined && !partial) { writeHtmlReport(files.html, sweepHtmlReport(report, net, { inputs: data.inputs })); written.push(files.html); }
  return { report, written };
}

/** Why the pairs still open after --complete are open (pairs never tried: 'not tried'). */
function openReasons(table: PairTable, runs: RunInfo[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (let p = 0; p < table.status.length; p++) {
    if (table.status[p] !== 0 || runs.some(({ run }) => run.verified[p])) continue;
    const r = (table.reason[p] ?? 'not tried').split(':')[0];
    out[r] = (out[r] ?? 0) + 1;
  }
  return out;
}
