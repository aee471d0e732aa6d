// Float32 helpers for the outward-rounded GPU arithmetic (see shaders/common.wgsl), and the error
// bounds the kernels' slack terms are sized by. What is proved (u = 2^-24, u' = u/(1−u)):
//  - every sum of the kernels is compensated (TwoSum into a (hi, lo) pair): a dot product of n
//    terms in blocks of b is within β(b, n)·Σ|terms| of the exact one (dotError: ≈ (b + 1)u,
//    whatever n; a plain f32 sum has γ_n ≈ n·u);
//  - the CROWN back-substitution through Dense layers (back_gemm) has error-free products, so its
//    result is within u'·|result| + δ(n)·Σ|terms| (exactDotError: δ(784) ≈ 0.4u), the first term
//    paid from the stored result itself;
//  - each row's constant is carried as an unevaluated (hi, lo) pair (rowops.wgsl).
// These hold for correctly rounded f32 + − ×, no reassociation (fused multiply-adds are harmless),
// which engine.ts checks on the device once (fp-check.ts) before trusting it.

/** Unit roundoff of float32 (round to nearest). */
export const U32 = 2 ** -24;

/** γ_n = n·u / (1 − n·u): the a-priori relative error bound of an n-term f32 dot product. */
export function gamma(n: number): number {
  const nu = n * U32;
  if (nu >= 0.5) throw new Error(`dot products of length ${n} are too long for the f32 error bound`);
  return nu / (1 - nu);
}

/**
 * Products per block of the compensated sums (the kernels' CB constant): a block of CB products is
 * summed in plain f32, and each block sum enters a (hi, lo) pair by TwoSum (shaders/common.wgsl).
 * 4 in the GEMMs (a TwoSum per 4 multiply-adds), 1 in the per-row kernels (one per term).
 */
export const GEMM_BLOCK = 4;
export const ROW_BLOCK = 1;

/**
 * β(b, n): the relative error bound of a compensated blocked dot product of n terms, blocks of b:
 * |res − Σ x_i| ≤ β·Σ|x_i| (x_i = a_i·b_i exact products, res the f32 result), with
 *   β = γ_b + (u + γ_{m−1}²)(1 + γ_b),  m = ⌈n/b⌉ blocks.
 * Proof: each block sum ŝ_k (b rounded products added in f32) is within γ_b·Σ_k|x_i| of its exact
 * value (Higham, Accuracy and Stability, (3.5)); the block sums are added by Sum2 (TwoSum into
 * hi, the errors summed in f32 into lo, res = fl(hi + lo)), whose result is within u|Σŝ| +
 * γ_{m−1}²·Σ|ŝ| of Σŝ (Ogita, Rump, Oishi 2005, Prop. 4.5); and |Σŝ|, Σ|ŝ| ≤ (1 + γ_b)Σ|x|.
 * TwoSum has no products, so a compiler's fused multiply-add cannot change it; it needs
 * correctly rounded f32 addition without reassociation, which WGSL gives (Dawn compiles without
 * fast-math), and the engine checks it on the device (see checkTwoSum in engine.ts).
 * Underflow is paid for separately (etaTerm). Compare γ_n for the plain sum: β(4, 784) ≈ 6u,
 * γ_784 ≈ 784u.
 */
export function dotError(b: number, n: number): number {
  const m = Math.max(1, Math.ceil(n / b));
  const gb = gamma(b), gm = m > 1 ? gamma(m - 1) : 0;
  return gb + (U32 + gm * gm) * (1 + gb);
}

/**
 * δ(n): the a-priori part of back_gemm's error bound (shaders/back_gemm.wgsl, error-free products):
 * |res − Σ a_i W_i| ≤ u'·|res| + δ(n)·Σ|a_i||W_i|, δ(n) = 2γ_n² + 2^-8·γ_{2·b+⌈n/b⌉+2} + 2^-32,
 * the small terms summed plainly in blocks of b (16 in back_gemm's tiles; OC per tap in conv_back).
 * The first term is paid a posteriori (rowops ROUNDED, from the stored Λ'), this one a priori.
 */
export function exactDotError(n: number, block = 16): number {
  const g = gamma(n);
  return 2 * g * g + 2 ** -8 * gamma(2 * block + Math.ceil(n / block) + 2) + 2 ** -32;
}

/**
 * The factor the kernels multiply a computed Σ|terms| by to cover a relative error `err` of the
 * exact Σ|terms|: that sum was itself computed in f32 (k roundings per term at most: γ_k below the
 * exact one, so exact ≤ computed/(1 − γ_k) ≤ computed·(1 + 2γ_k)); rounded up to an f32.
 */
export function slackFactor(err: number, k: number): number {
  return f32Up(err * (1 + 2 * gamma(k)));
}

/** u/(1 − u): the relative error of rounding an f64 (a weight, a bias) to the nearest f32. */
export const U32R = U32 / (1 - U32);

/** Absolute slack for n terms that may underflow (2^-100 each; see ETA in common.wgsl). */
export function etaTerm(n: number): number {
  return Math.fround((n + 2) * 2 ** -100);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The largest f32 ≤ x. */
export function f32Down(x: number): number {
  const r = Math.fround(x);
  if (r <= x || Number.isNaN(r)) return r;
  return stepF32(r, -1);
}

/** The smallest f32 ≥ x. */
export function f32Up(x: number): number {
  const r = Math.fround(x);
  if (r >= x || Number.isNaN(r)) return r;
  return stepF32(r, 1);
}

/** The next f32 after r (an f32 value) in direction dir. */
function stepF32(r: number, dir: 1 | -1): number {
  if (r === 0) return dir * 2 ** -149;
  f32[0] = r;
  u32[0] += (r > 0) === (dir > 0) ? 1 : -1;
  return f32[0];
}

/** Boxes as f32 that contain the f64 ones: lower rounded down, upper rounded up. */
export function outwardBoxes(lower: Float64Array, upper: Float64Array, from: number, to: number): { lo: Float32Array; hi: Float32Array } {
  const lo = new Float32Array(to - from);
  const hi = new Float32Array(to - from);
  for (let i = from; i < to; i++) {
    lo[i - from] = f32Down(lower[i]);
    hi[i - from] = f32Up(upper[i]);
  }
  return { lo, hi };
}

/** True when every value survives the conversion to f32 unchanged. */
export function exactInF32(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (Math.fround(a[i]) !== a[i]) return false;
  return true;
}
