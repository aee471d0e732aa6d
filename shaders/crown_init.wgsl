// Starts a backward pass: for each box, RB = 2·rows rows over n outputs: rows [0, rows) are the
// spec's rows C (or the identity when bounding a layer), rows [rows, 2·rows) their negation
// (upper bounds as lower bounds of −f); constants 0. MODE 0: identity; 1: C shared by all
// boxes (rows × n); 2: C per box.
struct P { total: u32, n: u32, rows: u32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> spec: array<f32>;
@group(0) @binding(2) var<storage, read_write> lam: array<f32>;
@group(0) @binding(3) var<storage, read_write> cst: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let e = group_id(wid, nwg) * 256u + t;
  if (e >= p.total) { return; }
  let row = e / p.n; let j = e % p.n;
  let rb = 2u * p.rows;
  let box = row / rb; let q = row % rb;
  let r = q % p.rows;
  let sgn = select(1.0, -1.0, q >= p.rows);
  var v = 0.0;
  if (MODE == 0u) { v = select(0.0, 1.0, r == j); }
  else if (MODE == 1u) { v = spec[r * p.n + j]; }
  else { v = spec[(box * p.rows + r) * p.n + j]; }
  lam[e] = sgn * v;
  if (j == 0u) { cst[row] = 0.0; }
}
