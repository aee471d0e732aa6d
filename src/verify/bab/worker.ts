// A bab worker (lanes.ts): keeps the networks it is sent and, per stage call, its disjunct
// searches and the frontiers they hand back, answering one turn at a time with LaneState.turn.
import { parentPort } from 'node:worker_threads';
import type { Network } from '../../network.js';
import { LaneState, type BabJob, type BabReply } from './lanes.js';

const nets = new Map<number, Network>();
const calls = new Map<number, LaneState>();

type Message = { kind: 'net'; id: number; net: Network } | ({ kind: 'job'; job: number; id: number } & BabJob);

parentPort!.on('message', async (m: Message) => {
  if (m.kind === 'net') {
    nets.set(m.id, m.net);
    return;
  }
  let reply: BabReply;
  try {
    if (m.op === 'end') {
      calls.delete(m.call);
      reply = { job: m.job };
    } else {
      const net = nets.get(m.id);
      if (!net) throw new Error(`bab worker: network ${m.id} was never sent`);
      let state = calls.get(m.call);
      if (!state) calls.set(m.call, (state = new LaneState(net)));
      reply = { job: m.job, end: await state.turn(m.turn, m.region, m.bounds, m) };
    }
  } catch (e) {
    reply = { job: m.job, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply);
});
