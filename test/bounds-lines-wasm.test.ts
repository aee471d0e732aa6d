// The wasm `lines` kernel (src/bounds/wasm/gemm-wat.ts), which takes a ReLU's backward step
// inside the Dense step's product (live.ts fusedLines), against the JS step it replaces
// (relax/lines.ts stepRow) on the same product: the same coefficients and the same intercept sums,
// bit for bit, on odd and even row and column counts, with coefficients that are +0, −0, NaN and
// ±Infinity (from A; W is finite), slopes of 0, 1 and in between, and intercepts of 0.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gemmLinesWasmOnce, wasmGemmAvailable } from '../src/bounds/wasm/gemm.js';
import { matmulOnce } from '../src/bounds/linalg.js';
import { stepRow } from '../src/bounds/relax/lines.js';
import { randInt, seededRng, type Rng } from './helpers/random-network.js';

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.is(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.unreachable(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

const special = [0, -0, NaN, Infinity, -Infinity];
function entry(rng: Rng, odd: number): number {
  const u = rng();
  if (u < 0.2) return 0;
  if (u < odd) return special[randInt(rng, 0, special.length - 1)];
  return (rng() - 0.5) * 4;
}

test('the wasm lines step equals stepRow on the product, bit for bit', () => {
  assert.ok(wasmGemmAvailable(), 'this Node has WebAssembly SIMD');
  const rng = seededRng(4242);
  let negatives = 0;
  for (let t = 0; t < 60; t++) {
    const n = randInt(rng, 1, 13), inner = randInt(rng, 1, 40), L = randInt(rng, 1, 37), w = L + 1;
    const odd = t % 3 === 0 ? 0.25 : 0;
    const A = Float64Array.from({ length: n * inner }, () => entry(rng, odd));
    // W finite: the two products then agree (a zero of A against ±Infinity would not)
    const W = Float64Array.from({ length: inner * w }, () => (rng() < 0.1 ? -0 : entry(rng, 0)));
    // ReLU lines: stable (1, 1, 0), dead (0, 0, 0), unstable (0 or 1, s, −s·l)
    const low = new Float64Array(L), up = new Float64Array(L), icpt = new Float64Array(L);
    for (let j = 0; j < L; j++) {
      const kind = randInt(rng, 0, 2);
      if (kind === 0) { low[j] = 1; up[j] = 1; }
      else if (kind === 2) {
        const l = -rng() * 3, u = rng() * 3 + 1e-3, s = u / (u - l);
        low[j] = u >= -l ? 1 : 0; up[j] = s; icpt[j] = -s * l;
      }
    }
    let want: Float64Array | undefined, wantSums: Float64Array | undefined;
    matmulOnce(A, n, inner, W, w, (part) => {
      want = part.slice();
      wantSums = new Float64Array(n);
      for (let r = 0; r < n; r++) wantSums[r] = stepRow(want, r * w, L, 0, low, up, icpt);
    });
    let got: Float64Array | undefined, gotSums: Float64Array | undefined;
    const ran = gemmLinesWasmOnce(A, n, inner, W, w, { low, up, icpt }, L, (part, sums) => { got = part.slice(); gotSums = sums.slice(); });
    assert.ok(ran, 'the kernel ran');
    sameBits(got!, want!, `trial ${t} (${n}×${inner}×${w}) coefficients`);
    sameBits(gotSums!, wantSums!, `trial ${t} sums`);
    for (const v of want!) if (v < 0) negatives++;
  }
  assert.ok(negatives > 0, 'some coefficients took the upper line');
});

test.run();
