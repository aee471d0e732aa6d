import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Network } from '../src/network.js';
import { inputSize, outputSize } from '../src/network.js';
import { forward } from '../src/forward.js';
import { denseChain, type DenseChain } from '../src/verify/dense-chain.js';
import { chainPreBounds, type PreBounds } from '../src/verify/alpha-crown.js';
import { alphaCrown } from './helpers/alpha-chain.js';
import { reluBab } from '../src/verify/relu-bab.js';
import { boundDomains, type BabRow } from '../src/verify/relu-bab-bounds.js';
import { milpFindInSet, milpMinimizeLinear } from '../src/milp/index.js';
import { verifyProperty } from '../src/verify/cascade.js';
import { parseVnnlib } from '../src/spec/vnnlib.js';
import type { Property } from '../src/spec/property.js';
import { insideBox, unsafeDisjunct } from '../src/spec/property.js';
import { CpuEngine } from '../src/bounds/index.js';
import { pgdAttack } from '../src/attack/pgd.js';
import { loadHighs } from '../src/milp/highs.js';
import { gaussian, randomNetwork, seededRng, type Rng } from './helpers/random-network.js';

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

/** Pre-activations of every ReLU layer of the chain at x. */
function preActs(chain: DenseChain, x: Float64Array): Float64Array[] {
  const out: Float64Array[] = [];
  let h = x;
  chain.maps.forEach((m, k) => {
    const z = new Float64Array(m.out);
    for (let o = 0; o < m.out; o++) { let t = m.b[o]; for (let j = 0; j < m.in; j++) t += m.w[o * m.in + j] * h[j]; z[o] = t; }
    if (k < chain.maps.length - 1) out.push(z);
    h = z.map((v) => Math.max(0, v));
  });
  return out;
}

function instance(seed: number): { net: Network; chain: DenseChain; lower: Float64Array; upper: Float64Array; pre: PreBounds } {
  const rng = seededRng(seed);
  const net = randomNetwork(rng, { kind: 'dense', depth: 2 + (seed % 2), width: 6 + (seed % 3) });
  const chain = denseChain(net)!;
  const { lower, upper } = box(rng, inputSize(net), 0.2 + 0.4 * rng());
  return { net, chain, lower, upper, pre: chainPreBounds(net, chain, lower, upper) };
}

test('domain bounds hold at sampled points that satisfy the splits (random splits, random rows)', () => {
  let checked = 0;
  for (let seed = 1; seed <= 30; seed++) {
    const { net, chain, lower, upper, pre } = instance(seed);
    const rng = seededRng(1000 + seed);
    const m = outputSize(net);
    const rows: BabRow[] = [0, 1].map(() => ({ a: Float64Array.from({ length: m }, () => gaussian(rng)), b: 0 }));
    // random α for one row (any α in [0, 1] is sound)
    rows[1].alpha = pre.lower.map((l) => Float64Array.from(l, () => rng()));
    const unstable: [number, number][] = [];
    pre.lower.forEach((l, k) => l.forEach((v, i) => { if (v < 0 && pre.upper[k][i] > 0) unstable.push([k, i]); }));
    const domains: [number, number, boolean][][] = [[]];
    for (let d = 0; d < 12; d++) {
      const list: [number, number, boolean][] = [];
      for (const [k, i] of unstable) if (rng() < 0.3) list.push([k, i, rng() < 0.5]);
      domains.push(list);
    }
    const lb = boundDomains(chain, lower, upper, pre, rows, domains);
    // β-CROWN form: the exact pieces plus β·(constraint) with random β ≥ 0
    const betas = domains.map((list) => list.map(() => (rng() < 0.3 ? 0 : 2 * rng())));
    const lbBeta = boundDomains(chain, lower, upper, pre, rows, domains, betas);
    for (let s = 0; s < 600; s++) {
      const x = lower.map((l, i) => l + (s % 4 === 0 ? (rng() < 0.5 ? 0 : 1) : rng()) * (upper[i] - l));
      const z = preActs(chain, x);
      const y = forward(net, x, 1);
      domains.forEach((list, d) => {
        if (!list.every(([k, i, active]) => (active ? z[k][i] >= 0 : z[k][i] <= 0))) return;
        rows.forEach((row, j) => {
          const v = dot(row.a, y);
          assert.ok(v >= lb[d * rows.length + j] - 1e-9, `seed ${seed} domain ${d} row ${j}: a·y = ${v} < bound ${lb[d * rows.length + j]}`);
          assert.ok(v >= lbBeta[d * rows.length + j] - 1e-9, `seed ${seed} domain ${d} row ${j}: a·y = ${v} < β bound ${lbBeta[d * rows.length + j]}`);
          checked++;
        });
      });
    }
    // the root domain (no splits) is plain CROWN with these slopes: no better than the exact min, no worse than -Infinity
    assert.ok(Number.isFinite(lb[0]));
  }
  assert.ok(checked > 5000, `only ${checked} checks`);
});

