// MILP refinement of intermediate bounds (src/milp/refine-bounds.ts) on random dense ReLU nets:
// the refined bounds contain every neuron's exact range (enumerated activation patterns,
// milp-brute.ts) and every sampled point; they are never looser than the given ones; with the
// whole prefix integer and no gap they reach the exact range; the same checks catch a
// refinement that takes the solver's primal value instead of its proven bound; and the cascade
// with the refine stage agrees with the exact MILP.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Network } from '../src/network.js';
import { crownLayerBounds } from '../src/bounds/index.js';
import type { LayerBounds } from '../src/bounds/types.js';
import { forward } from '../src/forward.js';
import { refineBounds } from '../src/milp/refine-bounds.js';
import { rootOf } from '../src/verify/bab/search.js';
import { CpuEngine } from '../src/bounds/index.js';
import { milpFindInSet } from '../src/milp/findset.js';
import { verifyProperty } from '../src/verify/cascade.js';
import { robustnessProperty } from '../src/index.js';
import { dense, makeNet, patternMinimum, rng } from './milp-brute.js';

const randn = (r: () => number): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());

/** n inputs → (Dense w → ReLU) × depth → Dense 2. */
function mlp(seed: number, n: number, w: number, depth: number): Network {
  const r = rng(seed);
  const layers: [ReturnType<typeof dense> | { kind: 'relu' }][] = [];
  let inF = n;
  for (let d = 0; d < depth; d++) {
    layers.push([dense(inF, w, Array.from({ length: inF * w }, () => randn(r) / Math.sqrt(inF)), Array.from({ length: w }, () => 0.3 * randn(r)))]);
    layers.push([{ kind: 'relu' }]);
    inF = w;
  }
  layers.push([dense(inF, 2, Array.from({ length: inF * 2 }, () => randn(r)), [0, 0])]);
  return makeNet(`mlp-${seed}`, [n], layers);
}

/** The exact range of every neuron of layer p (a weighted layer read by a ReLU), by enumeration. */
async function exactRange(net: Network, p: number, lower: Float64Array, upper: Float64Array): Promise<{ lo: number[]; hi: number[] }> {
  const prefix: Network = { ...net, layers: net.layers.slice(0, p + 1) };
  const m = net.layers[p].shape[0];
  const lo: number[] = [], hi: number[] = [];
  for (let k = 0; k < m; k++) {
    const e = new Float64Array(m); e[k] = 1;
    lo.push(await patternMinimum(prefix, lower, upper, e));
    e[k] = -1;
    hi.push(-(await patternMinimum(prefix, lower, upper, e)));
  }
  return { lo, hi };
}

interface Case { net: Network; lower: Float64Array; upper: Float64Array; base: LayerBounds[] }

function cases(): Case[] {
  const out: Case[] = [];
  for (let seed = 1; seed <= 8; seed++) {
    const n = 2 + (seed % 3);
    const net = mlp(seed, n, 5, 3);
    const r = rng(100 + seed);
    const c = Float64Array.from({ length: n }, () => r() - 0.5);
    const eps = 0.4 + r();
    const lower = c.map((v) => v - eps), upper = c.map((v) => v + eps);
    out.push({ net, lower, upper, base: crownLayerBounds(net, { lower, upper, count: 1 }) });
  }
  return out;
}

const rederive = (net: Network, lower: Float64Array, upper: Float64Array) => (b: LayerBounds[]) => rootOf(net, lower, upper, b).bounds;
const tol = (v: number) => 1e-6 * (1 + Math.abs(v));

test('refined bounds contain the exact ranges and sampled points, never loosen, and reach the exact range with the whole prefix integer', async () => {
  let tightened = 0, exactHits = 0, unstableLeft = 0;
  for (const { net, lower, upper, base } of cases()) {
    const res = await refineBounds(net, lower, upper, base, {
      deadline: Date.now() + 20_000, perNeuronS: 5, maxBinaries: Infinity, relGap: 1e-9, absGap: 1e-9, rederive: rederive(net, lower, upper),
    });
    assert.ok(res.stats.layers.length >= 1, `${net.name}: some layer refined`);
    const b = res.bounds;
    // never looser than what was given
    b.forEach((l, i) => {
      for (let k = 0; k < l.lower.length; k++) {
        assert.ok(l.lower[k] >= base[i].lower[k] - 1e-12 && l.upper[k] <= base[i].upper[k] + 1e-12, `${net.name}: layer ${i} neuron ${k} loosened`);
        if (l.lower[k] > base[i].lower[k] + 1e-6 || l.upper[k] < base[i].upper[k] - 1e-6) tightened++;
      }
    });
    // the exact range of every refined layer's neurons lies inside
    for (const p of res.stats.layers) {
      const ex = await exactRange(net, p, lower, upper);
      for (let k = 0; k < ex.lo.length; k++) {
        assert.ok(b[p].lower[k] <= ex.lo[k] + tol(ex.lo[k]), `${net.name}: layer ${p} neuron ${k}: lower ${b[p].lower[k]} above the exact minimum ${ex.lo[k]}`);
        assert.ok(b[p].upper[k] >= ex.hi[k] - tol(ex.hi[k]), `${net.name}: layer ${p} neuron ${k}: upper ${b[p].upper[k]} below the exact maximum ${ex.hi[k]}`);
        // a neuron left unstable was solved to its exact range (nothing to stop at on that side)
        if (b[p].lower[k] < 0 && b[p].upper[k] > 0) {
          unstableLeft++;
          if (Math.abs(b[p].lower[k] - ex.lo[k]) <= 1e-5 * (1 + Math.abs(ex.lo[k])) && Math.abs(b[p].upper[k] - ex.hi[k]) <= 1e-5 * (1 + Math.abs(ex.hi[k]))) exactHits++;
        }
      }
    }
    // sampled points (corners and inside) of every layer, the re-derived later layers included
    const r = rng(7);
    const n = lower.length, S = 400;
    const X = new Float64Array(S * n);
    for (let s = 0; s < S; s++) for (let i = 0; i < n; i++) X[s * n + i] = s % 2 ? (r() < 0.5 ? lower[i] : upper[i]) : lower[i] + r() * (upper[i] - lower[i]);
    for (let i = 0; i < net.layers.length; i++) {
      const Y = forward({ ...net, layers: net.layers.slice(0, i + 1) }, X, S);
      const m = b[i].lower.length;
      for (let s = 0; s < S; s++) for (let k = 0; k < m; k++) {
        const v = Y[s * m + k];
        assert.ok(v >= b[i].lower[k] - tol(v) && v <= b[i].upper[k] + tol(v), `${net.name}: layer ${i} neuron ${k}: point value ${v} outside [${b[i].lower[k]}, ${b[i].upper[k]}]`);
      }
    }
  }
  assert.ok(tightened > 0, 'refinement tightened nothing on 8 random nets');
  assert.ok(unstableLeft > 0 && exactHits === unstableLeft, `${exactHits} of ${unstableLeft} neurons left unstable reached their exact range`);
});

