// Branch and bound (src/verify/bab/search.ts) with its leaves decided by the MILP of the domain
// (bab/leaf.ts), against the exact MILP on small random networks: every proof agrees with the
// exact minimum, thresholds near the minimum get decided (the leaves make the search complete on
// these sizes), counterexamples replay; and the cascade's bab stage.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Network } from '../src/network.js';
import { inputSize, outputSize } from '../src/network.js';
import { forward } from '../src/forward.js';
import { alphaCrown } from './helpers/alpha-bounds.js';
import { generalBab, rootOf, type BabRowSpec, type BabResult } from '../src/verify/bab/search.js';
import { milpLeaf } from '../src/verify/bab/leaf.js';
import { milpFindInSet, milpMinimizeLinear } from '../src/milp/index.js';
import { verifyProperty } from '../src/verify/cascade.js';
import { insideBox, unsafeDisjunct } from '../src/spec/property.js';
import { CpuEngine } from '../src/bounds/index.js';
import { pgdAttack } from '../src/attack/pgd.js';
import { gaussian, randomBoxes, randomNetwork, seededRng, type Rng } from './helpers/random-network.js';
import { robustnessProperty } from './helpers/robustness-property.js';

function box(rng: Rng, n: number, radius: number): { lower: Float64Array; upper: Float64Array } {
  const lower = new Float64Array(n), upper = new Float64Array(n);
  for (let i = 0; i < n; i++) { const c = 2 * rng() - 1; lower[i] = c - radius; upper[i] = c + radius; }
  return { lower, upper };
}

function dot(a: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * y[i];
  return s;
}

function instance(seed: number): { net: Network; lower: Float64Array; upper: Float64Array } {
  const rng = seededRng(seed);
  const net = randomNetwork(rng, { kind: 'dense', depth: 2 + (seed % 2), width: 6 + (seed % 3) });
  const { lower, upper } = box(rng, inputSize(net), 0.2 + 0.4 * rng());
  return { net, lower, upper };
}

/** The search with leaf MILPs, from the box's α-optimised layer bounds. */
async function babWithLeaves(net: Network, lower: Float64Array, upper: Float64Array, rows: BabRowSpec[], o: { ms: number; batch: number; candidate: (x: Float64Array) => boolean }): Promise<BabResult> {
  const m = outputSize(net);
  const alpha = alphaCrown(net, lower, upper, new Float64Array(m), 1, { iterations: 0, intermediate: 10 });
  const root = rootOf(net, lower, upper, alpha.bounds);
  const leaf = milpLeaf(net, lower, upper, rows, root.bounds);
  assert.ok(leaf.leaf, 'the MILP encodes a ReLU net');
  return generalBab(net, lower, upper, rows, { deadline: Date.now() + o.ms, batch: o.batch, root, candidate: o.candidate, leaf: leaf.leaf ?? undefined });
}

