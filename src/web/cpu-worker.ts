// The page's CPU engine, in a Web Worker so that the page stays responsive: the same float64
// boundNetworkCpu the CLI's --backend cpu runs (one thread here; the CLI splits boxes over threads,
// which gives the same bits since a box's bounds never depend on the other boxes).
import { boundNetworkCpu } from '../bounds/bound.js'; // not bounds/index.js: its CpuEngine uses worker_threads
import { UserError } from '../errors.js';
import type { Network } from '../network.js';
import type { FromCpuWorker, ToCpuWorker } from './cpu-protocol.js';

const nets = new Map<number, Network>();
const post = (m: FromCpuWorker, transfer: ArrayBuffer[] = []) => (self as unknown as Worker).postMessage(m, transfer);

self.onmessage = (ev: MessageEvent<ToCpuWorker>) => {
  const m = ev.data;
  if (m.kind === 'net') {
    nets.set(m.id, m.net);
    return;
  }
  try {
    const net = nets.get(m.net);
    if (!net) throw new Error(`cpu worker: network ${m.net} was never sent`);
    const res = boundNetworkCpu(net, { lower: m.lower, upper: m.upper, count: m.count }, { method: m.method, spec: m.spec });
    post({ kind: 'result', job: m.job, lower: res.lower, upper: res.upper, rows: res.rows },
      [res.lower.buffer as ArrayBuffer, res.upper.buffer as ArrayBuffer]);
  } catch (err) {
    post({ kind: 'error', job: m.job, message: err instanceof Error ? err.message : String(err), user: err instanceof UserError });
  }
};