test('the checks catch a refinement that uses the primal value (an upper bound of the minimum) instead of the proven bound', async () => {
  let caught = 0;
  for (const { net, lower, upper, base } of cases()) {
    // a loose gap stops each MILP at its first good point: its value lies above the minimum
    const res = await refineBounds(net, lower, upper, base, { deadline: Date.now() + 20_000, perNeuronS: 5, maxBinaries: Infinity, relGap: 0.9, unsoundUsePrimal: true });
    for (const p of res.stats.layers) {
      const ex = await exactRange(net, p, lower, upper);
      for (let k = 0; k < ex.lo.length; k++) {
        if (res.bounds[p].lower[k] > ex.lo[k] + tol(ex.lo[k]) || res.bounds[p].upper[k] < ex.hi[k] - tol(ex.hi[k])) caught++;
      }
    }
  }
  assert.ok(caught > 0, 'no primal-valued bound cut off an exact range: the soundness check above could not tell');
});

test('a window of one ReLU layer relaxes the older binaries and stays sound', async () => {
  for (const { net, lower, upper, base } of cases().slice(0, 4)) {
    const res = await refineBounds(net, lower, upper, base, { deadline: Date.now() + 20_000, perNeuronS: 5, window: 1, maxBinaries: 0, relGap: 1e-9 });
    for (const p of res.stats.layers) {
      const ex = await exactRange(net, p, lower, upper);
      for (let k = 0; k < ex.lo.length; k++) {
        assert.ok(res.bounds[p].lower[k] <= ex.lo[k] + tol(ex.lo[k]) && res.bounds[p].upper[k] >= ex.hi[k] - tol(ex.hi[k]), `${net.name}: layer ${p} neuron ${k}`);
      }
    }
  }
});

test('the cascade with the refine stage: never unsat where the exact MILP finds a counterexample, never sat where it proves none', async () => {
  const engine = new CpuEngine();
  let refined = 0;
  const answers: Record<string, number> = {};
  for (let seed = 20; seed < 32; seed++) {
    const net = mlp(seed, 3, 8, 3);
    const r = rng(seed);
    const x = Float64Array.from({ length: 3 }, () => r());
    const y = forward(net, x, 1);
    const prop = robustnessProperty(net, x, y[0] >= y[1] ? 0 : 1, [0.05, 0.15, 0.3, 0.6][seed % 4]);
    // the attack and bab skipped: the MILP works on the refined bounds, and sat must come from its replayed points
    const out = await verifyProperty(net, prop, { timeoutS: 20, engine, log: () => {}, skip: ['attack', 'bab'], refineMinS: 0, refineShare: 0.3 });
    if (out.stages.some((st) => st.stage === 'refine')) refined++;
    answers[out.answer] = (answers[out.answer] ?? 0) + 1;
    const reg = prop.regions[0];
    const exact = await milpFindInSet(net, reg, reg.unsafe, { timeLimitS: 60, solver: 'mip' });
    assert.ok(exact.status === 'found' || exact.status === 'infeasible', `seed ${seed}: the reference MILP ended ${exact.status}`);
    if (exact.status === 'found') assert.not.equal(out.answer, 'unsat', `seed ${seed}: unsat, but the MILP found a counterexample`);
    else assert.not.equal(out.answer, 'sat', `seed ${seed}: sat, but the MILP proves no counterexample`);
  }
  assert.ok(refined > 0, `the refine stage never ran (${JSON.stringify(answers)})`);
  assert.ok((answers.sat ?? 0) > 0 && (answers.unsat ?? 0) > 0, `both answers occur: ${JSON.stringify(answers)}`);
  await engine.dispose();
});

test.run();
