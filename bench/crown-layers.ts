// Where CROWN's time goes on a CNN (issue 13 item 5): one box around the first input of a JSON file
// ({"inputs": [[...]]}, as `veribound bounds --inputs` reads) or of the MNIST test set, and per
// layer CROWN tightens: the neurons that get back-substitution rows (two rows each), how many stay
// unstable, the CPU seconds and the resident memory. `--dense` keeps every row dense (the path
// before patch form); `--stop I` ends after layer I (deep nets take hours of CPU).
//   node dist/bench/crown-layers.js --net mnist-cnn --eps 0.02 [--inputs FILE.json] [--dense] [--stop I]
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { loadDataset, loadNetwork } from '../src/index.js';
import { INPUT, size } from '../src/network.js';
import { planOf, ctxOf } from '../src/bounds/plan.js';
import { crownChunk } from '../src/bounds/crown.js';
import type { LayerBounds } from '../src/bounds/types.js';

class Stop extends Error {}

function main(argv = process.argv.slice(2)): void {
  const { values } = parseArgs({
    args: argv,
    options: { net: { type: 'string', default: 'mnist-cnn' }, eps: { type: 'string', default: '0.02' }, inputs: { type: 'string' }, dense: { type: 'boolean', default: false }, stop: { type: 'string' } },
  });
  const net = loadNetwork(values.net!);
  const plan = planOf(net);
  const n = size(net.inputShape);
  const x = values.inputs
    ? Float64Array.from((JSON.parse(fs.readFileSync(values.inputs, 'utf8')) as { inputs: number[][] }).inputs[0])
    : Float64Array.from(loadDataset('mnist', { split: 'test' }).images.subarray(0, n));
  if (x.length !== n) throw new Error(`${values.net} takes ${n} input values, the input has ${x.length}`);
  const eps = Number(values.eps), stop = values.stop === undefined ? Infinity : Number(values.stop);
  const lower = x.map((v) => Math.max(0, v - eps)), upper = x.map((v) => Math.min(1, v + eps));
  const input: LayerBounds = { lower, upper };
  // each layer's bounds before CROWN tightens it: the interval image of the final bounds below
  const known: LayerBounds[] = [];
  let done = -1;
  const t0 = process.cpuUsage();
  let t = process.cpuUsage();
  console.log(`${values.net}: eps ${eps}, ${values.dense ? 'dense rows' : 'patch rows'}`);
  try {
    crownChunk(plan, input, 1, 2048, true, (_st, i, b) => {
      const u = process.cpuUsage(t);
      for (let j = done + 1; j <= i; j++) {
        const p = plan.layers[j];
        known[j] = p.rule.interval(p.op, p.inputs.map((s) => (s === INPUT ? input : known[s])), ctxOf(p, 1));
      }
      const p = plan.layers[i];
      let rows = 0, unstable = 0;
      for (let k = 0; k < p.outSize; k++) {
        const l = known[i].lower[k], h = known[i].upper[k];
        if (p.tighten === 'unstable' ? l < 0 && h > 0 : l < h) rows++;
        if (b.lower[k] < 0 && b.upper[k] > 0) unstable++;
      }
      known[i] = b;
      done = i;
      console.log(`layer ${i} ${p.op.kind} [${p.outShape}] (${p.tighten}): ${rows} neurons back-substituted, ${unstable} unstable after, ${((u.user + u.system) / 1e6).toFixed(2)} CPU-s, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
      t = process.cpuUsage();
      if (i >= stop) throw new Stop();
    }, !values.dense);
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
  }
  const u = process.cpuUsage(t0);
  console.log(`total ${((u.user + u.system) / 1e6).toFixed(2)} CPU-s${done >= stop ? ` (stopped after layer ${done})` : ''}`);
}

main();
