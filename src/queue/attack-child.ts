// One `attack-image` job in a process of its own (started by a worker): `node attack-child.js
// IN.json OUT.json`. IN holds the validated job and the path of the network's hash-checked cached
// file; OUT gets the image's table row, computed by attack/one-image.ts's attackImage — the code
// `attack --index` and a local `attack --indices` run. As with block-child.ts: the worker's event
// loop stays free to renew its lock, the worker enforces the job's time limit with a kill, and the
// child exits when its worker is gone. Bad input (an image of the wrong size, a label the network
// has no class for) is one line on stderr and exit 2: the worker fails the job without retrying.
import { UserError } from '../errors.js';
import { runChild, type ChildInput } from './child-main.js';
import type { Network } from '../network.js';
import { inputSize } from '../network.js';
import { classCount } from '../sweep/inputs.js';
import { attackImage, tableRow, type AttackRow } from '../attack/one-image.js';
import type { AttackImageJob } from './jobs.js';

export type AttackChildInput = ChildInput<AttackImageJob>;

async function main(net: Network, job: AttackImageJob): Promise<AttackRow> {
  if (job.input.length !== inputSize(net)) throw new UserError(`${job.net.name} takes ${inputSize(net)} values per input; image ${job.index} has ${job.input.length}`);
  if (job.label >= classCount(net)) throw new UserError(`label ${job.label} of image ${job.index} is out of range (${job.net.name} has ${classCount(net)} classes)`);
  const one = await attackImage(net, Float64Array.from(job.input), { net: net.name, data: job.data, index: job.index, label: job.label, classNames: job.classNames }, job.settings);
  return tableRow(one);
}

runChild(main);
