// The sweep's report and files from assembled blocks (a queue's results, or merged shards):
// the same SweepReport fields, table, JSON, CSV, plot and HTML page as the local `sweep` writes
// at its end (src/commands/sweep.ts), through the same report functions.
import type { Network } from '../network.js';
import { svgLinePlot } from '../report/svg-plot.js';
import { writeHtmlReport } from '../report/html.js';
import { sweepHtmlReport } from '../report/sweep-html.js';
import type { RunInfo, SweepReport } from '../sweep/report.js';
import { buildRows, completionSummary, formatTable, perSample, toCsv, toJson } from '../sweep/report.js';
import type { LabelledInputs } from '../sweep/inputs.js';
import { writeFileAtomic } from '../outputs.js';
import type { SweepSettings } from './sweep-blocks.js';

export interface SweepFiles { out?: string; csv?: string; plot?: string; html?: string }

export function sweepReport(net: Network, data: LabelledInputs, predicted: ArrayLike<number>, correct: number, settings: SweepSettings,
  runs: RunInfo[], info: { backend: string; engine: string; seconds: number; milpWorkers?: number }): SweepReport {
  const milp = settings.milpTimeoutS !== undefined;
  return {
    net: net.name,
    data: data.source,
    samples: data.count,
    backend: info.backend,
    engine: info.engine,
    schedule: settings.schedule,
    eps: settings.eps,
    methods: settings.methods,
    correct,
    rows: buildRows(settings.eps, data.count, correct, runs),
    runs: runs.map(({ run, seconds, completion }) => ({
      method: run.method, pairsBounded: run.pairsBounded, pairsTotal: run.pairsTotal, engineCalls: run.engineCalls,
      rounds: run.rounds, seconds, nonMonotone: run.nonMonotone, pilotInputs: run.pilotInputs, expectedProbes: run.expectedProbes,
      ...(completion ? { completion: completionSummary(completion) } : {}),
    })),
    perSample: perSample(settings.eps, data.indices, data.labels, predicted, runs),
    seconds: info.seconds,
    ...(milp ? { milp: { timeoutS: settings.milpTimeoutS!, workers: info.milpWorkers ?? 1 } } : {}),
  };
}

/** Prints the table and writes the files the local sweep would write for the same flags. */
export function writeSweepOutputs(report: SweepReport, files: SweepFiles, net: Network, data: LabelledInputs): void {
  const milp = report.milp !== undefined;
  process.stdout.write(formatTable(report) + '\n');
  if (files.out !== undefined) writeFileAtomic(files.out, JSON.stringify(toJson(report), null, 1) + '\n', '--out');
  if (files.csv !== undefined) writeFileAtomic(files.csv, toCsv(report), '--csv');
  if (files.plot !== undefined) {
    const series = report.methods.map((method) => {
      const rows = report.rows.filter((r) => r.method === method);
      const band = milp ? { lower: rows.map((r) => 100 * r.robustAccuracy), upper: rows.map((r) => 100 * r.robustAccuracyUpper) } : undefined;
      return { label: method.toUpperCase() + (milp ? ' + MILP' : ''), x: rows.map((r) => r.eps), y: rows.map((r) => 100 * r.robustAccuracy), ...(band ? { band } : {}) };
    });
    const svg = svgLinePlot(series, {
      title: `${net.name}: robust accuracy on ${data.count} inputs of ${data.source}${milp ? ' (band: not yet decided)' : ''}`,
      xLabel: 'epsilon (L-infinity radius)',
      xRange: [0, report.eps[report.eps.length - 1]],
      yLabel: 'robust accuracy (%)',
      reference: { label: 'clean accuracy', y: (100 * report.correct) / data.count },
    });
    writeFileAtomic(files.plot, svg, '--plot');
  }
  if (files.html !== undefined) writeHtmlReport(files.html, sweepHtmlReport(report, net, { inputs: data.inputs }));
}
