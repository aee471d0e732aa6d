// One sweep block, in a process of its own (started by a worker): `node block-child.js IN.json
// OUT.json`. IN holds the validated job with the network's cached file; OUT gets the BlockResult.
// A process of its own keeps the worker's event loop free to renew its BullMQ lock while the
// engine computes, lets the worker enforce the block's time limit with a kill, and confines a
// crash to the block. Bad input (a network the inputs do not fit) is one line and exit 2.
import fs from 'node:fs';
import os from 'node:os';
import { UserError } from '../errors.js';
import { selectEngine, type Backend } from '../engine.js';
import { MilpPool } from '../milp/index.js';
import { loadNetwork } from '../models.js';
import { inputSize, logitNetwork } from '../network.js';
import { classCount } from '../sweep/inputs.js';
import { computeBlock, type SweepSettings } from '../shard/sweep-blocks.js';

export interface BlockChildInput { netFile: string; netName: string; inputs: number[]; labels: number[]; settings: SweepSettings; backend: Backend }

async function main(inFile: string, outFile: string): Promise<void> {
  const job = JSON.parse(fs.readFileSync(inFile, 'utf8')) as BlockChildInput;
  const net = logitNetwork(loadNetwork(job.netFile));
  net.name = job.netName;
  const n = inputSize(net), count = job.labels.length;
  if (job.inputs.length !== count * n) throw new UserError(`${job.netName} takes ${n} values per input; the job has ${job.inputs.length} values for ${count} labels`);
  const classes = classCount(net);
  job.labels.forEach((l, i) => { if (l >= classes) throw new UserError(`label ${l} of input ${i} is out of range (${job.netName} has ${classes} classes)`); });
  const engine = await selectEngine(job.backend);
  const pool = job.settings.milpTimeoutS !== undefined ? new MilpPool(Math.max(1, os.availableParallelism())) : undefined;
  try {
    const result = await computeBlock(net, Float64Array.from(job.inputs), Int32Array.from(job.labels), job.settings, engine, pool);
    fs.writeFileSync(outFile, JSON.stringify(result));
  } finally {
    await engine.dispose();
    await pool?.close();
  }
}

main(process.argv[2], process.argv[3]).then(
  () => { process.exitCode = 0; },
  (err: unknown) => {
    if (err instanceof UserError) {
      process.stderr.write(`veribound: ${err.message}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`veribound: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
