// `veribound worker`: takes veribound jobs (verify instances, sweep blocks) from a Redis queue that
// `run --queue` and `sweep --queue` fill; the work itself is in src/queue/worker.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseOptions } from '../cli-args.js';
import { UserError } from '../errors.js';
import { parseCount } from '../sweep/eps.js';
import { runWorker } from '../queue/worker.js';

export const summary = 'take run and sweep jobs from a Redis queue (BullMQ) and compute them';

export const usage = `
usage: veribound worker --queue URL [--concurrency N] [--work-dir DIR] [--stall-s S]

  --queue URL         redis://[user:password@]HOST[:PORT][/DB], or rediss:// for TLS
  --concurrency N     jobs at once (default 1; each runs in its own process)
  --work-dir DIR      where fetched networks/properties and running jobs' files live
                      (default: a folder under the system's temp dir); nothing is written elsewhere
  --stall-s S         a job whose worker stops answering for S seconds goes to another worker
                      (BullMQ's lock duration and stall check; default 30)

Runs only veribound's own job kinds, each checked field by field; files come from Redis by
their sha256. Stops on Ctrl-C or SIGTERM after the jobs in hand (exit 130).
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseOptions('worker', argv, {
    queue: { type: 'string' },
    concurrency: { type: 'string', default: '1' },
    'work-dir': { type: 'string' },
    'stall-s': { type: 'string', default: '30' },
  });
  if (!values.queue) throw new UserError('worker: --queue URL is required (redis://HOST:PORT)');
  const concurrency = parseCount(values.concurrency!, '--concurrency');
  const stallS = Number(values['stall-s']);
  if (!(stallS >= 0.2 && stallS <= 3600)) throw new UserError(`--stall-s '${values['stall-s']}': expected seconds between 0.2 and 3600`);
  let workDir = values['work-dir'];
  if (workDir === undefined) workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'veribound-worker-'));
  else {
    try {
      fs.mkdirSync(workDir, { recursive: true });
    } catch (err) {
      throw new UserError(`--work-dir ${workDir}: cannot create it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  return runWorker({ queue: values.queue, concurrency, workDir: path.resolve(workDir), stallS });
}
