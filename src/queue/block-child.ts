// One sweep block, in a process of its own (started by a worker): `node block-child.js IN.json
// OUT.json`. IN holds the validated job and the path of the network's hash-checked cached file;
// OUT gets the block's answers (sweep/block-result.ts), computed by the local sweep's own
// sweepBlock. A process of its own keeps the worker's event loop free to renew its BullMQ lock
// while the engine computes, lets the worker enforce the block's time limit with a kill, and
// confines a crash to the block. It exits when the worker is gone (its IPC channel closes), so a
// killed worker leaves nothing computing. Bad input (inputs the network does not take, a label it
// has no class for) is one line on stderr and exit 2: the worker fails the job without retrying.
import { UserError } from '../errors.js';
import { runChild, type ChildInput } from './child-main.js';
import { selectEngine } from '../engine.js';
import type { Network } from '../network.js';
import { inputSize } from '../network.js';
import { classCount } from '../sweep/inputs.js';
import { PairTable } from '../sweep/pairs.js';
import { sweepBlock } from '../sweep/block.js';
import { blockResult, type BlockResult } from '../sweep/block-result.js';
import type { SweepBlockJob } from './jobs.js';

export type BlockChildInput = ChildInput<SweepBlockJob>;

async function main(net: Network, job: SweepBlockJob): Promise<BlockResult> {
  const n = inputSize(net), count = job.labels.length;
  if (job.inputs.length !== count * n) throw new UserError(`${job.net.name} takes ${n} values per input; the block has ${job.inputs.length} values for ${count} labels`);
  const classes = classCount(net);
  job.labels.forEach((l, i) => { if (l >= classes) throw new UserError(`label ${l} of input ${job.ids[i]} is out of range (${job.net.name} has ${classes} classes)`); });
  const { eps } = job.settings;
  const candidates = Array.from({ length: count }, (_, i) => i);
  const problem = { net, inputs: Float64Array.from(job.inputs), labels: Int32Array.from(job.labels), count, eps, candidates };
  const table = new PairTable(count, eps);
  const engine = await selectEngine(job.backend);
  try {
    const outcome = await sweepBlock(problem, table, engine, job.settings, { seedIds: job.ids, label: net.name });
    return blockResult(outcome, table, candidates, { backend: engine.backend, engine: engine.describe() });
  } finally {
    await engine.dispose();
  }
}

runChild(main);
