// One backward (CROWN) step through a Dense layer for every row of every box at once:
// Λ' (R × K) = Λ (R × N) · W (N × K), W the layer's [out][in] weights, as two f32 parts
// W ≈ Wh + Wl (gpunet.ts splitWeights: Wh = fl32(W) cut to 12 significant bits, Wl = fl32(W − Wh),
// so |W − Wh − Wl| ≤ 2^-33·|W|). Tiled through workgroup memory like ibp_gemm (tile.wgsl).
//
// Error-free products. Each Λ value a is cut the same way (bit mask) into ah (12 significant
// bits) + al (the rest, exact); then ah·wh is EXACT in f32 (12 + 12 bits), and the terms al·wh and
// a·wl are ≤ 2^-9·|a||W| together. The exact products enter a (hi, lo) pair by TwoSum
// (common.wgsl), the small terms a plain f32 sum (per 16-wide tile, then into a total). The result
// res = fl(hi + fl(lo + small)) satisfies (fp.ts exactDotError)
//   |res − (ΛW)_j| ≤ u'·|res| + δ(N)·Σ_i |Λ_i||W_ij|,  δ(N) = 2γ_N² + 2^-8·γ_{2·16 + ⌈N/16⌉ + 2} + 2^-32
// (Sum2's bound for the exact products, Ogita–Rump–Oishi 2005; the small terms' own plain sum;
// the weight split): δ(784) ≈ 0.4u, against γ_784 ≈ 784u for a plain f32 dot product. Products
// are exact, so a compiler's fused multiply-add changes nothing; TwoSum has no products.
// The error is not corrected here: rowops (LINEAR_BIAS, before this step) subtracted
// g2·Σ_i |Λ_i| (|W̃|·max|z|)_i with g2 ≥ δ, and rowops ROUNDED (after it) subtracts
// u'·Σ_j |Λ'_j|·max|z_j|, which together bound Σ_j |Λ' − ΛW|_j |z_j| for every z in the layer's
// input bounds. Underflow (products below 2^-126 flushed) is in the rows' n·ETA terms.
// include: tile
struct P { R: u32, N: u32, K: u32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> lam: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read> wtl: array<f32>;
@group(0) @binding(4) var<storage, read_write> outp: array<f32>;

var<workgroup> ta: array<f32, TSM * TK>; // [k][m]
var<workgroup> twl: array<f32, TSN * TK>; // Wl tile, [k][n] like tw


@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let tilesK = (p.K + TSN - 1u) / TSN;
  let origin = tile_origin(group_id(wid, nwg), tilesK);
  let m0 = origin.x; let n0 = origin.y;
  let tid = lid.y * 16u + lid.x;
  var acc: array<vec2f, TT>;
  var small: array<f32, TT>;
  for (var q = 0u; q < TT; q++) { acc[q] = vec2f(0.0); small[q] = 0.0; }
  for (var k0 = 0u; k0 < p.N; k0 += TK) {
    // Λ tile: TSM rows × 16 inner, read along the inner index
    for (var e = 0u; e < TM; e++) {
      let s = tile_slot(tid, e, TK); // (row, inner)
      var a = 0.0;
      if (m0 + s.x < p.R && k0 + s.y < p.N) { a = lam[(m0 + s.x) * p.N + k0 + s.y]; }
      ta[s.y * TSM + s.x] = a;
    }
    // W tiles: 16 inner × TSN columns, read along the columns
    for (var e = 0u; e < TN; e++) {
      let s = tile_slot(tid, e, TSN); // (inner, column)
      var w = 0.0; var wl = 0.0;
      if (k0 + s.x < p.N && n0 + s.y < p.K) { w = wt[(k0 + s.x) * p.K + n0 + s.y]; wl = wtl[(k0 + s.x) * p.K + n0 + s.y]; }
      tw[s.x * TSN + s.y] = w;
      twl[s.x * TSN + s.y] = wl;
    }
    workgroupBarrier();
    // zeroed by hand: a `var` without initialiser in a loop body is not re-zeroed per iteration
    // by every compiler (SwiftShader's is not)
    var part: array<f32, TT>;
    for (var q = 0u; q < TT; q++) { part[q] = 0.0; }
    for (var kk = 0u; kk < TK; kk++) {
      let wv = weight_row(kk, lid.x);
      for (var i = 0u; i < TM; i++) {
        let a = ta[kk * TSM + lid.y * TM + i];
        let ah = hi12(a);
        let al = a - ah;
        for (var j = 0u; j < TN; j++) {
          let wh = wv[j];
          let q = i * TN + j;
          acc[q] = cadd(acc[q], ah * wh);
          part[q] += al * wh + a * twl[kk * TSN + lid.x * TN + j];
        }
      }
    }
    for (var q = 0u; q < TT; q++) { small[q] += part[q]; }
    workgroupBarrier();
  }
  for (var i = 0u; i < TM; i++) {
    let m = m0 + lid.y * TM + i;
    if (m >= p.R) { continue; }
    for (var j = 0u; j < TN; j++) {
      let n = n0 + lid.x * TN + j;
      let q = i * TN + j;
      if (n < p.K) { outp[m * p.K + n] = acc[q].x + (acc[q].y + small[q]); }
    }
  }
}
