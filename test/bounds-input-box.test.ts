// Boxes that share one input box (BackwardState.inputBox: branch and bound's domains, one box
// restricted by splits) are bounded reading that box once: the concretisation and the minimising
// corner read it for every row, and the first Dense layer's kernel sees the rows of many boxes as
// rows of one box (ops/dense.ts concretiseInput merges their runs unpadded). The bounds and
// corners must be the same bits as with one copy of the input box per box, for plain passes (live
// rows) and gradient passes alike; and the SIMD corner kernel must equal the JS loop bit for bit.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { outputSize } from '../src/network.js';
import { planOf } from '../src/bounds/plan.js';
import { crownChunk } from '../src/bounds/crown.js';
import { backwardPass, type BackwardState } from '../src/bounds/backward.js';
import { concretise, concretiseJs, cornerJs } from '../src/bounds/linalg.js';
import { wasmGemmAvailable } from '../src/bounds/wasm/gemm.js';
import type { Relaxation } from '../src/bounds/relax/types.js';
import { gaussian, randomBoxes, randomNetwork, seededRng, type Rng } from './helpers/random-network.js';

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
  assert.is(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: ${a[i]} against ${b[i]}`);
};

/** Coefficients with exact zeros of both signs among them (the corner's third case). */
const coefficient = (rng: Rng) => { const u = rng(); return u < 0.2 ? 0 : u < 0.3 ? -0 : gaussian(rng); };

test('the SIMD corner equals the JS loop bit for bit (odd and even widths, ±0 coefficients, several boxes)', () => {
  assert.ok(wasmGemmAvailable(), 'this Node has WebAssembly SIMD');
  const rng = seededRng(8101);
  for (const size of [784, 785, 33, 4096]) {
    const n = 7, boxes = 3;
    const A = Float64Array.from({ length: n * size }, () => coefficient(rng));
    const mid = Float64Array.from({ length: boxes * size }, () => (rng() < 0.1 ? -0 : gaussian(rng)));
    const rad = Float64Array.from({ length: boxes * size }, () => (rng() < 0.1 ? 0 : rng()));
    const box = Int32Array.from({ length: n }, () => Math.floor(rng() * boxes));
    const lbW = Float64Array.from({ length: n }, () => gaussian(rng)), lbJ = Float64Array.from(lbW);
    const cW = new Float64Array(n * size), cJ = new Float64Array(n * size);
    assert.ok(n * size >= 4096 || size === 33, 'the wasm path runs for the wide rows');
    concretise(A, n, size, mid, rad, box, lbW, cW);
    concretiseJs(A, n, size, mid, rad, box, lbJ);
    cornerJs(A, n, size, mid, rad, box, cJ);
    sameBits(lbW, lbJ, `width ${size}: bounds`);
    sameBits(cW, cJ, `width ${size}: corner`);
  }
});

/** Fresh copies of the ReLU relaxations with some (box, neuron) lines zeroed: boxes then differ in their live neurons, as split domains do. */
function splitLike(rng: Rng, st: BackwardState): (Relaxation | undefined)[] {
  return st.relax.map((r, j) => {
    if (!r || r.kind !== 'lines' || st.plan.layers[j].op.kind !== 'relu') return r;
    const out = { ...r, lowSlope: r.lowSlope.slice(), upSlope: r.upSlope.slice(), upIcpt: r.upIcpt.slice(), lowIcpt: r.lowIcpt?.slice() };
    for (let f = 0; f < out.lowSlope.length; f++) {
      if (rng() < 0.3) { out.lowSlope[f] = 0; out.upSlope[f] = 0; out.upIcpt[f] = 0; if (out.lowIcpt) out.lowIcpt[f] = 0; }
    }
    return out;
  });
}

test('boxes sharing one input box: the same bounds and corners as one copy per box (dense, conv, residual, sigmoid nets)', () => {
  let merged = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const rng = seededRng(8200 + seed);
    const net = randomNetwork(rng, { kind: (['dense', 'conv', 'residual', 'sigmoid'] as const)[seed % 4], depth: 3, width: 20 });
    const { boxes } = randomBoxes(rng, net, 1, { maxRadius: 0.05 + 0.3 * rng() });
    const plan = planOf(net), inSize = plan.inSize, D = 6, J = 2, m = outputSize(net), last = plan.layers.length - 1;
    const tile = (a: Float64Array) => { const t = new Float64Array(a.length * D); for (let d = 0; d < D; d++) t.set(a, d * a.length); return t; };
    const { state } = crownChunk(plan, { lower: tile(boxes.lower), upper: tile(boxes.upper) }, D, 64, false);
    const relax = splitLike(rng, state);
    const copies: BackwardState = { plan, count: D, relax, inMid: state.inMid, inRad: state.inRad };
    const shared: BackwardState = { plan, count: D, relax, inMid: state.inMid.slice(0, inSize), inRad: state.inRad.slice(0, inSize), inputBox: new Int32Array(D) };
    const R = D * J;
    const box = Int32Array.from({ length: R }, (_, r) => Math.floor(r / J));
    const A0 = Float64Array.from({ length: R * m }, () => coefficient(rng));
    const rows = () => ({ n: R, box, bias: new Float64Array(R) });
    // plain passes (live rows, concretised in the first Dense step where it reads the input)
    sameBits(backwardPass(shared, last, A0.slice(), rows()), backwardPass(copies, last, A0.slice(), rows()), `seed ${seed}: plain bounds`);
    // gradient passes: the bounds and the corners the reverse sweep starts from
    const cS = new Float64Array(R * inSize), cC = new Float64Array(R * inSize);
    const lbS = backwardPass(shared, last, A0.slice(), rows(), { grad: [], corner: cS });
    const lbC = backwardPass(copies, last, A0.slice(), rows(), { grad: [], corner: cC });
    sameBits(lbS, lbC, `seed ${seed}: gradient-pass bounds`);
    sameBits(cS, cC, `seed ${seed}: corners`);
    if (plan.layers[0].op.kind === 'dense') merged++;
  }
  assert.ok(merged >= 3, `only ${merged} nets start with a Dense layer: the merged concretisation was hardly run`);
});

test.run();
