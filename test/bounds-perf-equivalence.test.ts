// The fast paths of the CPU bound engine give the same numbers as the plain ones: the
// WebAssembly SIMD GEMM and concretisation equal the JS loops bit for bit (and a naive triple
// loop within 1e-12), on awkward shapes; the committed wasm binary is the WAT compiled; and
// bounds split over worker threads equal the single-threaded bounds bit for bit.
import fs from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import wabtInit from 'wabt';
import { concretise, concretiseJs, matmulRows, matmulRowsJs } from '../src/bounds/linalg.js';
import { wasmGemmAvailable } from '../src/bounds/wasm/gemm.js';
import { gemmWat } from '../src/bounds/wasm/gemm-wat.js';
import { GEMM_WASM_BASE64 } from '../src/bounds/wasm/gemm-binary.js';
import { boundNetworkThreaded, workerJobs } from '../src/bounds/threads.js';
import { boundNetworkCpu, CpuEngine, crownLayerBounds } from '../src/bounds/index.js';
import { planOf } from '../src/bounds/plan.js';
import { UserError } from '../src/errors.js';
import { marginSpec } from '../src/spec/margins.js';
import { outputSize } from '../src/network.js';
import { randInt, randomBoxes, randomNetwork, seededRng, type Rng } from './helpers/random-network.js';

