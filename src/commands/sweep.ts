// `veribound sweep`: robust accuracy over a range of epsilons — veribound's main job. Inputs
// the network misclassifies are never bounded; each remaining input's epsilon list is bisected
// (verification is monotone in epsilon), one batched engine call per round over all inputs.
// With --milp the pairs the bounds leave undecided go to attacks and the MILP (sweep/milp.ts).
import { parseArgs } from 'node:util';
import os from 'node:os';
import { UserError } from '../errors.js';
import { parseBackend, selectEngine } from '../engine.js';
import { createProgress } from '../progress.js';
import { svgLinePlot } from '../report/svg-plot.js';
import { writeHtmlReport } from '../report/html.js';
import { sweepHtmlReport } from '../report/sweep-html.js';
import { parseCount, parseEpsList } from '../sweep/eps.js';
import { predict } from '../sweep/classify.js';
import type { Schedule, SweepProblem } from '../sweep/scheduler.js';
import { SCHEDULES, bisectRounds, runSweep } from '../sweep/scheduler.js';
import type { RunInfo, SweepReport } from '../sweep/report.js';
import { buildRows, formatTable, perSample, toCsv, toJson } from '../sweep/report.js';
import { checkWritable, writeFileAtomic } from '../outputs.js';
import { completionSummary } from '../sweep/report.js';
import { joinNegativeValues, loadTarget, parseMethods } from '../sweep/setup.js';
import { completeSweep, newCompletionCache } from '../sweep/milp.js';
import { MilpPool } from '../milp/index.js';

export const summary = 'robust accuracy over a range of epsilons (table, JSON, CSV, SVG plot)';

