// The CPU engine's work in the 256x6 sweep, without the sweep around it: CROWN lower bounds of
// the margins (lowerOnly, as the sweep asks) of the first N MNIST test images at the epsilons
// the sweep probes most, on one thread, with the CPU seconds per epsilon and a hash of the
// bounds' bits (two builds that agree print the same hash). A plain script so that it can load
// any tree's dist, e.g. to compare two builds alternately under the same load:
//   node bench/crown-sweep-cpu.mjs DIST_ROOT [N=150] [EPS=0.015,0.025,0.035]
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { distModules } from './dist-modules.mjs';

const [a, NN = '150', epsList = '0.015,0.025,0.035'] = process.argv.slice(2);
const fail = (msg) => { process.stderr.write(`crown-sweep-cpu: ${msg}\n`); process.exit(2); };
if (!a) fail('usage: node bench/crown-sweep-cpu.mjs DIST_ROOT [N] [EPS,...]');
const N = Number(NN);
if (!(Number.isInteger(N) && N >= 1 && N <= 10000)) fail(`N must be an integer in 1..10000, got '${NN}'`);
const epsValues = epsList.split(',').map(Number);
if (!epsValues.every((e) => e >= 0 && e <= 1)) fail(`EPS must be a comma list of numbers in [0, 1], got '${epsList}'`);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const netFile = path.join(root, '..', 'shared', 'benchmarks', 'mnist_fc', 'onnx', 'mnist-net_256x6.onnx');
if (!fs.existsSync(netFile)) fail(`${netFile}: not found (../shared is beside the checkout)`);

const { boundNetworkCpu, loadOnnxFile, inputSize, logitNetwork, loadDataset, marginSpec, buildBoxes } = await distModules(a, fail);
const net = logitNetwork(loadOnnxFile(netFile));
const ds = loadDataset('mnist', { split: 'test' });
const n = inputSize(net);
const inputs = Float64Array.from(ds.images.subarray(0, N * n));
const idx = Array.from({ length: N }, (_, i) => i);
const hash = crypto.createHash('sha1');
let total = 0;
for (const eps of epsValues) {
  const boxes = buildBoxes(inputs, n, idx, idx.map(() => eps));
  const spec = marginSpec(net, idx.map((i) => ds.labels[i]));
  const t0 = process.cpuUsage();
  const r = boundNetworkCpu(net, boxes, { method: 'crown', spec, lowerOnly: true });
  const t = process.cpuUsage(t0);
  const s = (t.user + t.system) / 1e6;
  total += s;
  hash.update(Buffer.from(r.lower.buffer));
  console.log(`eps ${eps}: ${N} boxes, ${s.toFixed(3)} CPU-s`);
}
console.log(`total ${total.toFixed(3)} CPU-s, bounds hash ${hash.digest('hex').slice(0, 16)}`);