function sameBits(a: Float64Array, b: Float64Array, what: string): void {
  assert.is(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.unreachable(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

/** Entries in [-1, 1], a fraction `zeros` of them 0, plus whole zero rows and columns. */
function randomMatrix(rng: Rng, rows: number, cols: number, zeros: number): Float64Array {
  const m = Float64Array.from({ length: rows * cols }, () => (rng() < zeros ? 0 : 2 * rng() - 1));
  const zr = randInt(rng, 0, rows - 1), zc = randInt(rng, 0, cols - 1);
  m.fill(0, zr * cols, (zr + 1) * cols);
  for (let r = 0; r < rows; r++) m[r * cols + zc] = 0;
  return m;
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1], [1, 7, 1], [2, 3, 2], [3, 5, 9], [4, 8, 8], [5, 1, 13], [6, 50, 3], [7, 33, 17], [9, 64, 64],
  [13, 50, 784], [17, 256, 31], [64, 100, 101], [3, 300, 5],
];

test('layers the plan leaves untightened (exactly bounded) would not have tightened', () => {
  const rng = seededRng(404);
  let skipped = 0;
  for (let t = 0; t < 12; t++) {
    const net = randomNetwork(rng, { kind: t % 2 ? 'conv' : 'dense', depth: 2 });
    const { boxes } = randomBoxes(rng, net, 3, { clip01: true });
    const fast = crownLayerBounds(net, boxes);
    // the same net under another key, its plan forced to back-substitute every layer a nonlinear op reads
    const twin = { ...net };
    const plan = planOf(twin);
    plan.layers.forEach((p) => {
      if (!p.rule.nonlinear) return;
      for (const src of p.inputs) if (src >= 0 && plan.layers[src].tighten === 'none') { plan.layers[src].tighten = p.rule.onlyUnstable ? 'unstable' : 'all'; skipped++; }
    });
    const slow = crownLayerBounds(twin, boxes);
    fast.forEach((b, i) => {
      for (let k = 0; k < b.lower.length; k++) {
        const tol = 1e-9 * (1 + Math.abs(b.lower[k]) + Math.abs(b.upper[k]));
        assert.ok(Math.abs(b.lower[k] - slow[i].lower[k]) <= tol && Math.abs(b.upper[k] - slow[i].upper[k]) <= tol, `net ${t} layer ${i}[${k}]: [${b.lower[k]}, ${b.upper[k]}] vs [${slow[i].lower[k]}, ${slow[i].upper[k]}]`);
      }
    });
  }
  assert.ok(skipped > 0, 'no layer was left untightened');
});

test('the SIMD GEMM equals the JS loop bit for bit and a naive product within 1e-12', () => {
  assert.ok(wasmGemmAvailable(), 'WebAssembly SIMD kernel did not load');
  const rng = seededRng(7);
  for (const [n, inner, cols] of SHAPES) {
    for (const zeros of [0, 0.5, 0.95]) {
      const A = randomMatrix(rng, n, inner, zeros);
      const WT = randomMatrix(rng, cols, inner, 0.1);
      const fast = new Float64Array(n * cols).fill(NaN), js = new Float64Array(n * cols).fill(NaN);
      matmulRows(A, n, inner, WT, cols, fast);
      matmulRowsJs(A, n, inner, WT, cols, js);
      sameBits(fast, js, `${n}×${inner}×${cols} zeros ${zeros}`);
      for (let r = 0; r < n; r++) {
        for (let j = 0; j < cols; j++) {
          let s = 0, mag = 0;
          for (let k = 0; k < inner; k++) { s += A[r * inner + k] * WT[j * inner + k]; mag += Math.abs(A[r * inner + k] * WT[j * inner + k]); }
          const got = fast[r * cols + j];
          if (!(Math.abs(got - s) <= 1e-12 * Math.max(mag, 1e-300))) assert.unreachable(`${n}×${inner}×${cols} [${r},${j}]: ${got} vs naive ${s}`);
        }
      }
    }
  }
});

test('the SIMD GEMM keeps results apart across calls with different resident factors', () => {
  const rng = seededRng(8);
  const Ws = Array.from({ length: 5 }, () => randomMatrix(rng, 40, 30, 0));
  for (let round = 0; round < 3; round++) {
    for (const WT of Ws) {
      const A = randomMatrix(rng, 11, 30, 0.3);
      const fast = new Float64Array(11 * 40), js = new Float64Array(11 * 40);
      matmulRows(A, 11, 30, WT, 40, fast);
      matmulRowsJs(A, 11, 30, WT, 40, js);
      sameBits(fast, js, `round ${round}`);
    }
  }
});

test('the SIMD concretisation equals the JS loop bit for bit (odd row counts, boxes out of order)', () => {
  const rng = seededRng(9);
  for (const [n, size, boxes] of [[1, 784, 1], [2, 100, 3], [7, 784, 4], [64, 50, 9], [33, 129, 33]]) {
    const A = randomMatrix(rng, n, size, 0.3);
    const mid = randomMatrix(rng, boxes, size, 0), rad = Float64Array.from({ length: boxes * size }, () => rng() * 0.1);
    const box = Int32Array.from({ length: n }, () => randInt(rng, 0, boxes - 1));
    const bias = Float64Array.from({ length: n }, () => rng() - 0.5);
    const fast = bias.slice(), js = bias.slice();
    concretise(A, n, size, mid, rad, box, fast);
    concretiseJs(A, n, size, mid, rad, box, js);
    sameBits(fast, js, `${n} rows × ${size}`);
  }
});

test('the committed wasm binary is gemmWat() compiled by wabt', async () => {
  const wabt = await wabtInit();
  const mod = wabt.parseWat('gemm.wat', gemmWat(), { simd: true });
  mod.validate();
  const bytes = Buffer.from(mod.toBinary({}).buffer);
  mod.destroy();
  assert.ok(Buffer.from(GEMM_WASM_BASE64, 'base64').equals(bytes), 'src/bounds/wasm/gemm-binary.ts is stale: run node scripts/build-bounds-wasm.mjs');
  assert.ok(fs.existsSync(new URL('../../scripts/build-bounds-wasm.mjs', import.meta.url)), 'build script missing');
});

test('bounds split over worker threads equal single-threaded ones bit for bit', async () => {
  const rng = seededRng(10);
  for (const kind of ['dense', 'conv', 'residual', 'mixed'] as const) {
    const net = randomNetwork(rng, { kind });
    const count = randInt(rng, 5, 9);
    const { boxes } = randomBoxes(rng, net, count, { maxRadius: 0.3 });
    const labels = Array.from({ length: count }, () => randInt(rng, 0, outputSize(net) - 1));
    for (const method of ['ibp', 'crown'] as const) {
      for (const spec of [marginSpec(net, labels), undefined]) {
        const before = workerJobs();
        const one = boundNetworkCpu(net, boxes, { method, spec });
        const two = await boundNetworkThreaded(net, boxes, { method, spec }, 3, 1);
        assert.ok(workerJobs() > before, `${kind} ${method}: no range went to a worker`);
        assert.is(two.rows, one.rows);
        sameBits(two.lower, one.lower, `${kind} ${method} lower`);
        sameBits(two.upper, one.upper, `${kind} ${method} upper`);
      }
    }
  }
});

test('threaded bounds report bad boxes as a UserError and the engine matches the sync call', async () => {
  const rng = seededRng(11);
  const net = randomNetwork(rng, { kind: 'dense' });
  const { boxes } = randomBoxes(rng, net, 6, { maxRadius: 0.2 });
  const bad = { ...boxes, lower: boxes.lower.slice() };
  bad.lower[bad.lower.length - 1] = bad.upper[bad.upper.length - 1] + 1;
  try {
    await boundNetworkThreaded(net, bad, { method: 'crown' }, 2, 1);
    assert.unreachable('accepted a box with lower > upper');
  } catch (e) {
    assert.instance(e, UserError);
    assert.match((e as Error).message, /box 5 input/);
  }
  const engine = new CpuEngine({ threads: 2 });
  assert.match(engine.describe(), /2 threads/);
  const got = await engine.bound(net, boxes, { method: 'crown' });
  const want = boundNetworkCpu(net, boxes, { method: 'crown' });
  sameBits(got.lower, want.lower, 'engine lower');
  sameBits(got.upper, want.upper, 'engine upper');
  await engine.dispose();
});

test.run();