export const usage = `
usage: veribound sweep [options]

  --net PATH|NAME     ONNX file or bundled network (default mnist-mlp)
  --samples N         the first N test images of --data (default 1000)
  --data SPEC         mnist (default), mnist:AvB or folder:PATH (images resized to the network's input)
  --inputs FILE.json  {"inputs": [[...], ...], "labels": [...]} instead of --samples
  --eps LIST          start:stop:count (default 0.01:0.1:10) or a comma list (0.01,0.02,0.05)
  --method M          crown (default), ibp, or a comma list (ibp,crown: one curve each)
  --backend B         auto (default: a hardware GPU, else the CPU), gpu or cpu
  --schedule S        how each input's epsilons are searched (verified at eps => verified below):
                      adaptive (default: bisect a pilot of inputs, then the plan of least expected
                      engine time for the boundaries and costs it measured), bisect, or all
                      (bound every (input, eps) pair; for checking)
  --batch N           boxes per engine call (default 4096)
  --out FILE.json     results (per epsilon, per input, and pairs bounded vs total)
  --csv FILE          one row per (method, eps)
  --plot FILE.svg     robust accuracy vs epsilon, one line per method
  --html FILE.html    one self-contained report page: network, curve, table, example images
  --milp              decide the (input, eps) pairs the bounds leave undecided: a short PGD attack,
                      then the exact MILP; robust accuracy becomes an interval [verified, 1 - falsified]
                      that closes where nothing is left undecided (the plot shades it)
  --milp-timeout S    MILP time limit per (input, eps) pair in seconds (default 10)
  --shard K/N         only the K-th of N round-robin parts of the inputs (K = auto: from
                      SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX); --out is then a shard file
                      for 'veribound merge', which writes the JSON, CSV, plot and HTML
  --queue URL         send blocks of inputs to 'veribound worker's on Redis (redis:// or rediss://)
  --block N           with --queue: inputs per job (default 8); the jobs of an interrupted
                      sweep --queue are collected by running the same command again
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: joinNegativeValues(argv),
    options: {
      net: { type: 'string', default: 'mnist-mlp' },
      samples: { type: 'string' },
      data: { type: 'string' },
      inputs: { type: 'string' },
      eps: { type: 'string', default: '0.01:0.1:10' },
      method: { type: 'string', default: 'crown' },
      backend: { type: 'string', default: 'auto' },
      schedule: { type: 'string', default: 'adaptive' },
      batch: { type: 'string', default: '4096' },
      out: { type: 'string' },
      csv: { type: 'string' },
      plot: { type: 'string' },
      html: { type: 'string' },
      milp: { type: 'boolean', default: false },
      'milp-timeout': { type: 'string' },
      shard: { type: 'string' },
      queue: { type: 'string' },
      block: { type: 'string', default: '8' },
    },
    allowPositionals: false,
  });
  const eps = parseEpsList(values.eps!);
  const methods = parseMethods(values.method!);
  const backend = parseBackend(values.backend);
  const schedule = values.schedule as Schedule;
  if (!SCHEDULES.includes(schedule)) throw new UserError(`--schedule '${values.schedule}': expected ${SCHEDULES.join(' or ')}`);
  const batch = parseCount(values.batch!, '--batch');
  if (values.inputs !== undefined && (values.samples !== undefined || values.data !== undefined)) throw new UserError('sweep: --inputs replaces --samples and --data; give one or the other');
  const samples = parseCount(values.samples ?? '1000', '--samples');
  if (values['milp-timeout'] !== undefined && !values.milp) throw new UserError('sweep: --milp-timeout applies to --milp; add --milp');
  const milpTimeout = parseSeconds(values['milp-timeout'] ?? '10', '--milp-timeout');
  if (values.out !== undefined) checkWritable(values.out, '--out');
  if (values.csv !== undefined) checkWritable(values.csv, '--csv');
  if (values.plot !== undefined) checkWritable(values.plot, '--plot');
  if (values.html !== undefined) checkWritable(values.html, '--html');
  if (values.shard !== undefined || values.queue !== undefined) {
    return (await import('../shard/sweep-shard.js')).scaleOutSweep({ target: { net: values.net!, data: values.data, samples, inputsFile: values.inputs },
      settings: { methods, eps, schedule, batch, ...(values.milp ? { milpTimeoutS: milpTimeout } : {}) }, backend,
      files: { out: values.out, csv: values.csv, plot: values.plot, html: values.html }, shard: values.shard, queue: values.queue, block: values.block! });
  }

  const t0 = performance.now();
  const { net, data } = await loadTarget({ net: values.net!, data: values.data, samples, inputsFile: values.inputs });
  const { predicted } = predict(net, data.inputs, data.count);
  const candidates: number[] = [];
  for (let i = 0; i < data.count; i++) if (predicted[i] === data.labels[i]) candidates.push(i);
  const engine = await selectEngine(backend);
  const engineName = engine.describe();
  const runs: RunInfo[] = [];
  try {
    // progress in (input, eps) pairs; bisection's bound per method until a plan gives an estimate
    const perMethod = candidates.length * (schedule === 'all' ? eps.length : bisectRounds(eps.length));
    const progress = createProgress(perMethod * methods.length, `sweep ${net.name}`);
    let done = 0;
    try {
      for (const [m, method] of methods.entries()) {
        const start = performance.now();
        const run = await runSweep(engine, { net, inputs: data.inputs, labels: data.labels, count: data.count, eps, candidates }, {
          method, schedule, batch,
          onBounded: (n) => progress.tick(n),
          onEstimate: (pairs) => progress.setTotal(done + pairs + perMethod * (methods.length - m - 1)),
        });
        done += run.pairsBounded;
        runs.push({ run, seconds: (performance.now() - start) / 1000 });
      }
    } finally {
      progress.stop();
    }
  } finally {
    await engine.dispose();
  }
  const pool = values.milp ? new MilpPool(Math.max(1, os.availableParallelism())) : undefined;
  if (pool) {
    try {
      await complete(runs, { net, inputs: data.inputs, labels: data.labels, count: data.count, eps, candidates }, milpTimeout, pool);
    } finally {
      await pool.close();
    }
  }

  const correct = candidates.length;
  const report: SweepReport = {
    net: net.name,
    data: data.source,
    samples: data.count,
    backend: engine.backend,
    engine: engineName,
    schedule,
    eps,
    methods,
    correct,
    rows: buildRows(eps, data.count, correct, runs),
    runs: runs.map(({ run, seconds, completion }) => ({
      method: run.method, pairsBounded: run.pairsBounded, pairsTotal: run.pairsTotal, engineCalls: run.engineCalls,
      rounds: run.rounds, seconds, nonMonotone: run.nonMonotone, pilotInputs: run.pilotInputs, expectedProbes: run.expectedProbes,
      ...(completion ? { completion: completionSummary(completion) } : {}),
    })),
    perSample: perSample(eps, data.indices, data.labels, predicted, runs),
    seconds: (performance.now() - t0) / 1000,
    ...(pool ? { milp: { timeoutS: milpTimeout, workers: pool.size } } : {}),
  };
  process.stdout.write(formatTable(report) + '\n');
  if (values.out !== undefined) writeFileAtomic(values.out, JSON.stringify(toJson(report), null, 1) + '\n', '--out');
  if (values.csv !== undefined) writeFileAtomic(values.csv, toCsv(report), '--csv');
  if (values.plot !== undefined) {
    const series = methods.map((method) => {
      const rows = report.rows.filter((r) => r.method === method);
      // with --milp the line is the proven lower end and the band reaches up to 1 - falsified
      const band = pool ? { lower: rows.map((r) => 100 * r.robustAccuracy), upper: rows.map((r) => 100 * r.robustAccuracyUpper) } : undefined;
      return { label: method.toUpperCase() + (pool ? ' + MILP' : ''), x: rows.map((r) => r.eps), y: rows.map((r) => 100 * r.robustAccuracy), ...(band ? { band } : {}) };
    });
    const svg = svgLinePlot(series, {
      title: `${net.name}: robust accuracy on ${data.count} inputs of ${data.source}${pool ? ' (band: not yet decided)' : ''}`,
      xLabel: 'epsilon (L-infinity radius)',
      xRange: [0, eps[eps.length - 1]],
      yLabel: 'robust accuracy (%)',
      reference: { label: 'clean accuracy', y: (100 * correct) / data.count },
    });
    writeFileAtomic(values.plot, svg, '--plot');
  }
  if (values.html !== undefined) writeHtmlReport(values.html, sweepHtmlReport(report, net, { inputs: data.inputs }));
  return 0;
}

function parseSeconds(text: string, flag: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v <= 0) throw new UserError(`${flag} '${text}': expected a positive number of seconds`);
  return v;
}

/** --milp: completes each method's run in turn; exact answers carry over to the next method. */
async function complete(runs: RunInfo[], problem: SweepProblem, timeLimitS: number, pool: MilpPool): Promise<void> {
  const E = problem.eps.length;
  // progress in pairs to decide: per method, the correctly classified pairs above its largest verified eps
  let total = 0;
  for (const { run } of runs) {
    for (const i of Array.from(problem.candidates)) {
      let lo = 0;
      for (let k = 0; k < E; k++) if (run.verified[i * E + k]) lo = k + 1;
      total += E - lo;
    }
  }
  const progress = createProgress(total, `sweep --milp ${problem.net.name}`);
  const cache = newCompletionCache();
  try {
    for (const info of runs) {
      info.completion = await completeSweep(problem, info.run.verified, { timeLimitS, pool, cache, onProgress: (n) => progress.tick(n) });
    }
  } finally {
    progress.stop();
  }
}
