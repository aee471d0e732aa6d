// Interval MaxPool / AvgPool on CHW, one thread per output element of every box. MaxPool is
// exact (max of lower bounds, max of upper bounds; padding never wins). AvgPool sums k terms
// and divides: each partial sum and the division are stepped outward.
// Also V ≥ the window's (weighted) max|z| for the CROWN slack terms (rowops): MaxPool
// max_j max(|l_j|, |u_j|); AvgPool Σ_j max(|l_j|, |u_j|) / d, both rounded up.
// include: window pool_params
@group(0) @binding(1) var<storage, read> xlo: array<f32>;
@group(0) @binding(2) var<storage, read> xhi: array<f32>;
@group(0) @binding(3) var<storage, read_write> ylo: array<f32>;
@group(0) @binding(4) var<storage, read_write> yhi: array<f32>;
@group(0) @binding(5) var<storage, read_write> yv: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let e = group_id(wid, nwg) * 256u + t;
  if (e >= p.total) { return; }
  let ox = e % p.OW; let oy = (e / p.OW) % p.OH; let bc = e / (p.OW * p.OH);
  var lo = select(0.0, -3.4e38, AVG == 0u);
  var hi = lo;
  var v = 0.0;
  var cnt = 0u;
  for (var ky = 0u; ky < p.KH; ky++) {
    for (var kx = 0u; kx < p.KW; kx++) {
      let j = window_input(oy, ox, ky, kx);
      if (j < 0) { continue; }
      let k = bc * p.H * p.W + u32(j);
      cnt++;
      let m = max(abs(xlo[k]), abs(xhi[k]));
      if (AVG == 0u) { lo = max(lo, xlo[k]); hi = max(hi, xhi[k]); v = max(v, m); }
      else { lo = down(lo + xlo[k]); hi = up(hi + xhi[k]); v = up(v + m); }
    }
  }
  if (AVG == 1u) {
    let d = f32(select(cnt, p.KH * p.KW, p.inclPad == 1u));
    lo = down_div(lo / d); hi = up_div(hi / d); v = up_div(v / d);
  }
  ylo[e] = lo; yhi[e] = hi; yv[e] = v;
}
