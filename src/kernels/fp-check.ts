// The device check behind the GPU engine's error bounds (src/kernels/fp.ts): the compensated sums
// need TwoSum to be error-free (correctly rounded f32 addition, no reassociation by the shader
// compiler) and back_gemm's products of 12-bit parts to be exact. WGSL promises both, but a driver
// that compiled with fast-math would break them silently, so the engine runs this once per device
// on pairs chosen to expose it (cancellation, far-apart magnitudes, signs) and compares with the
// exact float64 answers; on a mismatch the engine uses the CPU engine instead (sound, slower).
import type { GpuRuntime } from './runtime.js';
import { params } from './runtime.js';

/** Pairs (a, b) of f32 values whose TwoSum error and 12-bit products are easy to get wrong. */
export function checkPairs(): Float32Array {
  const v: number[] = [];
  const vals = [1, 1 + 2 ** -23, 3, 0.1, -0.7, 1e8, -1e8 + 8, 2 ** 20 + 1, 1 / 3, -2 / 3, 12345.678, 2 ** -60, -(2 ** -40) * 3];
  for (const a of vals) for (const b of vals) v.push(a, b * 0.999999, -a, b * 1e-7);
  const f = Float32Array.from(v);
  // keep the pairs whose exact answers float64 holds: a + b is exact in 53 bits when the
  // exponents differ by ≤ 25 (24-bit significands), and nothing underflows
  const keep: number[] = [];
  const exp = (x: number) => Math.floor(Math.log2(Math.abs(x)));
  for (let i = 0; i < f.length; i += 2) {
    const a = f[i], b = f[i + 1];
    if (Math.abs(exp(a) - exp(b)) <= 25 && Math.abs(a * b) > 2 ** -90) keep.push(a, b);
  }
  return Float32Array.from(keep);
}

/** Why the device's f32 arithmetic breaks the bounds' assumptions, or null when it passes. */
export async function checkErrorFree(rt: GpuRuntime): Promise<string | null> {
  const ab = checkPairs();
  const n = ab.length / 2;
  const inBuf = rt.upload(ab);
  const out = rt.buffer(5 * n * 4);
  try {
    rt.dispatch('fp_check', {}, params(n), [inBuf, out], Math.ceil(n / 64));
    const r = await rt.read(out, 5 * n);
    const hi12 = (x: number) => { const f = new Float32Array([x]); new Uint32Array(f.buffer)[0] &= 0xfffff000; return f[0]; };
    for (let i = 0; i < n; i++) {
      const a = ab[2 * i], b = ab[2 * i + 1];
      const s = Math.fround(a + b), e = a + b - s; // exact in float64 for these magnitudes
      const ah = hi12(a), bh = hi12(b);
      const want = [s, e, ah, a - ah, ah * bh];
      for (let k = 0; k < 5; k++) {
        if (r[5 * i + k] !== want[k] && !(r[5 * i + k] === 0 && Math.abs(want[k]) < 2 ** -120)) {
          return `${['TwoSum sum', 'TwoSum error', '12-bit cut', 'cut remainder', '12-bit product'][k]} of (${a}, ${b}) is ${r[5 * i + k]}, exactly ${want[k]}`;
        }
      }
    }
    return null;
  } finally {
    rt.release(inBuf, out);
  }
}
