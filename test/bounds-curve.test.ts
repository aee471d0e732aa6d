// The α family of a sigmoid's lines (src/bounds/relax/curve.ts, built by ops/sigmoid.ts): on
// random intervals of every shape (convex, concave, mixed, narrow, wide, lopsided), every
// member (α on a grid and at random) is a lower (upper) bound of σ at dense points of [l, u];
// α = 0 is the default (DeepPoly) pair bit for bit; the α-derivatives of slope and intercept
// match finite differences; the family reaches the tangents it promises (the lower path ends
// on a line touching σ at u in the mixed case, the upper one at l).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sigmoid, sigmoidRule, sigmoidRelax, setSigmoidNeuron } from '../src/bounds/ops/sigmoid.js';
import { ROTATION, curveLine, dsigmoid } from '../src/bounds/relax/curve.js';
import type { LineRelax } from '../src/bounds/relax/types.js';
import { seededRng } from './helpers/random-network.js';

function intervals(): [number, number][] {
  const rng = seededRng(17);
  const out: [number, number][] = [[-1, 1], [-3, 0.5], [-0.5, 3], [0.2, 4], [-4, -0.2], [-20, 20], [-12, 0.1], [-0.1, 12], [0, 2], [-2, 0], [-1e-4, 1e-4]];
  for (let i = 0; i < 400; i++) {
    const c = 8 * (rng() - 0.5), w = Math.pow(10, -3 + 4.5 * rng());
    const f = rng();
    out.push([c - f * w, c + (1 - f) * w]);
  }
  return out;
}

const line = new Float64Array(4);

test('every α ∈ [0, 1] gives a lower line below σ and an upper line above it on [l, u]', () => {
  const rng = seededRng(3);
  let checked = 0, moving = 0;
  for (const [l, u] of intervals()) {
    const r = sigmoidRelax(1);
    setSigmoidNeuron(r, 0, l, u);
    if (r.free![0]) moving++;
    const alphas = [0, 0.05, ROTATION - 1e-9, ROTATION, ROTATION + 1e-9, 0.25, 0.5, 0.75, 0.9, 1, rng(), rng()];
    for (const a of alphas) {
      for (const side of ['lower', 'upper'] as const) {
        curveLine(r.curve![side], 0, a, line);
        for (let q = 0; q <= 200; q++) {
          const x = l + (q / 200) * (u - l), s = sigmoid(x), v = line[0] * x + line[1];
          const tol = 1e-12;
          if (side === 'lower' ? !(v <= s + tol) : !(v >= s - tol)) assert.unreachable(`[${l}, ${u}] α ${a} ${side} line ${line[0]}·x + ${line[1]} = ${v} at x = ${x}, σ = ${s}`);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 100000 && moving > 300, `${checked} checks, ${moving} intervals with a family`);
});

test('α = 0 is the default (DeepPoly) pair, bit for bit', () => {
  const iv = intervals();
  const x = { lower: Float64Array.from(iv, (p) => p[0]), upper: Float64Array.from(iv, (p) => p[1]) };
  const n = iv.length;
  const r = sigmoidRule.relax!({ kind: 'sigmoid' }, [x], { count: 1, inShapes: [[n]], inSizes: [n], outShape: [n], outSize: n }) as LineRelax;
  for (let k = 0; k < n; k++) {
    curveLine(r.curve!.lower, k, 0, line);
    assert.is(line[0], r.lowSlope[k], `[${iv[k]}] lower slope`);
    assert.is(line[1], r.lowIcpt![k], `[${iv[k]}] lower intercept`);
    curveLine(r.curve!.upper, k, 0, line);
    assert.is(line[0], r.upSlope[k], `[${iv[k]}] upper slope`);
    assert.is(line[1], r.upIcpt[k], `[${iv[k]}] upper intercept`);
  }
});

test('d slope / dα and d intercept / dα match finite differences', () => {
  const rng = seededRng(5);
  let checked = 0;
  const up = new Float64Array(4), down = new Float64Array(4);
  for (const [l, u] of intervals()) {
    const r = sigmoidRelax(1);
    setSigmoidNeuron(r, 0, l, u);
    for (const side of ['lower', 'upper'] as const) {
      for (let t = 0; t < 4; t++) {
        const a = 0.02 + 0.96 * rng(), h = 1e-7;
        if (Math.abs(a - ROTATION) < 2 * h) continue; // the joint of the rotation and the tangents
        curveLine(r.curve![side], 0, a, line);
        curveLine(r.curve![side], 0, a + h, up);
        curveLine(r.curve![side], 0, a - h, down);
        for (const q of [0, 1]) {
          const fd = (up[q] - down[q]) / (2 * h);
          assert.ok(Math.abs(fd - line[q + 2]) <= 1e-5 * (1 + Math.abs(fd)), `[${l}, ${u}] ${side} α ${a} ${q ? 'intercept' : 'slope'}: derivative ${line[q + 2]}, finite difference ${fd}`);
          checked++;
        }
      }
    }
  }
  assert.ok(checked > 2000, `only ${checked}`);
});

test('the paths reach the tangents: in the mixed case the lower path ends touching σ at u, the upper at l; convex/concave cases end on the tangent at the far end', () => {
  for (const [l, u] of [[-1, 1], [-3, 0.5], [-0.5, 3], [-6, 2]] as [number, number][]) {
    const r = sigmoidRelax(1);
    setSigmoidNeuron(r, 0, l, u);
    curveLine(r.curve!.lower, 0, 1, line);
    if (r.curve!.lower.tEnd[0] === r.curve!.lower.tEnd[0]) {
      assert.ok(Math.abs(line[0] * u + line[1] - sigmoid(u)) < 1e-9, `[${l}, ${u}]: lower path's last line misses (u, σ(u)) by ${line[0] * u + line[1] - sigmoid(u)}`);
    }
    curveLine(r.curve!.upper, 0, 1, line);
    if (r.curve!.upper.tEnd[0] === r.curve!.upper.tEnd[0]) {
      assert.ok(Math.abs(line[0] * l + line[1] - sigmoid(l)) < 1e-9, `[${l}, ${u}]: upper path's last line misses (l, σ(l)) by ${line[0] * l + line[1] - sigmoid(l)}`);
    }
  }
  // convex side: the lower path ends on the tangent at u; concave side: the upper path on the tangent at l
  const r = sigmoidRelax(2);
  setSigmoidNeuron(r, 0, -4, -1);
  setSigmoidNeuron(r, 1, 1, 4);
  curveLine(r.curve!.lower, 0, 1, line);
  assert.ok(Math.abs(line[0] - dsigmoid(-1)) < 1e-15, 'convex: tangent at u');
  curveLine(r.curve!.upper, 1, 1, line);
  assert.ok(Math.abs(line[0] - dsigmoid(1)) < 1e-15, 'concave: tangent at l');
  // the side fixed by curvature (chord) does not move
  curveLine(r.curve!.upper, 0, 0.7, line);
  assert.is(line[0], r.upSlope[0]);
  assert.is(line[2], 0);
});

test.run();
