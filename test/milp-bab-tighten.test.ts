// Root LP tightening (src/milp/tighten.ts): every real point of the box still satisfies the
// tightened model (so no answer can be cut off), it does tighten something on nets with a
// second ReLU layer, and the branch-and-bound answers the same with and without it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadHighs, solveMilp } from '../src/milp/highs.js';
import type { MilpData } from '../src/milp/builder.js';
import { applyTightened, findRelus, tightenRoot } from '../src/milp/tighten.js';
import { objectiveModel, prepare } from '../src/milp/problem.js';
import { patternMinimum, randomPoolNet, rng } from './milp-brute.js';

function violation(d: MilpData, v: Float64Array): number {
  let worst = 0;
  for (let j = 0; j < d.numCols; j++) worst = Math.max(worst, d.colLower[j] - v[j], v[j] - d.colUpper[j]);
  for (let r = 0; r < d.numRows; r++) {
    let s = 0;
    for (let t = d.starts[r]; t < d.starts[r + 1]; t++) s += d.values[t] * v[d.indices[t]];
    worst = Math.max(worst, d.rowLower[r] - s, s - d.rowUpper[r]);
  }
  return worst;
}

test('tightened models contain every real point and tighten the second ReLU layer', async () => {
  const highs = await loadHighs();
  const r = rng(3);
  let changed = 0;
  for (let seed = 50; seed < 58; seed++) {
    const n = 2 + (seed % 3);
    const net = randomPoolNet(seed, n);
    const lower = Float64Array.from({ length: n }, () => -1 - r());
    const upper = Float64Array.from({ length: n }, () => 1 + r());
    const p = prepare(net, { lower, upper });
    const data = objectiveModel(p, Float64Array.from([1, -1]));
    const bins: number[] = [];
    data.integrality.forEach((v, j) => { if (v) bins.push(j); });
    const relus = findRelus(data, bins);
    assert.is(relus.length, p.enc.relu.unstable, `seed ${seed}: every unstable ReLU is recognised`);
    const work: MilpData = { ...data, colLower: data.colLower.slice(), colUpper: data.colUpper.slice(), rowUpper: data.rowUpper.slice(), values: data.values.slice() };
    const model = highs.createModel({
      numCols: data.numCols, numRows: data.numRows, colCost: data.colCost, offset: data.offset, colLower: data.colLower, colUpper: data.colUpper,
      rowLower: data.rowLower, rowUpper: data.rowUpper,
      matrix: { format: 'csr', numRows: data.numRows, numCols: data.numCols, starts: data.starts, indices: data.indices, values: data.values },
    });
    try {
      model.options.set({ output_flag: false, presolve: 'off' });
      const lo = new Float64Array(bins.length), hi = new Float64Array(bins.length).fill(1);
      const t = tightenRoot(model, work, relus.filter((q) => !q.first), lo, hi, Date.now() + 10_000, highs.constants.modelStatus.optimal);
      changed += t.tightened + t.stabilised;
      // the model HiGHS holds is the one we track
      const held = model.getLp('csr');
      assert.equal(Array.from(held.colUpper), Array.from(work.colUpper));
      for (let s = 0; s < 300; s++) {
        const x = Float64Array.from({ length: n }, (_, i) => lower[i] + r() * (upper[i] - lower[i]));
        const v = p.enc.builder.assignment(x);
        assert.ok(violation(work, v) < 1e-9, `seed ${seed}: a real point violates the tightened model by ${violation(work, v)}`);
      }
    } finally {
      model.dispose();
    }
    const exact = await patternMinimum(net, lower, upper, [1, -1]);
    for (const tightenShare of [0, 0.5]) {
      const b = await solveMilp(data, { timeLimitS: 20, method: 'bab', tightenShare });
      assert.ok(Math.abs(b.objective! - exact) < 1e-6 * (1 + Math.abs(exact)) && b.bound <= exact + 1e-9, `seed ${seed} share ${tightenShare}: ${b.objective} / ${b.bound} vs ${exact}`);
    }
  }
  assert.ok(changed > 0, 'tightening never changed a bound');
});

test('another objective over the same rows reuses the tightening and keeps its exact minimum', async () => {
  let reused = 0;
  for (let seed = 50; seed < 58; seed++) {
    const n = 2 + (seed % 3);
    const net = randomPoolNet(seed, n);
    const lower = new Float64Array(n).fill(-1.5), upper = new Float64Array(n).fill(1.5);
    const p = prepare(net, { lower, upper });
    const first = await solveMilp(objectiveModel(p, Float64Array.from([1, -1])), { timeLimitS: 20, method: 'bab', tightenShare: 0.5 });
    if (!first.tightened) continue;
    reused++;
    const other = applyTightened(objectiveModel(p, Float64Array.from([-1, 1])), first.tightened);
    assert.ok(other, `seed ${seed}: the tightening applies to the same encoding`);
    // a model over another box is another encoding: the tightening must refuse it
    const wider = prepare(net, { lower: lower.map((v) => v - 0.5), upper });
    assert.is(applyTightened(objectiveModel(wider, Float64Array.from([-1, 1])), first.tightened), undefined);
    const b = await solveMilp(other!, { timeLimitS: 20, method: 'bab', tightenShare: 0 });
    const exact = await patternMinimum(net, lower, upper, [-1, 1]);
    assert.ok(Math.abs(b.objective! - exact) < 1e-6 * (1 + Math.abs(exact)) && b.bound <= exact + 1e-9, `seed ${seed}: ${b.objective} / ${b.bound} vs ${exact}`);
  }
  assert.ok(reused > 0, 'no solve returned tightened bounds');
});

test.run();
