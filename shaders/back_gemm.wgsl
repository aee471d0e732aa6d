// One backward (CROWN) step through a Dense layer for every row of every box at once:
// Λ' (R × K) = Λ (R × N) · W (N × K), W the layer's [out][in] weights (rounded to nearest f32).
// Tiled through workgroup memory like ibp_gemm (tile.wgsl).
// Its rounding error, |Λ' − Λ·W| ≤ γ_N |Λ||W̃| + u|Λ||W|, is not corrected here: rowops (mode
// DENSE_BIAS) subtracts g·Σ_i |Λ_i| (|W̃|·max|z|)_i from the row's constant, which bounds
// Σ_j |Λ' − ΛW|_j |z_j| for every z in the layer's input bounds.
// include: tile
struct P { R: u32, N: u32, K: u32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> lam: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read_write> outp: array<f32>;

var<workgroup> ta: array<f32, TSM * TK>; // [k][m]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let tilesK = (p.K + TSN - 1u) / TSN;
  let origin = tile_origin(group_id(wid, nwg), tilesK);
  let m0 = origin.x; let n0 = origin.y;
  let tid = lid.y * 16u + lid.x;
  var acc: array<f32, TT>;
  for (var k0 = 0u; k0 < p.N; k0 += TK) {
    // Λ tile: TSM rows × 16 inner, read along the inner index
    for (var e = 0u; e < TM; e++) {
      let s = tile_slot(tid, e, TK); // (row, inner)
      var a = 0.0;
      if (m0 + s.x < p.R && k0 + s.y < p.N) { a = lam[(m0 + s.x) * p.N + k0 + s.y]; }
      ta[s.y * TSM + s.x] = a;
    }
    // W tile: 16 inner × TSN columns, read along the columns
    for (var e = 0u; e < TN; e++) {
      let s = tile_slot(tid, e, TSN); // (inner, column)
      var w = 0.0;
      if (k0 + s.x < p.N && n0 + s.y < p.K) { w = wt[(k0 + s.x) * p.K + n0 + s.y]; }
      tw[s.x * TSN + s.y] = w;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let wv = weight_row(kk, lid.x);
      for (var i = 0u; i < TM; i++) {
        let a = ta[kk * TSM + lid.y * TM + i];
        for (var j = 0u; j < TN; j++) { acc[i * TN + j] += a * wv[j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < TM; i++) {
    let m = m0 + lid.y * TM + i;
    if (m >= p.R) { continue; }
    for (var j = 0u; j < TN; j++) {
      let n = n0 + lid.x * TN + j;
      if (n < p.K) { outp[m * p.K + n] = acc[i * TN + j]; }
    }
  }
}
