// One backward (CROWN) step through a Dense layer for every row of every box at once:
// Λ' (R × K) = Λ (R × N) · W (N × K), W the layer's [out][in] weights (rounded to nearest f32).
// Tiled through workgroup memory like ibp_gemm ((16·TM)×(16·TN) tiles, 16-deep steps).
// Its rounding error, |Λ' − Λ·W| ≤ γ_N |Λ||W̃| + u|Λ||W|, is not corrected here: rowops (mode
// DENSE_BIAS) subtracts g·Σ_i |Λ_i| (|W̃|·max|z|)_i from the row's constant, which bounds
// Σ_j |Λ' − ΛW|_j |z_j| for every z in the layer's input bounds.
struct P { R: u32, N: u32, K: u32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> lam: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read_write> outp: array<f32>;

const TSM: u32 = 16u * TM;
const TSN: u32 = 16u * TN;
const TT: u32 = TM * TN;
const TK: u32 = 16u;
var<workgroup> ta: array<f32, TSM * TK>; // [k][m]
var<workgroup> tb: array<f32, TSN * TK>; // [k][n]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let tilesK = (p.K + TSN - 1u) / TSN;
  let gidx = group_id(wid, nwg);
  let m0 = (gidx / tilesK) * TSM;
  let n0 = (gidx % tilesK) * TSN;
  let tid = lid.y * 16u + lid.x;
  var acc: array<f32, TT>;
  for (var k0 = 0u; k0 < p.N; k0 += TK) {
    // Λ tile: TSM rows × 16 inner, read along the inner index
    for (var e = 0u; e < TM; e++) {
      let idx = tid + e * 256u;
      let mm = idx / TK; let kk = idx % TK;
      var a = 0.0;
      if (m0 + mm < p.R && k0 + kk < p.N) { a = lam[(m0 + mm) * p.N + k0 + kk]; }
      ta[kk * TSM + mm] = a;
    }
    // W tile: 16 inner × TSN columns, read along the columns
    for (var e = 0u; e < TN; e++) {
      let idx = tid + e * 256u;
      let kb = idx / TSN; let nb = idx % TSN;
      var w = 0.0;
      if (k0 + kb < p.N && n0 + nb < p.K) { w = wt[(k0 + kb) * p.K + n0 + nb]; }
      tb[kb * TSN + nb] = w;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      var wv: array<f32, TN>;
      for (var j = 0u; j < TN; j++) { wv[j] = tb[kk * TSN + lid.x * TN + j]; }
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
