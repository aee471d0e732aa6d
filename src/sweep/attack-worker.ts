// An attack worker (attack-threads.ts): keeps the networks it is sent and attacks parts of a
// batch of (input, eps) pairs with the synchronous attackPairs.
import { parentPort } from 'node:worker_threads';
import type { Network } from '../network.js';
import { attackPairs } from './attack.js';
import type { FromAttackWorker, ToAttackWorker } from './attack-threads.js';

const nets = new Map<number, Network>();

parentPort!.on('message', (m: ToAttackWorker) => {
  if (m.kind === 'net') {
    nets.set(m.id, m.net);
    return;
  }
  let reply: FromAttackWorker;
  try {
    const net = nets.get(m.id);
    if (!net) throw new Error(`attack worker: network ${m.id} was never sent`);
    reply = { job: m.job, found: attackPairs(net, m.inputs, m.labels, m.pairs, m.opts) };
  } catch (e) {
    reply = { job: m.job, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply);
});