test('proofs agree with the exact MILP minimum; clear margins get proved; counterexamples replay', async () => {
  let proved = 0, cexes = 0, hard = 0, leaves = 0, asked = 0, decidedAll = 0;
  for (let seed = 1; seed <= 24; seed++) {
    const { net, lower, upper } = instance(seed);
    const rng = seededRng(2000 + seed);
    const m = outputSize(net);
    const a = Float64Array.from({ length: m }, () => gaussian(rng));
    const exact = await milpMinimizeLinear(net, { lower, upper }, a, { timeLimitS: 30, solver: 'mip' });
    assert.is(exact.status, 'optimal', `seed ${seed}`);
    const min = exact.value!;
    const root = alphaCrown(net, lower, upper, a, 1, { iterations: 30, intermediate: 10 });
    const scale = Math.max(1e-3, min - root.lower[0]);
    if (scale > 1e-3) hard++;
    // thresholds around the exact minimum: below it by a margin, just below, just above, far above
    for (const b of [min - 0.3 * scale - 1e-3, min - 1e-6, min + 1e-6, min + 0.5 * scale + 1e-3]) {
      const res = await babWithLeaves(net, lower, upper, [{ a, b }], {
        ms: 4000, batch: 16, candidate: (x) => insideBox({ lower, upper, unsafe: [] }, x) && dot(a, forward(net, x, 1)) <= b,
      });
      leaves += res.lps;
      // near the minimum too the search decides (the leaves make it complete here); never stuck
      asked++;
      if (res.status === 'proved' || res.status === 'counterexample') decidedAll++;
      assert.is.not(res.status, 'stuck', `seed ${seed}: b ${b}, min ${min}: stuck (${res.why})`);
      if (res.status === 'proved') {
        proved++;
        assert.ok(min > b - 1e-7, `seed ${seed}: branch and bound proved min > ${b}, exact minimum ${min}`);
      }
      if (res.status === 'counterexample') {
        cexes++;
        const y = forward(net, res.x!, 1);
        assert.ok(insideBox({ lower, upper, unsafe: [] }, res.x!) && dot(a, y) <= b, `seed ${seed}: counterexample does not replay`);
        assert.ok(b >= min - 1e-7);
      }
      if (b < min - 1e-3 && b === min - 0.3 * scale - 1e-3) assert.is(res.status, 'proved', `seed ${seed}: min ${min}, b ${b}, root ${root.lower[0]}: ${res.status} after ${res.domains} domains`);
    }
  }
  assert.ok(proved >= 24 && hard >= 5, `proved ${proved}, hard ${hard}`);
  assert.ok(cexes > 0, 'no counterexample found on any instance above the minimum');
  assert.ok(leaves > 0, 'no leaf MILP ran');
  // a loaded machine may time a few out; the leaves decide the rest
  assert.ok(decidedAll >= 0.9 * asked, `decided ${decidedAll} of ${asked}`);
});

test('two-row conjunctions: proofs agree with the MILP feasibility check', async () => {
  let proved = 0, agreeable = 0, inTime = 0;
  for (let seed = 40; seed < 60; seed++) {
    const { net, lower, upper } = instance(seed);
    const rng = seededRng(3000 + seed);
    const m = outputSize(net);
    const a1 = Float64Array.from({ length: m }, () => gaussian(rng)), a2 = Float64Array.from({ length: m }, () => gaussian(rng));
    // thresholds from the output at a random point, shifted down: sometimes reachable, sometimes not
    const y0 = forward(net, lower.map((l, i) => l + rng() * (upper[i] - l)), 1);
    const b1 = dot(a1, y0) - rng() * 1.5, b2 = dot(a2, y0) - rng() * 1.5;
    const conj = { a: new Float64Array([...a1, ...a2]), b: new Float64Array([b1, b2]), rows: 2 };
    const exact = await milpFindInSet(net, { lower, upper }, [conj], { timeLimitS: 30 });
    const res = await babWithLeaves(net, lower, upper, [{ a: a1, b: b1 }, { a: a2, b: b2 }], {
      ms: 6000, batch: 8,
      candidate: (x) => unsafeDisjunct({ lower, upper, unsafe: [conj] }, forward(net, x, 1)) >= 0 && insideBox({ lower, upper, unsafe: [] }, x),
    });
    if (res.status === 'proved') { proved++; assert.is.not(exact.status, 'found', `seed ${seed}: proved, but the MILP found a point`); }
    if (res.status === 'counterexample') assert.is.not(exact.status, 'infeasible', `seed ${seed}: a counterexample, but the MILP says infeasible`);
    if (exact.status === 'infeasible' && res.status === 'proved') agreeable++;
    // the same answer as the MILP wherever the search ends in time (a loaded machine may time some out)
    if (res.status !== 'timeout' && exact.status === 'found') assert.is(res.status, 'counterexample', `seed ${seed}: the MILP found a point, the search ${res.status}`);
    if (res.status !== 'timeout' && exact.status === 'infeasible') assert.is(res.status, 'proved', `seed ${seed}: the MILP says infeasible, the search ${res.status}`);
    if (res.status !== 'timeout') inTime++;
  }
  assert.ok(proved > 0 && agreeable > 0, `proved ${proved}`);
  assert.ok(inTime >= 15, `only ${inTime} of 20 ended in time`);
});

