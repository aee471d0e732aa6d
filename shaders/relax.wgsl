// CROWN relaxations of the nonlinear ops whose lines depend on their input bounds, computed once
// per layer (when those bounds are final) for every box, as the CPU engine's rules define them
// (src/bounds/ops/maxpool.ts, sigmoid.ts), with every f32 rounding taken in the sound direction.
//  MODE 0 MaxPool, one thread per (box, output): j* = input of largest upper bound u*, u2 = the
//    next largest upper bound, l* = l_j*; lowIdx = input of largest lower bound (m ≥ x_lowIdx).
//    Upper plane m ≤ u2 + s·(x_j* − l*), s = (u* − u2)/(u* − l*), or m = x_j* (s = 1, icpt 0) when
//    l* ≥ u2 or the window has one input. s is rounded UP (any s' ∈ [s, 1] keeps the plane above
//    m on the box, as x_j* ≥ l*); icpt = u2 − s·l* is rounded up. rel = [s, icpt], idx = [lowIdx, upIdx].
//  MODE 1 Sigmoid, one thread per (box, neuron): lower line through (l, σ(l)) with the chord slope
//    when l ≥ 0, else the slope min(σ'(l), σ'(u)); upper line through (u, σ(u)), chord when
//    u ≤ 0, else that slope. Any slope in [0, exact slope] keeps each line on its side (the
//    lower line is only used right of l, the upper one left of u), so slopes are lower bounds
//    (σ' ≥ sig_lo·(1 − sig_hi), chord ≥ (sig_lo(u) − sig_hi(l))/(u − l)) and the intercepts are
//    taken through sig_lo(l) / sig_hi(u), rounded outward. rel = [ls, li, us, ui].
// include: window
struct P { total: u32, C: u32, H: u32, W: u32, OH: u32, OW: u32, KH: u32, KW: u32, SH: u32, SW: u32, PT: u32, PL: u32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> xlo: array<f32>;
@group(0) @binding(2) var<storage, read> xhi: array<f32>;
@group(0) @binding(3) var<storage, read_write> rel: array<f32>;
@group(0) @binding(4) var<storage, read_write> idx: array<i32>;

fn dsig_lo(x: f32) -> f32 { return max(0.0, down(sig_lo(x) * down(1.0 - sig_hi(x)))); }

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let e = group_id(wid, nwg) * 256u + t;
  if (e >= p.total) { return; }
  if (MODE == 0u) {
    let ox = e % p.OW; let oy = (e / p.OW) % p.OH; let bc = e / (p.OW * p.OH);
    let c = bc % p.C;
    var bestL = 0.0; var bestU = 0.0; var u2 = 0.0; var lStar = 0.0;
    var li = -1; var ui = -1; var cnt = 0u;
    for (var ky = 0u; ky < p.KH; ky++) {
      for (var kx = 0u; kx < p.KW; kx++) {
        let off = window_input(oy, ox, ky, kx);
        if (off < 0) { continue; }
        let j = i32(c * p.H * p.W) + off;
        let k = bc * p.H * p.W + u32(off);
        let l = xlo[k]; let u = xhi[k];
        if (li < 0 || l > bestL) { bestL = l; li = j; }
        if (ui < 0 || u > bestU) {
          if (ui >= 0) { u2 = bestU; cnt = 2u; }
          bestU = u; ui = j; lStar = l;
        } else if (cnt < 2u || u > u2) { u2 = u; cnt = 2u; }
        if (cnt == 0u) { cnt = 1u; }
      }
    }
    var s = 1.0; var ic = 0.0;
    let den = down(bestU - lStar);
    if (cnt == 2u && lStar < u2 && den > 0.0) {
      s = min(1.0, up_div(up(bestU - u2) / den));
      ic = up(u2 - down(s * lStar));
    }
    rel[2u * e] = s; rel[2u * e + 1u] = ic;
    idx[2u * e] = li; idx[2u * e + 1u] = ui;
  } else {
    let l = xlo[e]; let u = xhi[e];
    var chord = 0.0;
    if (u > l) { chord = max(0.0, down_div(down(sig_lo(u) - sig_hi(l)) / up(u - l))); }
    let tang = min(dsig_lo(l), dsig_lo(u));
    let ls = select(tang, chord, l >= 0.0);
    let us = select(tang, chord, u <= 0.0);
    rel[4u * e] = ls;
    rel[4u * e + 1u] = down(sig_lo(l) - up(ls * l));
    rel[4u * e + 2u] = us;
    rel[4u * e + 3u] = up(sig_hi(u) - down(us * u));
  }
}
