// The MILP's sigmoid relaxation on the ERAN sigmoid net: for each property, every disjunct
// goes to the MILP stage's one-LP query (lp-find.ts); prints its status, proven bound (a lower bound of
// max_r a_r·y − b_r over the box: above 0 closes the disjunct) next to CROWN's, its time, and the
// size of the encoding. Usage (after npx tsc -p .; VERIBOUND_SIGMOID_TANGENTS=k changes the tangent points):
//   nice node dist/bench/milp-sigmoid.js [--specs idx_7167,idx_56] [--timeout 120 (per property)] [--net PATH]
import { parseArgs } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { loadOnnxFile } from '../src/onnx/load.js';
import { readVnnlib } from '../src/spec/vnnlib.js';
import { boundNetworkCpu, crownLayerBounds } from '../src/bounds/index.js';
import { lpFindEach } from '../src/milp/lp-find.js';
import { encodeNetwork } from '../src/milp/encode/network.js';
import { DEFAULT_TANGENTS } from '../src/milp/encode/sigmoid-lines.js';

const eran = '../shared/benchmarks/eran';
const { values } = parseArgs({
  options: {
    net: { type: 'string', default: path.join(eran, 'nets/ffnnSIGMOID__Point_6x200.onnx') },
    specs: { type: 'string', default: 'idx_7167,idx_7955' },
    timeout: { type: 'string', default: '120' },
  },
});
const net = loadOnnxFile(values.net!);
const dir = path.join(eran, 'specs/mnist');
const files = fs.readdirSync(dir).filter((f) => f.includes('0.01200') && values.specs!.split(',').some((s) => f.includes(`${s}_`)));
let proved = 0, total = 0;
for (const f of files) {
  const prop = readVnnlib(path.join(dir, f));
  for (const region of prop.regions) {
    const box = { lower: region.lower, upper: region.upper };
    const layerBounds = crownLayerBounds(net, { lower: region.lower, upper: region.upper, count: 1 });
    const enc = encodeNetwork(net, box, { layerBounds });
    const data = enc.builder.data();
    process.stdout.write(`${f}: ${data.numCols} columns, ${data.numRows} rows, ${data.values.length} entries, ${enc.sigmoid.relaxed} sigmoids, ${enc.sigmoid.rows} line rows, ${DEFAULT_TANGENTS} tangent points\n`);
    // the stage's path for networks without binaries: one warm-started LP for every disjunct
    const res = await lpFindEach(net, box, region.unsafe, { deadline: Date.now() + Number(values.timeout) * 1000, layerBounds });
    for (let k = 0; k < region.unsafe.length; k++) {
      const d = res.perDisjunct[k];
      total++;
      if (d?.status === 'infeasible') proved++;
      // CROWN's bound on the same quantity, max_r min (a_r·y − b_r), for comparison
      const conj = region.unsafe[k];
      const cb = boundNetworkCpu(net, { lower: region.lower, upper: region.upper, count: 1 }, { method: 'crown', spec: { c: conj.a, rows: conj.rows, shared: true } }).lower;
      const crown = Math.max(...Array.from(cb, (v, r) => v - conj.b[r]));
      process.stdout.write(`  disjunct ${k}: ${d?.status ?? 'not reached'}, bound ${d?.bound.toFixed(4)} (CROWN ${crown.toFixed(4)}), ${d?.timeS.toFixed(1)} s\n`);
    }
    if (res.messages.length) process.stdout.write(`  ${res.messages.join('; ')}\n`);
  }
}
process.stdout.write(`${proved} of ${total} disjuncts proved unreachable\n`);
