// The page's sweep, free of the DOM: the steps of `veribound sweep` (src/commands/sweep.ts)
// without files and without --milp — clean predictions in float64, then runSweep per method on
// the correctly classified inputs — and its results as JSON with the CLI's numbers (verified,
// falsified = misclassified, robust accuracy per method and epsilon) in this round's camelCase.
import type { Network } from '../network.js';
import type { BoundEngine, BoundMethod } from '../bounds/types.js';
import type { Dataset } from '../data/dataset.js';
import { inputsFromDataset } from '../sweep/inputs.js';
import { predict } from '../sweep/classify.js';
import type { Schedule, SweepRun } from '../sweep/scheduler.js';
import { bisectRounds, runSweep, verifiedCounts } from '../sweep/scheduler.js';

export interface PageSweepOptions {
  samples: number;
  eps: number[];
  methods: BoundMethod[];
  schedule: Schedule;
  batch?: number;
  /** (input, eps) pairs bounded so far and the current estimate of the total. */
  onProgress?(done: number, total: number): void;
}

export interface PageRow {
  method: BoundMethod;
  eps: number;
  samples: number;
  correct: number;
  verified: number;
  falsified: number;
  undecided: number;
  robustAccuracy: number;
  robustAccuracyUpper: number;
  pairsBounded: number;
  timeS: number;
}

export interface PageSample {
  index: number;
  label: number;
  predicted: number;
  /** Per method, the largest epsilon verified (null: none). */
  maxVerifiedEps: Record<string, number | null>;
}

export interface PageReport {
  net: string;
  data: string;
  samples: number;
  backend: 'cpu' | 'gpu';
  engine: string;
  schedule: Schedule;
  eps: number[];
  methods: BoundMethod[];
  cleanCorrect: number;
  cleanAccuracy: number;
  results: PageRow[];
  runs: { method: BoundMethod; pairsBounded: number; pairsTotal: number; engineCalls: number; rounds: number; timeS: number }[];
  perSample: PageSample[];
  timeS: number;
}

/** `veribound sweep` on `net` (already the logit network) and the first opts.samples images of `ds`. */
export async function pageSweep(net: Network, ds: Dataset, engine: BoundEngine, opts: PageSweepOptions): Promise<PageReport> {
  const t0 = performance.now();
  const data = inputsFromDataset(ds, opts.samples, net);
  const { predicted } = predict(net, data.inputs, data.count);
  const candidates: number[] = [];
  for (let i = 0; i < data.count; i++) if (predicted[i] === data.labels[i]) candidates.push(i);
  const E = opts.eps.length, M = opts.methods.length;
  const perMethod = candidates.length * (opts.schedule === 'all' ? E : bisectRounds(E));
  let total = perMethod * M, done = 0;
  opts.onProgress?.(0, total);
  const runs: { run: SweepRun; timeS: number }[] = [];
  for (const [m, method] of opts.methods.entries()) {
    const start = performance.now();
    const before = done;
    const run = await runSweep(engine, { net, inputs: data.inputs, labels: data.labels, count: data.count, eps: opts.eps, candidates }, {
      method, schedule: opts.schedule, batch: opts.batch ?? 4096,
      onBounded: (n) => { done += n; opts.onProgress?.(done, Math.max(total, done)); },
      onEstimate: (pairs) => { total = before + pairs + perMethod * (M - m - 1); },
    });
    runs.push({ run, timeS: (performance.now() - start) / 1000 });
  }
  opts.onProgress?.(done, done);
  const correct = candidates.length;
  const results: PageRow[] = [];
  for (const { run } of runs) {
    const counts = verifiedCounts(run, data.count, E);
    opts.eps.forEach((eps, k) => {
      const falsified = data.count - correct;
      results.push({
        method: run.method, eps, samples: data.count, correct, verified: counts[k], falsified, undecided: data.count - counts[k] - falsified,
        robustAccuracy: counts[k] / data.count, robustAccuracyUpper: correct / data.count,
        pairsBounded: run.boxesPerEps[k], timeS: run.secondsPerEps[k],
      });
    });
  }
  const perSample = data.indices.map((index, i) => {
    const maxVerifiedEps: Record<string, number | null> = {};
    for (const { run } of runs) {
      let k = -1;
      for (let e = 0; e < E; e++) if (run.verified[i * E + e]) k = e;
      maxVerifiedEps[run.method] = k < 0 ? null : opts.eps[k];
    }
    return { index, label: data.labels[i], predicted: predicted[i], maxVerifiedEps };
  });
  return {
    net: net.name, data: data.source, samples: data.count, backend: engine.backend, engine: engine.describe(), schedule: opts.schedule,
    eps: opts.eps, methods: opts.methods, cleanCorrect: correct, cleanAccuracy: correct / data.count, results,
    runs: runs.map(({ run, timeS }) => ({ method: run.method, pairsBounded: run.pairsBounded, pairsTotal: run.pairsTotal, engineCalls: run.engineCalls, rounds: run.rounds, timeS })),
    perSample,
    timeS: (performance.now() - t0) / 1000,
  };
}
