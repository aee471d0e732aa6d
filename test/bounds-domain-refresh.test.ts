// Per-domain intermediate bounds (src/bounds/optimise/domain-layers.ts `refresh`): on random
// dense, conv (pad/affine/maxpool/avgpool), residual and sigmoid networks with random ReLU
// splits and sigmoid cuts, every layer's refreshed bounds hold at every sampled point of the
// domain (points near a point the splits were chosen around, and points of the whole box that
// happen to satisfy them), and so do the domain's output bounds with optimised α and β (also at
// points moved by projected gradient steps that lower each row); the
// refreshed bounds are never looser (a child's never looser than its parent's, whose bounds it
// inherits) than the root's with the cuts and are strictly tighter
// somewhere; a domain the refresh finds empty has no sampled point; branch and bound with it
// agrees with the exact MILP minimum.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Network } from '../src/network.js';
import { INPUT, outputSize } from '../src/network.js';
import { forwardLayers } from '../src/forward.js';
import { planOf } from '../src/bounds/plan.js';
import { crownChunk } from '../src/bounds/crown.js';
import { boundDomains, cutPoint, type Split } from '../src/bounds/optimise/domains.js';
import { domainLayers } from '../src/bounds/optimise/domain-layers.js';
import { gaussian, randomBoxes, randomNetwork, pointsInBox, seededRng, type Rng } from './helpers/random-network.js';
import { tolOf } from './helpers/bounds-check.js';
import { babAgainstExact } from './helpers/bab-exact.js';
import { checkDomainPoints, inSplits } from './helpers/domain-points.js';

const kinds = ['dense', 'conv', 'residual', 'sigmoid'] as const;

function instance(rng: Rng, seed: number): { net: Network; lower: Float64Array; upper: Float64Array } {
  const net = randomNetwork(rng, { kind: kinds[seed % 4], depth: 3, width: 6 });
  const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.3 + 0.5 * rng() });
  return { net, lower: boxes.lower, upper: boxes.upper };
}

test('refreshed layer and output bounds hold on the domain, are no looser than the root\'s, tighter somewhere; empty domains have no points', () => {
  let checked = 0, tighter = 0, refreshed = 0;
  for (let seed = 1; seed <= 32; seed++) {
    const rng = seededRng(7100 + seed);
    const { net, lower, upper } = instance(rng, seed);
    const plan = planOf(net);
    const { state, bounds } = crownChunk(plan, { lower, upper }, 1, 64, false);
    // splits chosen around a point x0 of the box (its side of each), so the domain holds points
    const x0 = pointsInBox(rng, { lower, upper, count: 1 }, 0, 1);
    const a0 = forwardLayers(net, x0, 1);
    const cand: Split[] = [];
    plan.layers.forEach((p, j) => {
      const kind = p.op.kind;
      if (kind !== 'relu' && kind !== 'sigmoid') return;
      const src = p.inputs[0], b = src === INPUT ? { lower, upper } : bounds[src];
      for (let i = 0; i < b.lower.length; i++) {
        const l = b.lower[i], u = b.upper[i];
        if (kind === 'relu' ? !(l < 0 && u > 0) : !(u - l > 1e-3)) continue;
        const point = kind === 'relu' ? undefined : cutPoint(l, u);
        const z = src === INPUT ? x0[i] : a0[src][i];
        cand.push({ layer: j, neuron: i, active: z >= (point ?? 0), ...(point === undefined ? {} : { point }) });
      }
    });
    const domains: Split[][] = [];
    for (let d = 0; d < 4; d++) domains.push(cand.filter(() => rng() < 0.35).map((s) => (d === 3 && rng() < 0.3 ? { ...s, active: !s.active } : s)));
    const plain = domainLayers(state, bounds, { lower, upper }, domains);
    const L = domainLayers(state, bounds, { lower, upper }, domains, { refresh: true });
    refreshed += L.refreshed;
    // never looser than the root's bounds with the cuts, tighter somewhere
    L.bounds.forEach((b, j) => {
      for (let k = 0; k < b.lower.length; k++) {
        if (L.empty[Math.floor(k / plan.layers[j].outSize)]) continue;
        assert.ok(b.lower[k] >= plain.bounds[j].lower[k] - tolOf(b.lower[k]) && b.upper[k] <= plain.bounds[j].upper[k] + tolOf(b.upper[k]), `seed ${seed} layer ${j} neuron ${k}: [${b.lower[k]}, ${b.upper[k]}] not inside [${plain.bounds[j].lower[k]}, ${plain.bounds[j].upper[k]}]`);
        if (b.upper[k] - b.lower[k] < plain.bounds[j].upper[k] - plain.bounds[j].lower[k] - 1e-9) tighter++;
      }
    });
    const m = outputSize(net), J = 2;
    const c = Float64Array.from({ length: J * m }, () => gaussian(rng));
    const res = boundDomains(state, c, J, domains, domains.map(() => undefined), { iterations: 4, lr: 0.1, bounds, input: { lower, upper }, refresh: true });
    // and points moved by projected gradient steps that lower each row
    checked += checkDomainPoints({ net, lower, upper, c, J, domains, lb: res.lb, inDomain: (sp, pts, acts, q) => inSplits(net, sp, pts, acts, q), rng, points: 60, pgdSteps: 6, label: `seed ${seed}` });
    // children: each domain and one more split (its parent's bounds inherited): inside their parent's
    // bounds (up to rounding: an interval image of narrower inputs may differ in the last bits)
    const children = domains.map((sp) => [...sp, cand.find((c0) => !sp.some((s) => s.layer === c0.layer && s.neuron === c0.neuron)) ?? sp[0]].filter((s) => s));
    const Lc = domainLayers(state, bounds, { lower, upper }, children, { refresh: true, inherited: domains.map((sp, d) => ({ packed: L.packed[d], splits: sp.length })) });
    Lc.bounds.forEach((b, j) => {
      for (let k = 0; k < b.lower.length; k++) {
        if (L.empty[Math.floor(k / plan.layers[j].outSize)] || Lc.empty[Math.floor(k / plan.layers[j].outSize)]) continue;
        assert.ok(b.lower[k] >= L.bounds[j].lower[k] - tolOf(b.lower[k]) && b.upper[k] <= L.bounds[j].upper[k] + tolOf(b.upper[k]), `seed ${seed} child layer ${j} neuron ${k}: [${b.lower[k]}, ${b.upper[k]}] not inside its parent's [${L.bounds[j].lower[k]}, ${L.bounds[j].upper[k]}]`);
      }
    });
    // points near x0 (a fifth of the box's radius) and over the whole box
    const P = 300;
    const near = pointsInBox(rng, { lower: lower.map((v, i) => x0[i] - 0.2 * (x0[i] - v)), upper: upper.map((v, i) => x0[i] + 0.2 * (v - x0[i])), count: 1 }, 0, P);
    const wide = pointsInBox(rng, { lower, upper, count: 1 }, 0, P);
    for (const pts of [near, wide]) {
      const acts = forwardLayers(net, pts, P);
      const y = acts[acts.length - 1];
      for (const [doms, Ld, what] of [[domains, L, 'domain'], [children, Lc, 'child']] as const) {
        doms.forEach((splits, d) => {
          for (let q = 0; q < P; q++) {
            if (!inSplits(net, splits, pts, acts, q)) continue;
            assert.ok(!Ld.empty[d], `seed ${seed} ${what} ${d}: found empty, but point ${q} satisfies its ${splits.length} splits`);
            Ld.bounds.forEach((b, j) => {
              const n = plan.layers[j].outSize;
              for (let i = 0; i < n; i++) {
                const v = acts[j][q * n + i];
                assert.ok(v >= b.lower[d * n + i] - tolOf(v) && v <= b.upper[d * n + i] + tolOf(v), `seed ${seed} ${what} ${d} layer ${j} (${plan.layers[j].op.kind}) neuron ${i}: ${v} outside [${b.lower[d * n + i]}, ${b.upper[d * n + i]}]`);
                checked++;
              }
            });
            if (what === 'child') continue;
            for (let j = 0; j < J; j++) {
              let v = 0;
              for (let o = 0; o < m; o++) v += c[j * m + o] * y[q * m + o];
              assert.ok(v >= res.lb[d * J + j] - tolOf(v), `seed ${seed} domain ${d} row ${j}: ${v} below ${res.lb[d * J + j]}`);
            }
          }
        });
      }
    }
  }
  assert.ok(checked > 20000, `only ${checked} checks`);
  assert.ok(refreshed > 0 && tighter > 50, `refresh bounded ${refreshed} domain layers, tightened ${tighter} neurons`);
});

