// One timed run per (net, method, eps) without benchmark.js, for quick measurements while tuning:
//   node dist/bench/bounds-quick.js [boxes=100] [eps,eps,...]
import { boundNetworkCpu } from '../src/bounds/index.js';
import { marginSpec } from '../src/spec/margins.js';
import { benchNets, mnistBoxes } from './bounds-nets.js';

const B = Number(process.argv[2] ?? 100);
const epsList = (process.argv[3] ?? '0.01,0.03,0.1').split(',').map(Number);
for (const { label, net } of benchNets(['mlp', '256x6'])) {
  for (const eps of epsList) {
    const { boxes, labels } = mnistBoxes(B, [eps]);
    const spec = marginSpec(net, labels);
    for (const method of ['ibp', 'crown'] as const) {
      const t0 = performance.now();
      const r = boundNetworkCpu(net, boxes, { method, spec });
      const ms = performance.now() - t0;
      let verified = 0;
      for (let b = 0; b < boxes.count; b++) {
        let ok = true;
        for (let k = 0; k < r.rows; k++) if (!(r.lower[b * r.rows + k] > 0)) ok = false;
        if (ok) verified++;
      }
      console.log(`${label.padEnd(24)} eps ${String(eps).padEnd(6)} ${method.padEnd(5)} ${(boxes.count / (ms / 1000)).toFixed(1).padStart(9)} boxes/s  (${ms.toFixed(0)} ms, verified ${verified}/${boxes.count})`);
    }
  }
}
