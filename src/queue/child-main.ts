// How a job's child process (block-child.ts, attack-child.ts) runs its one job and ends: `node
// CHILD.js IN.json OUT.json`, IN holding the validated job and the path of the network's
// hash-checked cached file, OUT getting the job's answer as JSON. It exits
// when its worker is gone (the IPC channel closes: nothing computes for nobody), bad input is one
// line on stderr and exit 2 (the worker fails the job without retrying), anything else exit 1
// with the stack (the job is retried).
import fs from 'node:fs';
import { UserError } from '../errors.js';
import type { Network } from '../network.js';
import { logitNetwork } from '../network.js';
import { loadNetwork } from '../models.js';

/** What a worker writes to IN.json. */
export interface ChildInput<J> {
  netFile: string;
  job: J;
}

/** Runs `compute` on IN.json's job and its network (logits, named as the job names it) and writes its answer to OUT.json. */
export function runChild<J extends { net: { name: string } }>(compute: (net: Network, job: J) => Promise<unknown>): void {
  process.on('disconnect', () => process.exit(1));
  process.channel?.unref();
  const [inFile, outFile] = [process.argv[2], process.argv[3]];
  const main = async () => {
    const { netFile, job } = JSON.parse(fs.readFileSync(inFile, 'utf8')) as ChildInput<J>;
    const net = logitNetwork(loadNetwork(netFile));
    net.name = job.net.name;
    fs.writeFileSync(outFile, JSON.stringify(await compute(net, job)));
  };
  main().then(
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
}
