// One worker thread of the sweep's cascade pool (cascade-pool.ts): it receives the network once,
// then answers one property at a time with verify's cascade (verifyProperty, unchanged) on its
// own single-threaded CPU engine. The cascade's stages are long synchronous loops (branch and
// bound, the MILP's search) that never give the event loop a turn; running them here keeps the
// sweep's main thread free to see Ctrl-C and to stop this thread at once (Worker.terminate).
import { parentPort, workerData } from 'node:worker_threads';
import type { Network } from '../network.js';
import type { Property } from '../spec/property.js';
import { createCpuEngine } from '../engine.js';
import { verifyProperty } from '../verify/cascade.js';

export interface CascadeRequest {
  id: number;
  prop: Property;
  timeoutS: number;
  seed: number;
}

const { net } = workerData as { net: Network };
const engine = createCpuEngine(1);

parentPort!.on('message', async (req: CascadeRequest) => {
  try {
    const outcome = await verifyProperty(net, req.prop, { timeoutS: req.timeoutS, engine, seed: req.seed, log: () => {}, threads: 1 });
    parentPort!.postMessage({ id: req.id, outcome });
  } catch (err) {
    parentPort!.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) });
  }
});
