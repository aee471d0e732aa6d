// A bound worker (threads.ts): keeps the networks it is sent and, per call, bounds chunks of its
// boxes with the synchronous boundNetworkCpu until none is left (box-chunks.ts), writing into the
// caller's shared result arrays.
import { parentPort } from 'node:worker_threads';
import type { Network } from '../network.js';
import { UserError } from '../errors.js';
import { boundChunks } from './box-chunks.js';
import type { FromWorker, ToWorker } from './threads.js';

const nets = new Map<number, Network>();

parentPort!.on('message', (m: ToWorker) => {
  if (m.kind === 'net') {
    nets.set(m.id, m.net);
    return;
  }
  let reply: FromWorker;
  try {
    const net = nets.get(m.id);
    if (!net) throw new Error(`bound worker: network ${m.id} was never sent`);
    boundChunks(net, m);
    reply = { job: m.job };
  } catch (e) {
    reply = { job: m.job, error: { message: e instanceof Error ? e.message : String(e), user: e instanceof UserError } };
  }
  parentPort!.postMessage(reply);
});
