// Minimal L∞ adversarial distances with the MILP on MNIST test images, and how many binaries
// CROWN's tighter pre-activation bounds remove compared with interval (IBP) bounds over the
// same box. Usage (after npx tsc -p .):
//   nice node dist/bench/milp-adversarial.js [--nets a.onnx,b.onnx] [--count 20] [--timeout 60] [--solver bab|mip] [--start 0]
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import { loadNetwork } from '../src/models.js';
import { logitNetwork } from '../src/network.js';
import { loadMnist } from '../src/data/mnist.js';
import { imageAt } from '../src/data/dataset.js';
import { forward } from '../src/forward.js';
import { predictedClass } from '../src/spec/margins.js';
import { crownLayerBounds, ibpLayerBounds } from '../src/bounds/index.js';
import { minimalAdversarial } from '../src/milp/adversarial.js';
import { encodeNetwork } from '../src/milp/encode/network.js';

const { values } = parseArgs({
  options: {
    nets: { type: 'string', default: ['models/mnist-mlp.onnx', '../shared/benchmarks/mnist_fc/onnx/mnist-net_256x2.onnx'].filter((f) => fs.existsSync(f)).join(',') },
    count: { type: 'string', default: '20' },
    timeout: { type: 'string', default: '60' },
    solver: { type: 'string', default: 'bab' },
    start: { type: 'string', default: '0' },
  },
});
const ds = loadMnist('test');
const count = Number(values.count);
const solver = values.solver === 'mip' ? 'mip' : 'bab';
const start = Number(values.start);
for (const file of values.nets!.split(',').filter(Boolean)) {
  const net = logitNetwork(loadNetwork(file));
  console.log(`\n${file} (solver ${solver}, timeout ${values.timeout} s per image)\n`);
  console.log('| image | label | class | status | L∞ distance | lower bound | new class | time s | binaries (CROWN) | binaries (IBP) | removed |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (let i = start; i < start + count; i++) {
    const x = imageAt(ds, i);
    const cls = predictedClass(forward(net, x, 1));
    const r = await minimalAdversarial(net, x, cls, {
      norm: 'linf', timeLimitS: Number(values.timeout), solver,
      boundsFor: (box) => crownLayerBounds(net, { lower: box.lower, upper: box.upper, count: 1 }),
    });
    // binaries of the last search box under either kind of bounds
    const box = { lower: x.map((v) => Math.max(0, v - r.radius)), upper: x.map((v) => Math.min(1, v + r.radius)) };
    const boxes = { ...box, count: 1 };
    const crown = encodeNetwork(net, box, { layerBounds: crownLayerBounds(net, boxes) }).binaries;
    const ibp = encodeNetwork(net, box, { layerBounds: ibpLayerBounds(net, boxes) }).binaries;
    const f = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(4));
    console.log(`| ${i} | ${ds.labels[i]} | ${cls} | ${r.status} | ${f(r.distance)} | ${f(r.lowerBound)} | ${r.newClass ?? '–'} | ${r.timeS.toFixed(1)} | ${crown} | ${ibp} | ${ibp - crown} |`);
  }
}
