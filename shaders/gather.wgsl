// Pure data movement for every row (box or backward row) at once: out[r, j] = in[r, idx[j]], or 0
// where idx[j] < 0. Serves Permute and Pad forward (on lower and upper bounds) and their
// backward steps (Λ over the output → over the input, with the inverse index map). Exact.
struct P { total: u32, nOut: u32, nIn: u32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> idx: array<i32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let e = group_id(wid, nwg) * 256u + t;
  if (e >= p.total) { return; }
  let r = e / p.nOut; let j = e % p.nOut;
  let k = idx[j];
  dst[e] = select(0.0, src[r * p.nIn + u32(max(k, 0))], k >= 0);
}
