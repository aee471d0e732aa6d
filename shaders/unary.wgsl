// Element-wise interval steps, one thread per element of every box. OP (host constant):
//  0 ReLU      [max(l,0), max(u,0)]: exact in floating point.
//  1 Affine    y = s·x + t per element (s, t rounded to nearest f32): the two products and the
//              sum are each within 2^-24 relative, and s, t within 2^-24 of the real ones, so
//              stepping by STEP·(|x·s| + |t|)·2 + ETA outward covers all of them.
//  2 Sigmoid   monotone: [sig_lo(l), sig_hi(u)] (common.wgsl).
struct P { total: u32, n: u32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> xlo: array<f32>;
@group(0) @binding(2) var<storage, read> xhi: array<f32>;
@group(0) @binding(3) var<storage, read> va: array<f32>;
@group(0) @binding(4) var<storage, read> vb: array<f32>;
@group(0) @binding(5) var<storage, read_write> ylo: array<f32>;
@group(0) @binding(6) var<storage, read_write> yhi: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let e = group_id(wid, nwg) * 256u + t;
  if (e >= p.total) { return; }
  let l = xlo[e]; let u = xhi[e];
  // va/vb are referenced by every OP so that all bindings stay in the auto layout
  let i = e % p.n;
  let s = va[i]; let sh = vb[i];
  if (OP == 0u) {
    ylo[e] = max(l, 0.0); yhi[e] = max(u, 0.0);
  } else if (OP == 1u) {
    let a = l * s; let b = u * s;
    let lo1 = min(a, b) + sh; let hi1 = max(a, b) + sh;
    ylo[e] = lo1 - 2.0 * STEP * (abs(min(a, b)) + abs(sh)) - ETA;
    yhi[e] = hi1 + 2.0 * STEP * (abs(max(a, b)) + abs(sh)) + ETA;
  } else {
    ylo[e] = sig_lo(l); yhi[e] = sig_hi(u);
  }
}