test('proofs agree with the exact MILP minimum; clear margins get proved; counterexamples replay', async () => {
  let proved = 0, cexes = 0, hard = 0;
  for (let seed = 1; seed <= 24; seed++) {
    const { net, chain, lower, upper } = instance(seed);
    const rng = seededRng(2000 + seed);
    const m = outputSize(net);
    const a = Float64Array.from({ length: m }, () => gaussian(rng));
    const exact = await milpMinimizeLinear(net, { lower, upper }, a, { timeLimitS: 30, solver: 'mip' });
    assert.is(exact.status, 'optimal', `seed ${seed}`);
    const min = exact.value!;
    const root = alphaCrown(net, chain, lower, upper, a, 1, { iterations: 30, intermediate: 10, keepAlpha: true });
    const pre = root.pre;
    const scale = Math.max(1e-3, min - root.lower[0]);
    if (scale > 1e-3) hard++;
    // thresholds around the exact minimum: below it by a margin, just below, just above, far above
    for (const b of [min - 0.3 * scale - 1e-3, min - 1e-6, min + 1e-6, min + 0.5 * scale + 1e-3]) {
      const rows: BabRow[] = [{ a, b, alpha: root.alpha!.map((al) => al.slice()) }];
      const res = reluBab(chain, lower, upper, pre, rows, {
        deadline: Date.now() + 4000, batch: 16, highs: await loadHighs(),
        candidate: (x) => insideBox({ lower, upper, unsafe: [] }, x) && dot(a, forward(net, x, 1)) <= b,
      });
      if (res.status === 'proved') {
        proved++;
        assert.ok(min > b - 1e-7, `seed ${seed}: relu-bab proved min > ${b}, exact minimum ${min}`);
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
});

test('two-row conjunctions: proofs agree with the MILP feasibility check', async () => {
  let proved = 0, agreeable = 0;
  for (let seed = 40; seed < 60; seed++) {
    const { net, chain, lower, upper, pre } = instance(seed);
    const rng = seededRng(3000 + seed);
    const m = outputSize(net);
    const a1 = Float64Array.from({ length: m }, () => gaussian(rng)), a2 = Float64Array.from({ length: m }, () => gaussian(rng));
    // thresholds from the output at a random point, shifted down: sometimes reachable, sometimes not
    const y0 = forward(net, lower.map((l, i) => l + rng() * (upper[i] - l)), 1);
    const b1 = dot(a1, y0) - rng() * 1.5, b2 = dot(a2, y0) - rng() * 1.5;
    const conj = { a: new Float64Array([...a1, ...a2]), b: new Float64Array([b1, b2]), rows: 2 };
    const exact = await milpFindInSet(net, { lower, upper }, [conj], { timeLimitS: 30 });
    const rows: BabRow[] = [{ a: a1, b: b1 }, { a: a2, b: b2 }];
    const res = reluBab(chain, lower, upper, pre, rows, {
      deadline: Date.now() + 3000, batch: 8, highs: await loadHighs(),
      candidate: (x) => unsafeDisjunct({ lower, upper, unsafe: [conj] }, forward(net, x, 1)) >= 0 && insideBox({ lower, upper, unsafe: [] }, x),
    });
    if (res.status === 'proved') { proved++; assert.is.not(exact.status, 'found', `seed ${seed}: proved, but the MILP found a point`); }
    if (res.status === 'counterexample') assert.is.not(exact.status, 'infeasible', `seed ${seed}: a counterexample, but the MILP says infeasible`);
    if (exact.status === 'infeasible' && res.status === 'proved') agreeable++;
  }
  assert.ok(proved > 0 && agreeable > 0, `proved ${proved}`);
});

function robustnessProperty(net: Network, x: Float64Array, eps: number): Property {
  const y = forward(net, x, 1);
  let label = 0;
  for (let j = 1; j < y.length; j++) if (y[j] > y[label]) label = j;
  let text = '';
  for (let i = 0; i < x.length; i++) text += `(declare-const X_${i} Real)\n`;
  for (let j = 0; j < y.length; j++) text += `(declare-const Y_${j} Real)\n`;
  for (let i = 0; i < x.length; i++) text += `(assert (<= X_${i} ${x[i] + eps}))\n(assert (>= X_${i} ${x[i] - eps}))\n`;
  text += '(assert (or\n';
  for (let j = 0; j < y.length; j++) if (j !== label) text += `  (and (>= Y_${j} Y_${label}))\n`;
  text += '))\n';
  return parseVnnlib(text, 'generated');
}

test('cascade: relu-bab decides properties α-CROWN leaves open (MILP skipped); answers check out', async () => {
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
    if (out.decidedBy === 'relu-bab') {
      decided++;
      if (out.answer === 'unsat') {
        // every disjunct the cascade closed in relu-bab is also infeasible for the MILP
        const region = prop.regions[0];
        const exact = await milpFindInSet(net, region, region.unsafe, { timeLimitS: 30 });
        assert.is.not(exact.status, 'found', `trial ${trial}: relu-bab unsat, MILP found a point`);
      }
      assert.ok(out.stages.some((s) => s.stage === 'relu-bab'));
    }
  }
  assert.ok(decided >= 1, 'relu-bab decided no property');
});

test.run();
