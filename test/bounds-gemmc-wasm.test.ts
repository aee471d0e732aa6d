// The fused wasm kernel gemmc (src/bounds/wasm/gemm-wat.ts: the first Dense layer's product
// concretised over the input box as it is produced, never stored) against the JS product and
// concretisation it replaces (linalg matmulRowsJs then concretiseJs): the same lower bounds, bit
// for bit, for boxes whose rows start at multiples of 4 (the fused path, as dense.ts lays them out)
// and for rows of mixed boxes (the unfused path), with odd column counts and zero columns.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gemmConcretiseWasm, wasmGemmAvailable } from '../src/bounds/wasm/gemm.js';
import { concretiseJs, matmulRowsJs, transposeOf } from '../src/bounds/linalg.js';
import { randInt, seededRng } from './helpers/random-network.js';

test('gemmConcretiseWasm equals the JS product and concretisation bit for bit', () => {
  assert.ok(wasmGemmAvailable(), 'this Node has WebAssembly SIMD');
  const rng = seededRng(9090);
  for (let t = 0; t < 40; t++) {
    const inner = randInt(rng, 1, 30), cols = randInt(rng, 1, 41), boxes = randInt(rng, 1, 4);
    // rows per box, each box's run padded to a multiple of 4 (aligned) or not (mixed)
    const aligned = t % 2 === 0;
    const box: number[] = [];
    for (let b = 0; b < boxes; b++) {
      const nr = randInt(rng, 1, 9);
      for (let r = 0; r < nr; r++) box.push(b);
      if (aligned) while (box.length % 4) box.push(b);
    }
    const n = box.length;
    const A = Float64Array.from({ length: n * inner }, (_, i) => (i % inner === t % inner || rng() < 0.15 ? 0 : (rng() - 0.5) * 3));
    const W = Float64Array.from({ length: inner * cols }, () => (rng() - 0.5) * 2);
    const mid = Float64Array.from({ length: boxes * cols }, () => rng());
    const rad = Float64Array.from({ length: boxes * cols }, () => rng() * 0.1);
    const lb0 = Float64Array.from({ length: n }, () => rng() - 0.5);
    const idx = Int32Array.from(box);
    const want = lb0.slice();
    const prod = new Float64Array(n * cols);
    matmulRowsJs(A, n, inner, transposeOf(W, inner, cols), cols, prod);
    concretiseJs(prod, n, cols, mid, rad, idx, want);
    const got = lb0.slice();
    assert.ok(gemmConcretiseWasm(A, n, inner, W, cols, mid, rad, idx, got), 'the kernel ran');
    for (let r = 0; r < n; r++) if (!Object.is(got[r], want[r])) assert.unreachable(`trial ${t} (${aligned ? 'aligned' : 'mixed'}, ${n}×${inner}×${cols}) row ${r}: ${got[r]} vs ${want[r]}`);
  }
});

test.run();
