// α-CROWN and branch and bound on a CNN (issue 13 items 2 and 5): one box around MNIST test image
// --index at --eps, the margins of its label against every other class.
//  - alpha: alphaBox with α-optimised intermediate bounds (--inter Adam steps per layer, no
//    deadline), rows on windows (the default) and, with --dense, the same on dense rows: CPU
//    seconds and the margins (equal up to the order of sums);
//  - bab: generalBab on the margin against --target for --seconds: domains bounded per CPU-s.
//   node dist/bench/cnn-alpha-bab.js alpha --net mnist-cnn --index 2 --eps 0.03 [--inter 5] [--dense]
//   node dist/bench/cnn-alpha-bab.js bab --net mnist-cnn --index 2 --eps 0.05 --target 0 [--seconds 15]
import { parseArgs } from 'node:util';
import { loadDataset, loadNetwork } from '../src/index.js';
import { outputSize, size } from '../src/network.js';
import { alphaBox } from '../src/bounds/optimise/alpha.js';
import { generalBab, rootOf } from '../src/verify/bab/search.js';

const cpuS = (t0: NodeJS.CpuUsage) => { const t = process.cpuUsage(t0); return (t.user + t.system) / 1e6; };

async function main(argv = process.argv.slice(2)): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      net: { type: 'string', default: 'mnist-cnn' }, index: { type: 'string', default: '2' }, eps: { type: 'string', default: '0.03' },
      inter: { type: 'string', default: '5' }, dense: { type: 'boolean', default: false }, target: { type: 'string', default: '0' }, seconds: { type: 'string', default: '15' },
    },
  });
  const net = loadNetwork(values.net!);
  const n = size(net.inputShape), m = outputSize(net);
  const data = loadDataset('mnist', { split: 'test' });
  const i = Number(values.index), eps = Number(values.eps), label = data.labels[i];
  const x = Float64Array.from(data.images.subarray(i * n, (i + 1) * n));
  const lower = x.map((v) => Math.max(0, v - eps)), upper = x.map((v) => Math.min(1, v + eps));
  if (positionals[0] === 'bab') {
    const a = new Float64Array(m);
    a[label] = 1; a[Number(values.target)] = -1;
    const root = rootOf(net, lower, upper);
    const t0 = process.cpuUsage();
    const res = await generalBab(net, lower, upper, [{ a, b: 0 }], { deadline: Date.now() + Number(values.seconds) * 1000, root });
    const s = cpuS(t0);
    console.log(`bab ${values.net} image ${i} eps ${eps} label ${label} vs ${values.target}: ${res.status}, ${res.domains} domains, depth ${res.maxDepth}, margin ${res.rootMargin.toFixed(4)} at the root, ${res.margin.toFixed(4)} at the end, ${s.toFixed(1)} CPU-s, ${(res.domains / s).toFixed(1)} domains/CPU-s`);
    return;
  }
  const c = new Float64Array((m - 1) * m);
  for (let k = 0, r = 0; k < m; k++) if (k !== label) { c[r * m + label] = 1; c[r * m + k] = -1; r++; }
  const t0 = process.cpuUsage();
  const res = alphaBox(net, lower, upper, c, m - 1, { iterations: 10, lr: 0.1, deadline: Infinity, intermediate: { iterations: Number(values.inter), deadline: Infinity, dense: values.dense } });
  console.log(`alpha ${values.net} image ${i} eps ${eps} (${values.dense ? 'dense rows' : 'windows'}): ${cpuS(t0).toFixed(2)} CPU-s, margins ${Array.from(res.best, (v) => v.toFixed(4)).join(' ')}`);
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
