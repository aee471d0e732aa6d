// Float32 helpers for the outward-rounded GPU arithmetic (see shaders/common.wgsl).

/** Unit roundoff of float32 (round to nearest). */
export const U32 = 2 ** -24;

/** γ_n = n·u / (1 − n·u): the a-priori relative error bound of an n-term f32 dot product. */
export function gamma(n: number): number {
  const nu = n * U32;
  if (nu >= 0.5) throw new Error(`dot products of length ${n} are too long for the f32 error bound`);
  return nu / (1 - nu);
}

/**
 * The factor g the kernels multiply Σ|terms| by: the dot product's own error (γ_n), the rounding
 * of the f64 weights to f32 (u), and the f32 rounding of the slack computation itself, with room.
 */
export function slackFactor(n: number): number {
  // needed: (γ_n + u/(1−u))·(1 + γ_n) plus a few u for the f32 evaluation of the slack itself;
  // γ_{n+4}·(1 + γ_{n+4}) ≥ (n+4)u + (n+4)²u² covers that with 3u to spare, 4u more for safety
  const g = gamma(n + 4);
  return g * (1 + g) + 4 * U32;
}

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
