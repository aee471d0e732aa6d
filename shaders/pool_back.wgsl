// One backward (CROWN) step through a pooling layer for every row at once, as a gather (one
// thread per (row, input element) over the outputs whose window holds that element):
//  AVG 1: Λ'_j = Σ_o Λ_o / d_o (d_o = KH·KW, or the window's count without padding).
//  AVG 0: MaxPool after rowops MODE 4: Λ̃_o ≥ 0 goes to the window's lowIdx input, Λ̃_o < 0 to
//         its upIdx input (idx = [lowIdx, upIdx] per (box, output) from relax.wgsl).
// Each input's terms are added by TwoSum (a compensated sum, common.wgsl: error ≤ (u + γ_{n−1}²)
// Σ|terms|, fp.ts dotError(1, n)); that and the quotients' 2.5 ulp (≤ 5u relative) are covered by
// the slack rowops took before this step from V (pool.wgsl).
// include: window pool_params
@group(0) @binding(1) var<storage, read> lam: array<f32>;
@group(0) @binding(2) var<storage, read> idx: array<i32>;
@group(0) @binding(3) var<storage, read> rowBox: array<u32>;
@group(0) @binding(4) var<storage, read_write> outp: array<f32>;

fn span(o: u32, s: u32, pad: u32, k: u32, size: u32) -> u32 {
  let a = max(i32(o * s) - i32(pad), 0);
  let b = min(i32(o * s) - i32(pad) + i32(k), i32(size));
  return u32(max(b - a, 0));
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let e = group_id(wid, nwg) * 256u + t;
  if (e >= p.total) { return; }
  let at = input_element(e);
  let rem = i32((at.c * p.H + at.iy) * p.W + at.ix);
  let nout = p.C * p.OH * p.OW;
  let box = rowBox[at.row];
  var s = vec2f(0.0);
  for (var ky = 0u; ky < p.KH; ky++) {
    for (var kx = 0u; kx < p.KW; kx++) {
      let pix = window_output(at.iy, at.ix, ky, kx);
      if (pix < 0) { continue; }
      let o = at.c * p.OH * p.OW + u32(pix);
      let a = lam[at.row * nout + o];
      if (AVG == 1u) {
        var d = p.KH * p.KW;
        if (p.inclPad == 0u) {
          let oy = u32(pix) / p.OW; let ox = u32(pix) % p.OW;
          d = span(oy, p.SH, p.PT, p.KH, p.H) * span(ox, p.SW, p.PL, p.KW, p.W);
        }
        s = cadd(s, a / f32(d));
      } else {
        let q = 2u * (box * nout + o);
        if ((a > 0.0 && idx[q] == rem) || (a < 0.0 && idx[q + 1u] == rem)) { s = cadd(s, a); }
      }
    }
  }
  outp[e] = cval(s);
}
