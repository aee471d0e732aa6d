// The one backward pass with relaxation parameters (src/bounds/backward.ts, relax/*): on random
// networks containing every op (dense, conv, pad, affine, maxpool, avgpool, sigmoid, permute,
// reshape, residual add),
//  - its gradients with respect to α (per row: ReLU lower slopes, sigmoid lines on their
//    family, max-pool lower lines) and β (split multipliers) match finite differences of the bound;
//  - any α ∈ [0, 1] and any β ≥ 0 on a ReLU split give a bound that no sampled point and no
//    PGD point of the split's subdomain falls below (CROWN with its default α is the case of
//    no parameters, and gives the same bound as passing them explicitly).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Network } from '../src/network.js';
import { INPUT, outputSize } from '../src/network.js';
import { planOf } from '../src/bounds/plan.js';
import { crownChunk } from '../src/bounds/crown.js';
import { backwardPass, type BackwardState, type PassParams } from '../src/bounds/backward.js';
import type { LayerBounds } from '../src/bounds/types.js';
import { defaultAlpha, type LayerParams, type LineRelax, type SplitTerms } from '../src/bounds/relax/types.js';
import { ctxOf } from '../src/bounds/plan.js';
import { forwardLayers } from '../src/forward.js';
import { inputGradient } from '../src/gradient.js';
import { RANDOM_NET_KINDS, randInt, randomBoxes, randomNetwork, pointsInBox, seededRng, type Rng } from './helpers/random-network.js';
import { tolOf } from './helpers/bounds-check.js';

interface Setup { net: Network; state: BackwardState; bounds: LayerBounds[]; lower: Float64Array; upper: Float64Array; last: number }

function setup(rng: Rng, kind: (typeof RANDOM_NET_KINDS)[number]): Setup {
  const net = randomNetwork(rng, { kind });
  const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.6 });
  const plan = planOf(net);
  const { state, bounds } = crownChunk(plan, { lower: boxes.lower, upper: boxes.upper }, 1, 64, false);
  return { net, state, bounds, lower: boxes.lower, upper: boxes.upper, last: plan.layers.length - 1 };
}

function randomRows(rng: Rng, R: number, m: number): Float64Array {
  return Float64Array.from({ length: R * m }, () => 2 * rng() - 1);
}

/** α for every free ReLU neuron (random in [0, 1]) and β on `betaLayers` (random ≥ 0, signed). */
function randomParams(rng: Rng, s: Setup, R: number, withBeta: boolean): (LayerParams | undefined)[] {
  const plan = s.state.plan;
  return plan.layers.map((p, j) => {
    if (!p.rule.nonlinear) return undefined;
    const param: LayerParams = {};
    const relax = s.state.relax[j];
    if (relax?.free) param.alpha = Float64Array.from({ length: R * p.outSize }, () => rng());
    if (withBeta) param.beta = everyInput(R, p.inSizes[0], () => 2 * rng() - 1); // never exactly 0: a zero coefficient is a kink
    return param;
  });
}

/** Split terms on every (row, input) of an n-wide layer, row by row, values from `value`. */
function everyInput(R: number, n: number, value: () => number): SplitTerms {
  const row = new Int32Array(R * n), at = new Int32Array(R * n);
  for (let q = 0; q < R * n; q++) { row[q] = Math.floor(q / n); at[q] = q % n; }
  return { row, at, value: Float64Array.from({ length: R * n }, value) };
}

function bound(s: Setup, A0: Float64Array, R: number, params?: PassParams): Float64Array {
  return backwardPass(s.state, s.last, A0.slice(), { n: R, box: new Int32Array(R), bias: new Float64Array(R) }, params);
}

