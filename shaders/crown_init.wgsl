// Starts a backward pass over n outputs of one layer and records each row's box. Every row is a
// lower bound, so an upper bound is the lower bound of the negated function.
//  MODE 1/2 (spec rows): box box0 + row / (2·rows) gets 2·rows rows: [0, rows) the spec's C,
//    [rows, 2·rows) −C. MODE 1: C shared by all boxes (rows × n); 2: C per box (box-major).
//  MODE 3 (selected neurons): rows 2k and 2k+1 are +e_j and −e_j for sel[k] = box·n + j, the
//    neurons the CPU engine would back-substitute (src/kernels/gpunet.ts, tighten).
// Constants (pairs hi, lo: rowops.wgsl) start at 0.
struct P { total: u32, n: u32, rows: u32, box0: u32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> spec: array<f32>;
@group(0) @binding(2) var<storage, read> sel: array<u32>;
@group(0) @binding(3) var<storage, read_write> lam: array<f32>;
@group(0) @binding(4) var<storage, read_write> cst: array<f32>;
@group(0) @binding(5) var<storage, read_write> rowBox: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let e = group_id(wid, nwg) * 256u + t;
  if (e >= p.total) { return; }
  let row = e / p.n; let j = e % p.n;
  var v = 0.0;
  var box = 0u;
  var neg = false;
  if (MODE == 3u) {
    let f = sel[row / 2u];
    box = f / p.n;
    neg = row % 2u == 1u;
    v = select(0.0, 1.0, f % p.n == j);
  } else {
    let rb = 2u * p.rows;
    box = p.box0 + row / rb;
    let q = row % rb;
    let r = q % p.rows;
    neg = q >= p.rows;
    if (MODE == 1u) { v = spec[r * p.n + j]; }
    else { v = spec[(box * p.rows + r) * p.n + j]; }
  }
  lam[e] = select(v, -v, neg);
  if (j == 0u) { cst[2u * row] = 0.0; cst[2u * row + 1u] = 0.0; rowBox[row] = box; }
}
