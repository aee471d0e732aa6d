// Tightens a layer's bounds with the CROWN results of its backward pass (rows [0, n) of each box
// are lower bounds, rows [n, 2n) lower bounds of the negation): lo = max(lo, L), hi = min(hi, −L').
struct P { total: u32, n: u32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> res: array<f32>;
@group(0) @binding(2) var<storage, read_write> lo: array<f32>;
@group(0) @binding(3) var<storage, read_write> hi: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let e = group_id(wid, nwg) * 256u + t;
  if (e >= p.total) { return; }
  let b = e / p.n; let i = e % p.n;
  lo[e] = max(lo[e], res[b * 2u * p.n + i]);
  hi[e] = min(hi[e], -res[b * 2u * p.n + p.n + i]);
}
