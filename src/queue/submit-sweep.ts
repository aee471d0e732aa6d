// `sweep … --queue URL`: the correctly classified inputs in blocks of --block consecutive ones,
// each block with all its epsilons (so each input's monotone search is the local one), one
// `sweep-block` job each carrying the block's pixels, labels and positions, the settings and the
// network's sha256 (its bytes travel once, blobs.ts). Workers run the local sweep's sweepBlock on
// it (block-child.ts); the answers come back per input and are assembled (sweep/block-result.ts)
// into the table the local sweep would hold, then written by the local sweep's own writer
// (sweep/output.ts): the same table, JSON, CSV, per-pair CSV, plot and page. The JSON document
// also gets `queue`: the jobs and the queue's overhead per job (enqueued → taken by a worker,
// finished → collected here, and the worker's time on it), in seconds.
//
// A block that fails (bad input, its time limit) is not retried: its inputs' pairs stay
// undecided with the reason `error: …`, every other block is written, and the exit code is 1.
import { resolveNetworkPath } from '../models.js';
import type { Network } from '../network.js';
import { inputSize } from '../network.js';
import type { Backend } from '../engine.js';
import { createProgress } from '../progress.js';
import type { LabelledInputs } from '../sweep/inputs.js';
import type { PairTable } from '../sweep/pairs.js';
import type { BlockSettings } from '../sweep/block.js';
import { assembleBlocks, replayBlockCounterexamples, type PlacedBlock } from '../sweep/block-result.js';
import { writeSweepOutputs, type SweepFiles } from '../sweep/output.js';
import { readBlob } from './blobs.js';
import type { SweepBlockJob } from './jobs.js';
import type { SweepBlockJobResult } from './worker.js';
import { describeSeconds, secondsStats, submitJobs, type Timing } from './submit.js';

export interface SweepSubmission {
  queue: string;
  /** --net as given (a bundled name or a path): the file whose bytes the workers get. */
  netArg: string;
  net: Network;
  data: LabelledInputs;
  predicted: ArrayLike<number>;
  candidates: number[];
  /** Holds the misclassified inputs; the blocks' rows are written into it. */
  table: PairTable;
  settings: BlockSettings;
  backend: Backend;
  block: number;
  files: SweepFiles;
  /** performance.now() when the sweep started. */
  t0: number;
}

/** A block's time limit on the worker: an hour for the attack and the bounds, plus every pair's cascade budget (and 10%) with --complete. */
export function blockTimeoutS(s: BlockSettings, inputs: number): number {
  return 3600 + (s.complete ? 1.1 * inputs * s.eps.length * s.timeoutS : 0);
}

export async function submitSweep(o: SweepSubmission): Promise<number> {
  const say = (line: string) => (o.files.json ? process.stderr : process.stdout).write(line);
  const n = inputSize(o.net);
  const net = readBlob(resolveNetworkPath(o.netArg), '.onnx', o.net.name);
  const blocks: number[][] = [];
  for (let s = 0; s < o.candidates.length; s += o.block) blocks.push(o.candidates.slice(s, s + o.block));
  const jobs: SweepBlockJob[] = blocks.map((positions) => ({
    kind: 'sweep-block', net: net.ref,
    inputs: positions.flatMap((i) => Array.from(o.data.inputs.subarray(i * n, (i + 1) * n))),
    labels: positions.map((i) => o.data.labels[i]),
    ids: positions,
    settings: o.settings, backend: o.backend, timeoutS: blockTimeoutS(o.settings, positions.length),
  }));
  const placed: PlacedBlock[] = [];
  const failures: string[] = [];
  const timings: Timing[] = [];
  let engine: { backend: string; engine: string } | undefined;
  const bar = createProgress(o.candidates.length, `sweep ${o.net.name} (queue)`);
  let done = 0;
  const code = jobs.length === 0 ? 0 : await submitJobs<SweepBlockJobResult>({
    queue: o.queue, resume: 'auto', what: 'sweep', jobs, blobs: new Map([[net.ref.sha256, net.bytes]]), say,
    onResult(i, r, timing) {
      placed.push({ positions: blocks[i], result: r.result });
      engine ??= { backend: r.result.backend, engine: r.result.engine };
      timings.push(timing);
      bar.tick(blocks[i].length);
      say(`[${++done}/${jobs.length}] block ${i}: inputs ${o.data.indices[blocks[i][0]]}..${o.data.indices[blocks[i].at(-1)!]} [${r.worker}]\n`);
    },
    onFailed(i, reason) {
      failures.push(`block ${i} (inputs ${o.data.indices[blocks[i][0]]}..${o.data.indices[blocks[i].at(-1)!]}): ${reason.slice(0, 300)}`);
      for (const p of blocks[i]) for (let k = 0; k < o.settings.eps.length; k++) o.table.open(p, k, `error: ${reason.slice(0, 300)}`);
      bar.tick(blocks[i].length);
      say(`[${++done}/${jobs.length}] block ${i}: FAILED: ${reason.slice(0, 300)}\n`);
    },
  });
  bar.stop();
  if (code !== 0) return code;
  let outcome;
  try {
    outcome = assembleBlocks(o.table, o.settings, placed);
    replayBlockCounterexamples(o.net, o.data, o.table);
  } catch (err) {
    throw new Error(`sweep --queue: a worker sent back answers that do not fit the sweep (${(err as Error).message})`);
  }
  const queue = {
    jobs: jobs.length, blockInputs: o.block, failed: failures.length,
    waitS: secondsStats(timings.map((t) => t.waitS)), collectS: secondsStats(timings.map((t) => t.collectS)), workS: secondsStats(timings.map((t) => t.workS)),
  };
  writeSweepOutputs({
    net: o.net, data: o.data, predicted: o.predicted, correct: o.candidates.length, settings: o.settings, table: o.table, ...outcome,
    backend: engine?.backend ?? o.backend, engine: engine?.engine ?? 'none (no input to bound)', seconds: (performance.now() - o.t0) / 1000, partial: false,
  }, o.files, { queue });
  say(`queue: ${jobs.length} job(s) of up to ${o.block} input(s); enqueued → taken ${describeSeconds(timings.map((t) => t.waitS))}; ` +
    `finished → collected ${describeSeconds(timings.map((t) => t.collectS))}\n`);
  if (failures.length) {
    process.stderr.write(`veribound: sweep --queue: ${failures.length} of ${jobs.length} block(s) failed (their pairs are undecided, reason 'error'); first: ${failures[0]}\n`);
    return 1;
  }
  return 0;
}