test('a domain whose cuts contradict each other is empty: every bound holds on it', () => {
  const rng = seededRng(7301);
  let net: Network;
  do net = randomNetwork(rng, { kind: 'sigmoid', depth: 2, width: 5 }); while (!net.layers.some((l) => l.op.kind === 'sigmoid'));
  const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.5 });
  const plan = planOf(net);
  const { state, bounds } = crownChunk(plan, boxes, 1, 64, false);
  const j = plan.layers.findIndex((p) => p.op.kind === 'sigmoid');
  const src = plan.layers[j].inputs[0], b = src === INPUT ? boxes : bounds[src];
  const l = b.lower[0], u = b.upper[0], p1 = l + 0.3 * (u - l), p2 = l + 0.6 * (u - l);
  // z ≤ p1 and z ≥ p2 > p1: no input satisfies both
  const domains: Split[][] = [[{ layer: j, neuron: 0, active: false, point: p1 }, { layer: j, neuron: 0, active: true, point: p2 }], [{ layer: j, neuron: 0, active: true, point: p1 }]];
  const L = domainLayers(state, bounds, boxes, domains, { refresh: true });
  assert.equal(Array.from(L.empty), [1, 0]);
  const m = outputSize(net), c = Float64Array.from({ length: m }, () => gaussian(rng));
  const res = boundDomains(state, c, 1, domains, [undefined, undefined], { iterations: 2, lr: 0.1, bounds, input: boxes, refresh: true });
  assert.is(res.lb[0], Infinity);
  assert.ok(Number.isFinite(res.lb[1]), `the satisfiable domain's bound ${res.lb[1]}`);
});

test('branch and bound with refreshed bounds agrees with the exact MILP minimum (dense, conv, residual)', async () => {
  const tally = { proved: 0, cexes: 0, beyondRoot: 0 };
  for (let seed = 1; seed <= 12; seed++) {
    const rng = seededRng(7500 + seed);
    let net: Network;
    do net = randomNetwork(rng, { kind: kinds[seed % 3], depth: 2, width: 6 }); while (net.layers.some((l) => l.op.kind === 'sigmoid'));
    const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.2 + 0.4 * rng() });
    const m = outputSize(net);
    const a = Float64Array.from({ length: m }, () => gaussian(rng));
    await babAgainstExact(net, boxes.lower, boxes.upper, a, (min) => [min - 0.2 * (1 + Math.abs(min)), min - 1e-5, min + 1e-5, min + 0.3 * (1 + Math.abs(min))], tally, `seed ${seed}`, { refresh: true });
  }
  assert.ok(tally.proved >= 6 && tally.cexes >= 6, `proved ${tally.proved}, counterexamples ${tally.cexes}`);
});

test.run();
