// A bound worker (threads.ts): keeps the networks it is sent and bounds ranges of boxes with the
// synchronous boundNetworkCpu, writing into the caller's shared result arrays.
import { parentPort } from 'node:worker_threads';
import type { Network } from '../network.js';
import { UserError } from '../errors.js';
import { boundNetworkCpu } from './bound.js';
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
    const n = m.inSize;
    const boxes = { lower: m.lower.subarray(m.start * n, (m.start + m.count) * n), upper: m.upper.subarray(m.start * n, (m.start + m.count) * n), count: m.count };
    const r = boundNetworkCpu(net, boxes, m.opts);
    m.outLower.set(r.lower, m.start * r.rows);
    m.outUpper.set(r.upper, m.start * r.rows);
    reply = { job: m.job };
  } catch (e) {
    reply = { job: m.job, error: { message: e instanceof Error ? e.message : String(e), user: e instanceof UserError } };
  }
  parentPort!.postMessage(reply);
});
