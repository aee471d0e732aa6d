// `sweep … --queue URL`: the correctly classified inputs in blocks of --block (each block with all
// its epsilons, so the per-input monotone search is the local one), one `sweep-block` job each
// carrying the block's inputs and labels and the network's sha256. The blocks come back as
// BlockResults and go through assemble() into the same report and files as a local sweep.
import { UserError } from '../errors.js';
import { resolveNetworkPath } from '../models.js';
import { inputSize } from '../network.js';
import { parseCount } from '../sweep/eps.js';
import { createProgress } from '../progress.js';
import { assemble, type BlockResult, type PlacedBlock } from '../shard/sweep-blocks.js';
import { blockOf, loadSweepTarget, type ScaleOutSweep } from '../shard/sweep-shard.js';
import { sweepReport, writeSweepOutputs } from '../shard/sweep-output.js';
import { readBlob } from './blobs.js';
import type { SweepBlockJob } from './jobs.js';
import { describeSeconds, submitJobs, type Timing } from './submit.js';

/** A block's time limit on the worker: an hour, plus every pair's MILP limit with --milp. */
export function blockTimeoutS(o: ScaleOutSweep, inputs: number): number {
  return 3600 + inputs * o.settings.eps.length * o.settings.methods.length * (o.settings.milpTimeoutS ?? 0);
}

export async function submitSweep(o: ScaleOutSweep): Promise<number> {
  const blockSize = parseCount(o.block, '--block');
  const t0 = performance.now();
  const t = await loadSweepTarget(o.target);
  const net = readBlob(resolveNetworkPath(o.target.net), '.onnx', o.target.net);
  const n = inputSize(t.net);
  const blocks: number[][] = [];
  for (let s = 0; s < t.candidates.length; s += blockSize) blocks.push(t.candidates.slice(s, s + blockSize));
  const jobs: SweepBlockJob[] = blocks.map((positions) => {
    const { inputs, labels } = blockOf(t, positions);
    if (inputs.length !== positions.length * n) throw new Error('blockOf: wrong size');
    return { kind: 'sweep-block', net: net.ref, inputs: Array.from(inputs), labels: Array.from(labels), settings: o.settings, backend: o.backend, timeoutS: blockTimeoutS(o, positions.length) };
  });
  const placed: PlacedBlock[] = [];
  const failures: string[] = [];
  const timings: Timing[] = [];
  const bar = createProgress(t.candidates.length, `sweep ${t.net.name} (queue)`);
  const code = jobs.length === 0 ? 0 : await submitJobs<BlockResult>({
    queue: o.queue!, resume: 'auto', what: 'sweep', jobs, blobs: new Map([[net.ref.sha256, net.bytes]]),
    onResult(i, result, timing) {
      placed.push({ positions: blocks[i], result });
      timings.push(timing);
      bar.tick(blocks[i].length);
    },
    onFailed(i, reason) {
      failures.push(`block ${i} (inputs ${blocks[i][0]}..${blocks[i].at(-1)}): ${reason.slice(0, 300)}`);
      bar.tick(blocks[i].length);
    },
  });
  bar.stop();
  if (code !== 0) return code;
  if (failures.length) throw new UserError(`sweep --queue: ${failures.length} of ${jobs.length} job(s) failed; first: ${failures[0]}`);
  const runs = assemble(t.data.count, t.candidates, o.settings, placed);
  const first = placed[0]?.result;
  const report = sweepReport(t.net, t.data, t.predicted, t.candidates.length, o.settings, runs, {
    backend: first?.backend ?? o.backend, engine: first?.engine ?? 'none (no input to bound)', seconds: (performance.now() - t0) / 1000,
    milpWorkers: Math.max(0, ...placed.map((p) => p.result.milpWorkers ?? 0)) || undefined,
  });
  writeSweepOutputs(report, o.files, t.net, t.data);
  process.stdout.write(`queue: ${jobs.length} job(s) of up to ${blockSize} input(s); enqueued → taken ${describeSeconds(timings.map((x) => x.waitS))}; ` +
    `finished → collected ${describeSeconds(timings.map((x) => x.collectS))}\n`);
  return 0;
}
