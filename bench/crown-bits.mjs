// CROWN's output bounds as bits, to check that a change to the engine keeps them: `dump` writes
// the margin bounds (lower and upper) of the first N MNIST test images at ε = 0.005, 0.02 and
// 0.05 on mnist-mlp, mnist-net_256x6 and mnist-cnn, computed by the engine of a built tree (its
// dist/ folder, e.g. another worktree's), with the CPU seconds of each; `compare` says how many
// values of two dumps differ (Object.is). A plain script so that it can load any tree's dist.
//   node bench/crown-bits.mjs dump DIST_ROOT OUT.bin [nets=mlp,256x6,cnn] [N=40]
//   node bench/crown-bits.mjs compare A.bin B.bin
import fs from 'node:fs';
import path from 'node:path';
import { distModules } from './dist-modules.mjs';

const [cmd, a, b, which = 'mlp,256x6,cnn', NN = '40'] = process.argv.slice(2);
const fail = (msg) => { process.stderr.write(`crown-bits: ${msg}\n`); process.exit(2); };
const read = (f) => { if (!fs.existsSync(f)) fail(`${f}: no such file`); return new Float64Array(new Uint8Array(fs.readFileSync(f)).buffer); };

if (cmd === 'compare') {
  if (!a || !b) fail('usage: compare A.bin B.bin');
  const x = read(a), y = read(b);
  if (x.length !== y.length) fail(`${a} has ${x.length} values, ${b} ${y.length}`);
  let diff = 0;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) { if (diff++ < 5) console.log(`value ${i}: ${x[i]} vs ${y[i]}`); }
  console.log(`${x.length} values, ${diff} differ`);
  process.exit(diff ? 1 : 0);
} else if (cmd === 'dump') {
  if (!a || !b) fail('usage: dump DIST_ROOT OUT.bin [nets] [N]');
  const N = Number(NN);
  if (!(Number.isInteger(N) && N >= 1)) fail(`N must be a positive integer, got '${NN}'`);
  const { boundNetworkCpu, loadNetwork, loadOnnxFile, inputSize, logitNetwork, loadDataset, marginSpec, buildBoxes } = await distModules(a, fail);
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  const nets = {
    mlp: async () => logitNetwork(await loadNetwork('mnist-mlp')),
    '256x6': async () => logitNetwork(loadOnnxFile(path.join(root, '..', 'shared', 'benchmarks', 'mnist_fc', 'onnx', 'mnist-net_256x6.onnx'))),
    cnn: async () => logitNetwork(await loadNetwork('mnist-cnn')),
  };
  const ds = loadDataset('mnist', { split: 'test' });
  const parts = [];
  for (const name of which.split(',')) {
    if (!nets[name]) fail(`unknown net '${name}' (mlp, 256x6, cnn)`);
    const net = await nets[name]();
    const n = inputSize(net);
    const count = name === 'cnn' ? Math.min(8, N) : N;
    const inputs = Float64Array.from(ds.images.subarray(0, count * n));
    const idx = Array.from({ length: count }, (_, i) => i);
    for (const eps of [0.005, 0.02, 0.05]) {
      const boxes = buildBoxes(inputs, n, idx, idx.map(() => eps));
      const spec = marginSpec(net, idx.map((i) => ds.labels[i]));
      const t0 = process.cpuUsage();
      const r = boundNetworkCpu(net, boxes, { method: 'crown', spec });
      const t = process.cpuUsage(t0);
      console.log(`${name} eps ${eps}: ${count} boxes, ${((t.user + t.system) / 1e6).toFixed(3)} CPU-s`);
      parts.push(r.lower, r.upper);
    }
  }
  const all = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { all.set(p, o); o += p.length; }
  fs.writeFileSync(b, Buffer.from(all.buffer));
} else fail(`unknown command '${cmd ?? ''}' (dump, compare)`);
