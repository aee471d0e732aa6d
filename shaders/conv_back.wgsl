// One backward (CROWN) step through a Conv2d for every row at once: Λ' = Λ·W over the conv's
// input, i.e. the transposed convolution of each row's coefficients, as a gather (one thread
// per (row, input element), summing the ≤ OC·⌈KH/SH⌉·⌈KW/SW⌉ output positions whose window
// reads that element). A gather writes every output once, with no atomics (WGSL has no f32
// atomics) and no scratch copy; each Λ value is read by the few threads of its window, which
// neighbouring threads share through the cache.
// Its rounding error is bounded as back_gemm's (error-free products, see there): W as Wh + Wl
// (gpunet.ts splitWeights), each Λ value cut into ah + al (hi12), ah·wh exact and added by TwoSum,
// al·wh + a·wl (≤ 2^-9|a||W|) summed plainly per tap and then over the taps, so
//   |res − (ΛW)_j| ≤ u'·|res| + δ·Σ|Λ||W|,  δ = fp.ts exactDotError(terms, OC)
// (the plain sums: ≤ 2·OC + taps + 2 roundings per term). rowops LINEAR_BIAS (before this step)
// subtracted g2·Σ_o |Λ_o| V_o, V = |W̃|·max|z| from ibp_gemm, g2 ≥ δ, and rowops ROUNDED (after
// it) subtracts u'·Σ_j |Λ'_j|·max|z_j|.
// include: window
struct P { total: u32, C: u32, H: u32, W: u32, OC: u32, OH: u32, OW: u32, KH: u32, KW: u32, SH: u32, SW: u32, PT: u32, PL: u32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> lam: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read> wtl: array<f32>;
@group(0) @binding(4) var<storage, read_write> outp: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let e = group_id(wid, nwg) * 256u + t;
  if (e >= p.total) { return; }
  let at = input_element(e);
  let ohw = p.OH * p.OW;
  let lbase = at.row * p.OC * ohw;
  var acc = vec2f(0.0);
  var small = 0.0;
  for (var ky = 0u; ky < p.KH; ky++) {
    for (var kx = 0u; kx < p.KW; kx++) {
      let pix = window_output(at.iy, at.ix, ky, kx);
      if (pix < 0) { continue; }
      let tap = ky * p.KW + kx;
      var part = 0.0;
      for (var oc = 0u; oc < p.OC; oc++) {
        let a = lam[lbase + oc * ohw + u32(pix)];
        let wi = (oc * p.C + at.c) * p.KH * p.KW + tap;
        let wh = wt[wi];
        let ah = hi12(a);
        acc = cadd(acc, ah * wh);
        part += (a - ah) * wh + a * wtl[wi];
      }
      small += part;
    }
  }
  outp[e] = acc.x + (acc.y + small);
}
