// Diagnosis of the pairs a default sweep leaves open (what `sweep --complete` has to decide): per
// epsilon, how many, the worst CROWN margin each has, how many a much stronger seeded attack
// (16 starts × 100 steps) refutes, and for the first few still open, verify's cascade with its
// stage lines (α-CROWN, branch and bound domains, the MILP's binaries and time). Under load the
// cascade's budget is wall-clock, so the CPU seconds are printed too.
//   node dist/bench/sweep-open-pairs.js [--net mnist-mlp] [--samples 30] [--eps 0.01:0.1:10]
//                                       [--timeout 10] [--cascade 10]
import { parseArgs } from 'node:util';
import { loadTarget } from '../src/sweep/setup.js';
import { startTable } from '../src/sweep/classify.js';
import { falsifyByAttack } from '../src/sweep/falsify.js';
import { attackPairs } from '../src/sweep/attack.js';
import { runSweep } from '../src/sweep/scheduler.js';
import { pairProperty } from '../src/sweep/complete.js';
import { parseEpsList } from '../src/sweep/eps.js';
import { buildBoxes } from '../src/sweep/boxes.js';
import { marginSpec } from '../src/spec/margins.js';
import { verifyProperty } from '../src/verify/cascade.js';
import { createCpuEngine } from '../src/engine.js';
import { inputSize } from '../src/network.js';

const { values } = parseArgs({ options: {
  net: { type: 'string', default: 'mnist-mlp' }, samples: { type: 'string', default: '30' }, eps: { type: 'string', default: '0.01:0.1:10' },
  timeout: { type: 'string', default: '10' }, cascade: { type: 'string', default: '10' },
} });
const eps = parseEpsList(values.eps!);
const { net, data } = await loadTarget({ net: values.net!, samples: Number(values.samples) });
const n = inputSize(net);
const { candidates, table } = startTable(net, data.inputs, data.labels, data.count, eps);
const problem = { net, inputs: data.inputs, labels: data.labels, count: data.count, eps, candidates };
const engine = createCpuEngine();
const cpu0 = process.cpuUsage();
const f = await falsifyByAttack(problem, {});
for (const i of candidates) if (f.cex[i]) table.falsified(i, f.hi[i], f.cex[i]!, 'attack');
const run = await runSweep(engine, problem, { method: 'crown', hi: Int32Array.from({ length: data.count }, (_, i) => table.firstFalsified(i)) });
const open: [number, number][] = [];
for (const i of candidates) for (let k = run.lo[i]; k < table.firstFalsified(i); k++) open.push([i, k]);
console.log(`${net.name}, ${data.count} inputs: ${open.length} open pairs over ${new Set(open.map((p) => p[0])).size} inputs after the default sweep`);
if (open.length) {
  const boxes = buildBoxes(data.inputs, n, open.map((p) => p[0]), open.map((p) => eps[p[1]]));
  const b = await engine.bound(net, boxes, { method: 'crown', spec: marginSpec(net, open.map((p) => data.labels[p[0]])) });
  const margin = open.map((_, q) => Math.min(...b.lower.subarray(q * b.rows, (q + 1) * b.rows)));
  const t = performance.now();
  const strong = attackPairs(net, data.inputs, data.labels, open.map(([i, k]) => ({ input: i, eps: eps[k] })), { restarts: 16, steps: 100, seed: 7 });
  console.log(`stronger attack (16 starts x 100 steps): refutes ${strong.filter(Boolean).length} of ${open.length} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  for (const [k, e] of eps.entries()) {
    const q = open.map((p, j) => j).filter((j) => open[j][1] === k);
    if (!q.length) continue;
    const rest = q.filter((j) => !strong[j]);
    console.log(`eps ${e}: ${q.length} open, stronger attack refutes ${q.length - rest.length}; worst CROWN margin of the rest: ${rest.map((j) => margin[j].toFixed(2)).join(' ')}`);
  }
  let shown = 0;
  for (const [j, [i, k]] of open.entries()) {
    if (strong[j] || shown++ >= Number(values.cascade)) continue;
    const lines: string[] = [];
    const c0 = process.cpuUsage(), t0 = performance.now();
    const out = await verifyProperty(net, pairProperty(net, problem, i, eps[k]), { timeoutS: Number(values.timeout), engine, seed: 1, log: (l) => lines.push(l) });
    const c = process.cpuUsage(c0);
    console.log(`input ${i} eps ${eps[k]} (CROWN ${margin[j].toFixed(2)}): ${out.answer} by ${out.decidedBy ?? '-'} in ${((performance.now() - t0) / 1000).toFixed(1)} s wall, ${((c.user + c.system) / 1e6).toFixed(1)} s CPU`);
    for (const l of lines) console.log('    ' + l);
  }
}
const c = process.cpuUsage(cpu0);
console.log(`CPU ${((c.user + c.system) / 1e6).toFixed(1)} s`);
await engine.dispose();
