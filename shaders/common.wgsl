// Shared helpers, prepended to every kernel (after the host's `const` specialisations).
// Outward steps: f32 + and * are correctly rounded in WGSL, so a computed x is within 2^-24·|x|
// (+ an underflow term) of the exact result; stepping by 2^-22·|x| + ETA covers that with room.
// Division is only accurate to 2.5 ulp, so quotients step by 2^-20·|x| (8 ulp).
const ETA: f32 = 7.888609e-31;       // 2^-100: absolute slack per operation (underflow, flush-to-zero)
const STEP: f32 = 2.3841858e-7;      // 2^-22
const STEP_DIV: f32 = 9.536743e-7;   // 2^-20
fn up(x: f32) -> f32 { return x + abs(x) * STEP + ETA; }
fn down(x: f32) -> f32 { return x - abs(x) * STEP - ETA; }
fn up_div(x: f32) -> f32 { return x + abs(x) * STEP_DIV + ETA; }
fn down_div(x: f32) -> f32 { return x - abs(x) * STEP_DIV - ETA; }
// A value ≤ the exact result of the ONE correctly rounded f32 operation that produced x (f32
// + − × are correctly rounded in WGSL, so the exact result lies above the next f32 below x):
// that next f32, less ETA for results flushed to zero. One ulp, where down() steps 2-4.
fn dn1(x: f32) -> f32 {
  let b = bitcast<u32>(x);
  var r = x; // 0 stays 0 (then − ETA), NaN stays NaN
  if (x > 0.0) { r = bitcast<f32>(b - 1u); } else if (x < 0.0) { r = bitcast<f32>(b + 1u); }
  return r - ETA;
}
// The top 12 significant bits of x (sign, exponent, 11 explicit mantissa bits): x − hi12(x) is
// exact, and the product of two such parts is exact in f32 (back_gemm, conv_back).
fn hi12(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) & 0xFFFFF000u); }
fn group_id(wid: vec3u, nwg: vec3u) -> u32 { return wid.x + wid.y * nwg.x; }
// Sigmoid enclosures: σ(x) ∈ [sig_lo(x), sig_hi(x)]. WGSL's exp is within (3 + 2|x|) ulp; the add
// and the (2.5 ulp) division add ~4 ulp, relative to σ. Stepped out by (16 + 4|x|)·2^-23·σ.
fn sig_lo(x: f32) -> f32 {
  let s = 1.0 / (1.0 + exp(-x));
  return max(0.0, s - s * (16.0 + 4.0 * abs(x)) * 1.1920929e-7 - ETA);
}
fn sig_hi(x: f32) -> f32 {
  let s = 1.0 / (1.0 + exp(-x));
  return min(1.0, s + s * (16.0 + 4.0 * abs(x)) * 1.1920929e-7 + ETA);
}
// Compensated sums (src/kernels/fp.ts dotError): an accumulator is a vec2f (hi, lo) with hi + lo
// the running sum; cadd adds x by TwoSum (Knuth: s + e = a + b exactly, no products, so fused
// multiply-adds cannot change it), the rounding errors gathered in lo; cval is fl(hi + lo).
fn two_sum(a: f32, b: f32) -> vec2f {
  let s = a + b;
  let bb = s - a;
  return vec2f(s, (a - (s - bb)) + (b - bb));
}
fn cadd(acc: vec2f, x: f32) -> vec2f {
  let t = two_sum(acc.x, x);
  return vec2f(t.x, acc.y + t.y);
}
fn cval(acc: vec2f) -> f32 { return acc.x + acc.y; }
