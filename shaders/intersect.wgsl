// Tightens the selected neurons of a layer with the CROWN results of their backward rows (row 2k
// a lower bound of neuron sel[k] = box·n + j, row 2k+1 a lower bound of its negation):
// lo = max(lo, L), hi = min(hi, −L'). Selected neurons are distinct, so no two threads collide.
struct P { total: u32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> res: array<f32>;
@group(0) @binding(2) var<storage, read> sel: array<u32>;
@group(0) @binding(3) var<storage, read_write> lo: array<f32>;
@group(0) @binding(4) var<storage, read_write> hi: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let k = group_id(wid, nwg) * 256u + t;
  if (k >= p.total) { return; }
  let f = sel[k];
  lo[f] = max(lo[f], res[2u * k]);
  hi[f] = min(hi[f], -res[2u * k + 1u]);
}
