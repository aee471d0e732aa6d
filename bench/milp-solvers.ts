// HiGHS's MIP against our LP branch-and-bound (src/milp/bab.ts) on the cascade's MILP query:
// milpFindInSet per disjunct of VNN-LIB properties, with CROWN layer bounds, as the cascade's
// MILP stage calls it. Usage (after npx tsc -p .):
//   nice node dist/bench/milp-solvers.js [--props a.vnnlib,b.vnnlib] [--net N.onnx] [--disjuncts 0,3] [--timeout 20] [--solvers mip,bab]
import { parseArgs } from 'node:util';
import { loadNetwork } from '../src/models.js';
import { readVnnlib } from '../src/spec/vnnlib.js';
import { crownLayerBounds } from '../src/bounds/index.js';
import { milpFindInSet } from '../src/milp/findset.js';

const root = '../shared/benchmarks/mnist_fc';
const { values } = parseArgs({
  options: {
    net: { type: 'string', default: `${root}/onnx/mnist-net_256x2.onnx` },
    props: { type: 'string', default: ['prop_0_0.03', 'prop_2_0.05', 'prop_4_0.05'].map((p) => `${root}/vnnlib2022/${p}.vnnlib`).join(',') },
    disjuncts: { type: 'string' },
    timeout: { type: 'string', default: '20' },
    solvers: { type: 'string', default: 'mip,bab' },
  },
});
const net = loadNetwork(values.net!);
const only = values.disjuncts?.split(',').map(Number);
const solvers = values.solvers!.split(',') as ('mip' | 'bab')[];
console.log(`| property | disjunct | binaries | ${solvers.map((s) => `${s} status | ${s} s`).join(' | ')} |`);
console.log(`|---|---|---|${solvers.map(() => '---|---').join('|')}|`);
const totals = solvers.map(() => ({ time: 0, decided: 0 }));
for (const file of values.props!.split(',')) {
  const prop = readVnnlib(file);
  const region = prop.regions[0];
  const box = { lower: region.lower, upper: region.upper };
  const layerBounds = crownLayerBounds(net, { ...box, count: 1 });
  for (let k = 0; k < region.unsafe.length; k++) {
    if (only && !only.includes(k)) continue;
    const cells: string[] = [];
    let binaries = 0;
    for (const [i, solver] of solvers.entries()) {
      const r = await milpFindInSet(net, box, [region.unsafe[k]], { timeLimitS: Number(values.timeout), layerBounds, solver });
      binaries = r.binaries;
      cells.push(r.status, r.timeS.toFixed(2));
      totals[i].time += r.timeS;
      if (r.status === 'infeasible' || r.status === 'found') totals[i].decided++;
    }
    console.log(`| ${file.split('/').pop()} | ${k} | ${binaries} | ${cells.join(' | ')} |`);
  }
}
console.log(`\n${solvers.map((s, i) => `${s}: ${totals[i].decided} decided, ${totals[i].time.toFixed(1)} s in total`).join('; ')}`);
