// Branch and bound on a VNN-LIB instance with its root fixed, to compare search settings on the
// same footing (refine's MILPs make the cascade's root depend on the machine's load): α-CROWN's
// layer bounds (--alpha-s seconds, intermediate bounds optimised), then each disjunct's search
// for --seconds with per-domain layer bounds off and on (--refresh both|on|off). Prints, per
// disjunct, the status, domains bounded, depth and the lowest open margin at the end (higher is
// closer to a proof).
//   node dist/bench/bab-margins.js --net ../shared/benchmarks/mnist_fc/onnx/mnist-net_256x4.onnx \
//     --spec ../shared/benchmarks/mnist_fc/vnnlib2022/prop_7_0.05.vnnlib [--seconds 30] [--refresh both]
import { parseArgs } from 'node:util';
import { loadNetwork, readVnnlib } from '../src/index.js';
import { generalBab, rootOf, rowsOfConjunction } from '../src/verify/bab/search.js';
import { alphaStage } from '../src/verify/bounds-stage.js';
import { OpenSet } from '../src/verify/open-set.js';

async function main(argv = process.argv.slice(2)): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      net: { type: 'string' }, spec: { type: 'string' }, seconds: { type: 'string', default: '30' },
      'alpha-s': { type: 'string', default: '60' }, refresh: { type: 'string', default: 'both' },
    },
  });
  if (!values.net || !values.spec) throw new Error('--net and --spec are required');
  const net = loadNetwork(values.net), prop = readVnnlib(values.spec);
  const settings = values.refresh === 'both' ? [false, true] : [values.refresh === 'on'];
  const m = prop.numOutputs;
  for (const [r, reg] of prop.regions.entries()) {
    const open = new OpenSet({ ...prop, regions: [reg] });
    const alpha = alphaStage(net, open, { iterations: 60, intermediateIterations: 20, deadline: Date.now() + 1000 * Number(values['alpha-s']) });
    console.log(`region ${r}: α-CROWN closed ${alpha.closed} of ${reg.unsafe.length} disjuncts`);
    const root = rootOf(net, reg.lower, reg.upper, alpha.bounds[0]);
    for (const refresh of settings) {
      let proved = 0;
      for (let k = 0; k < reg.unsafe.length; k++) {
        if (!open.open[0][k]) continue;
        const rows = rowsOfConjunction(reg.unsafe[k], m);
        const res = await generalBab(net, reg.lower, reg.upper, rows, { deadline: Date.now() + 1000 * Number(values.seconds), root, refresh });
        if (res.status === 'proved') proved++;
        console.log(`refresh ${refresh ? 'on ' : 'off'} disjunct ${k}: ${res.status}, ${res.domains} domains, depth ${res.maxDepth}, margin ${res.rootMargin.toFixed(3)} at the root, ${res.margin.toFixed(3)} at the end (${res.timeS.toFixed(1)} s)`);
      }
      console.log(`refresh ${refresh ? 'on' : 'off'}: ${proved} proved`);
    }
  }
}

main().catch((e) => { console.error(e instanceof Error ? e.message : String(e)); process.exit(2); });