test('leaf MILPs on conv nets with max-pooling (binaries left in the leaf): answers equal the exact MILP', async () => {
  let decided = 0, leaves = 0;
  for (let seed = 1; seed <= 8; seed++) {
    const rng: Rng = seededRng(7000 + seed);
    let net: Network;
    do net = randomNetwork(rng, { kind: 'conv', depth: 2, width: 4 });
    while (net.layers.some((l) => l.op.kind === 'sigmoid') || !net.layers.some((l) => l.op.kind === 'maxpool2d'));
    const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.3 + 0.3 * rng() });
    const { lower, upper } = boxes;
    const m = outputSize(net);
    const a = Float64Array.from({ length: m }, () => gaussian(rng));
    const exact = await milpMinimizeLinear(net, { lower, upper }, a, { timeLimitS: 20, solver: 'mip' });
    if (exact.status !== 'optimal') continue;
    const min = exact.value!;
    for (const b of [min - 1e-5, min + 1e-5]) {
      const res = await babWithLeaves(net, lower, upper, [{ a, b }], {
        ms: 4000, batch: 8, candidate: (x) => insideBox({ lower, upper, unsafe: [] }, x) && dot(a, forward(net, x, 1)) <= b,
      });
      leaves += res.lps;
      if (res.status === 'proved') { decided++; assert.ok(min > b - 1e-7, `seed ${seed}: proved min > ${b}, exact minimum ${min}`); }
      if (res.status === 'counterexample') { decided++; assert.ok(min <= b + 1e-7, `seed ${seed}: a counterexample below ${b}, exact minimum ${min}`); }
    }
  }
  assert.ok(decided >= 12, `decided ${decided}`);
  assert.ok(leaves > 0, 'no leaf MILP ran');
});

test('cascade: bab decides properties α-CROWN leaves open (MILP skipped); answers check out', async () => {
  const engine = new CpuEngine();
  let decided = 0;
  const rng = seededRng(77);
  for (let trial = 0; trial < 40 && decided < 2; trial++) {
    const net = randomNetwork(rng, { kind: 'dense', depth: 3, width: 16, outputs: 3 });
    const n = inputSize(net);
    const x = Float64Array.from({ length: n }, () => rng());
    const prop = robustnessProperty(net, x, 0.15 + 0.2 * rng());
    const out = await verifyProperty(net, prop, { timeoutS: 20, engine, log: () => {}, skip: ['milp'], alphaIterations: 10, alphaIntermediateIterations: 0 });
    if (out.answer === 'sat') {
      const cex = out.counterexample!;
      assert.ok(prop.regions.some((r) => insideBox(r, cex.x, 1e-9) && unsafeDisjunct(r, forward(net, cex.x, 1)) >= 0), `trial ${trial}: sat does not replay`);
    }
    if (out.answer === 'unsat') {
      for (const region of prop.regions) {
        assert.is(pgdAttack(net, region, { restarts: 16, steps: 60, seed: 5 }).counterexample, null, `trial ${trial}: unsat, but the attack found one`);
      }
    }
    if (out.decidedBy === 'bab') {
      decided++;
      if (out.answer === 'unsat') {
        // every disjunct the cascade closed in bab is also infeasible for the MILP
        const region = prop.regions[0];
        const exact = await milpFindInSet(net, region, region.unsafe, { timeLimitS: 30 });
        assert.is.not(exact.status, 'found', `trial ${trial}: bab unsat, MILP found a point`);
      }
      assert.ok(out.stages.some((s) => s.stage === 'bab'));
    }
  }
  assert.ok(decided >= 1, 'bab decided no property');
});

test.run();