for (const kind of RANDOM_NET_KINDS) {
  test(`${kind} networks: d bound / d α and d bound / d β match finite differences`, () => {
    let checked = 0, kinks = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const rng = seededRng(seed * 31337 + kind.length);
      const s = setup(rng, kind);
      const R = 3, m = outputSize(s.net);
      const A0 = randomRows(rng, R, m);
      const layer = randomParams(rng, s, R, true);
      const grad = layer.map((p) => p && { alpha: p.alpha && new Float64Array(p.alpha.length), beta: p.beta && { ...p.beta, value: new Float64Array(p.beta.value.length) } });
      bound(s, A0, R, { layer, grad });
      const h = 1e-6;
      layer.forEach((p, j) => {
        if (!p) return;
        for (const key of ['alpha', 'beta'] as const) {
          const v = key === 'alpha' ? p.alpha : p.beta?.value, g = key === 'alpha' ? grad[j]!.alpha : grad[j]!.beta?.value;
          if (!v || !g) continue;
          for (let q = 0; q < v.length; q++) {
            if (key === 'alpha' && !(s.state.relax[j] as LineRelax).free![q % (v.length / R)]) continue;
            const keep = v[q];
            v[q] = keep + h; const up = bound(s, A0, R, { layer });
            v[q] = keep - h; const down = bound(s, A0, R, { layer });
            v[q] = keep;
            const r = Math.floor(q / (v.length / R));
            const fdUp = (up[r] - (up[r] + down[r]) / 2) / h, fd = (up[r] - down[r]) / (2 * h);
            const close = (a: number, b: number) => Math.abs(a - b) <= 1e-4 * (1 + Math.abs(b));
            if (!close(g[q], fd)) {
              // a kink of the piecewise-linear bound between the two probes: one side must match
              const base = bound(s, A0, R, { layer })[r];
              const right = (up[r] - base) / h, left = (base - down[r]) / h;
              assert.ok(close(g[q], right) || close(g[q], left), `${kind} seed ${seed} layer ${j} ${key}[${q}]: gradient ${g[q]}, finite differences ${left} / ${right}`);
              kinks++;
            }
            void fdUp;
            // other rows do not depend on this row's parameters
            for (let o = 0; o < R; o++) if (o !== r) assert.ok(Math.abs(up[o] - down[o]) < 1e-12 * (1 + Math.abs(up[o])), `${kind} seed ${seed}: row ${o} moved with row ${r}'s ${key}`);
            checked++;
          }
        }
      });
    }
    assert.ok(checked > 50, `only ${checked} derivatives checked`);
    assert.ok(kinks < checked / 10, `${kinks} of ${checked} derivatives at kinks`);
  });

  test(`${kind} networks: CROWN's default α passed explicitly gives the CROWN bound`, () => {
    for (let seed = 1; seed <= 10; seed++) {
      const rng = seededRng(seed * 7 + kind.length);
      const s = setup(rng, kind);
      const R = 2, m = outputSize(s.net);
      const A0 = randomRows(rng, R, m);
      const layer = s.state.plan.layers.map((p, j) => {
        const relax = s.state.relax[j];
        if (!relax?.free) return undefined;
        const alpha = new Float64Array(R * p.outSize);
        for (let r = 0; r < R; r++) alpha.set(defaultAlpha(relax), r * p.outSize);
        return { alpha };
      });
      const plain = bound(s, A0, R), explicit = bound(s, A0, R, { layer });
      for (let r = 0; r < R; r++) assert.is(explicit[r], plain[r], `${kind} seed ${seed} row ${r}`);
    }
  });

  test(`${kind} networks: any α ∈ [0, 1] and β ≥ 0 on a ReLU split bound every sampled and PGD point of the split's subdomain`, () => {
    let inside = 0;
    for (let seed = 1; seed <= 25; seed++) {
      const rng = seededRng(seed * 7919 + kind.length);
      const s = setup(rng, kind);
      const plan = s.state.plan, R = 2, m = outputSize(s.net), n = plan.inSize;
      const A0 = randomRows(rng, R, m);
      const layer = randomParams(rng, s, R, false);
      // α at the ends of [0, 1] too
      for (const p of layer) if (p?.alpha && rng() < 0.3) p.alpha.forEach((_, q) => { p.alpha![q] = rng() < 0.5 ? 0 : 1; });
      // one split on an unstable ReLU input, when there is one: the subdomain s·z ≥ 0
      const reluLayers = plan.layers.map((p, j) => j).filter((j) => plan.layers[j].op.kind === 'relu');
      let split: { j: number; src: number; i: number; sign: number } | undefined;
      for (const j of reluLayers) {
        const src = plan.layers[j].inputs[0];
        const b = src === INPUT ? { lower: s.lower, upper: s.upper } : s.bounds[src];
        for (let i = 0; i < b.lower.length && !split; i++) if (b.lower[i] < 0 && b.upper[i] > 0 && rng() < 0.5) split = { j, src, i, sign: rng() < 0.5 ? 1 : -1 };
      }
      if (split) {
        // splits as data: the split neuron's bounds, then its layer's relaxation from them
        const p = plan.layers[split.j];
        const src = split.src === INPUT ? { lower: s.lower, upper: s.upper } : s.bounds[split.src];
        const b = { lower: src.lower.slice(), upper: src.upper.slice() };
        if (split.sign > 0) b.lower[split.i] = 0; else b.upper[split.i] = 0;
        s.state.relax[split.j] = p.rule.relax!(p.op, [b], ctxOf(p, 1));
        const beta: SplitTerms = { row: Int32Array.from({ length: R }, (_, r) => r), at: new Int32Array(R).fill(split.i), value: new Float64Array(R) };
        for (let r = 0; r < R; r++) beta.value[r] = -split.sign * 3 * rng(); // g = −s·z ≤ 0
        layer[split.j] = { ...(layer[split.j] ?? {}), beta };
        // the relaxation changed: α must only touch neurons it marks free
        const relax = s.state.relax[split.j] as LineRelax;
        const alpha = layer[split.j]!.alpha;
        if (alpha) for (let q = 0; q < alpha.length; q++) if (!relax.free![q % p.outSize]) alpha[q] = 0.5;
      }
      const lb = bound(s, A0, R, { layer });
      const inRegion = (acts: Float64Array[], q: number): boolean => {
        if (!split) return true;
        const z = split.src === INPUT ? undefined : acts[split.src];
        const size = plan.layers[split.j].inSizes[0];
        const v = z ? z[q * size + split.i] : NaN;
        return split.sign * v >= 0;
      };
      for (let r = 0; r < R; r++) {
        const P = 24;
        const box = { lower: s.lower, upper: s.upper, count: 1 };
        const x = pointsInBox(rng, box, 0, P);
        const c = new Float64Array(P * m);
        for (let q = 0; q < P; q++) c.set(A0.subarray(r * m, (r + 1) * m), q * m);
        for (let step = 0; step <= 10; step++) {
          const acts = forwardLayers(s.net, x, P);
          const out = acts[acts.length - 1];
          for (let q = 0; q < P; q++) {
            if (!inRegion(acts, q)) continue;
            let v = 0;
            for (let o = 0; o < m; o++) v += A0[r * m + o] * out[q * m + o];
            if (!(v >= lb[r] - tolOf(v))) assert.unreachable(`${kind} seed ${seed} row ${r} step ${step}: value ${v} below the bound ${lb[r]}${split ? ` (split layer ${split.j} neuron ${split.i} sign ${split.sign})` : ''}`);
            inside++;
          }
          const { grad } = inputGradient(s.net, x, P, c);
          for (let q = 0; q < P; q++) for (let i = 0; i < n; i++) {
            const lo = s.lower[i], hi = s.upper[i];
            x[q * n + i] = Math.min(hi, Math.max(lo, x[q * n + i] - 0.2 * (hi - lo) * Math.sign(grad[q * n + i])));
          }
        }
      }
      void randInt;
    }
    assert.ok(inside > 500, `only ${inside} points checked`);
  });
}

test.run();
