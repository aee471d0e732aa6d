// An attack worker (attack-threads.ts): keeps the networks it is sent and, per batch of (input,
// eps) pairs, attacks chunks of it with the synchronous attackPairs until none is left.
import { parentPort } from 'node:worker_threads';
import type { Network } from '../network.js';
import { attackChunks, type FromAttackWorker, type ToAttackWorker } from './attack-threads.js';

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
    reply = { job: m.job, found: attackChunks(net, m) };
  } catch (e) {
    reply = { job: m.job, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply);
});
