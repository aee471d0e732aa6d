// Interval image of an affine layer y = W x + b for M boxes at once, as a tiled matrix product
// through workgroup memory: (16·TM)×(16·TN) output tiles, K in steps of 16, each of the 16×16
// threads accumulating a TM×TN block (host constants: 4×4 on hardware, 1×1 on software adapters). Specialised by CONV: false = Dense (x is M × K, W is N × K [out][in]);
// true = Conv2d as an implicit GEMM (rows are (box, oy, ox), K = (ic, ky, kx), the input patch
// is gathered while loading the tile, so no unfolded copy of the input is ever stored: the
// unfolded matrix would be kh·kw times the input, per box, and this keeps memory at one
// activation per box while the arithmetic is the same GEMM).
//
// Soundness (outward rounding). The box x ∈ [l, u] is covered by centre c = fl((l+u)/2) and
// radius r = up(max(fl(u−c), fl(c−l))) exactly. W̃ = fl32(W) (nearest), |W − W̃| ≤ u|W|.
// Accumulated: C = fl(Σ W̃c), R0 = fl(Σ|W̃|r), A = fl(Σ|W̃||c|). Standard a-priori bounds
// (Higham 3.5): |C − Σ W̃c| ≤ γ_K A', |Σ(W−W̃)c| ≤ u A'/(1−u), Σ|W|r ≤ R0(1+γ_K)/(1−u) (+K·ETA
// for underflow), where A' ≤ A(1+γ_K). The bias adds one more term. So with
// g = γ_{K+4}(1+γ_{K+4})+4u ≥ the sum of those factors (fp.ts slackFactor), y ∈ [C + b − s, C + b + s] with
// s = R0 + g·(R0 + A + |b|) + (K+2)·ETA, and the final ± is stepped outward.
// V = up((A + R0)(1 + g)) ≥ |W|·max(|l|,|u|) is kept for the CROWN slack terms.
struct P { M: u32, N: u32, K: u32, g: f32, etaK: f32,
           C: u32, H: u32, W: u32, OH: u32, OW: u32, KH: u32, KW: u32, SH: u32, SW: u32, PT: u32, PL: u32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> xlo: array<f32>;
@group(0) @binding(2) var<storage, read> xhi: array<f32>;
@group(0) @binding(3) var<storage, read> wt: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> ylo: array<f32>;
@group(0) @binding(6) var<storage, read_write> yhi: array<f32>;
@group(0) @binding(7) var<storage, read_write> yv: array<f32>;

const TSM: u32 = 16u * TM;
const TSN: u32 = 16u * TN;
const TT: u32 = TM * TN;
const TK: u32 = 16u;
var<workgroup> tc: array<f32, TSM * TK>; // [k][m]
var<workgroup> tr: array<f32, TSM * TK>;
var<workgroup> tw: array<f32, TSN * TK>; // [k][n]

// Address of element (row m, column k) of the (possibly implicit) input matrix, or -1 for padding.
fn x_index(m: u32, k: u32) -> i32 {
  if (!CONV) { return i32(m * p.K + k); }
  let hw = p.OH * p.OW;
  let b = m / hw; let pix = m % hw;
  let oy = pix / p.OW; let ox = pix % p.OW;
  let khw = p.KH * p.KW;
  let ic = k / khw; let kk = k % khw;
  let iy = i32(oy * p.SH + kk / p.KW) - i32(p.PT);
  let ix = i32(ox * p.SW + kk % p.KW) - i32(p.PL);
  if (iy < 0 || ix < 0 || iy >= i32(p.H) || ix >= i32(p.W)) { return -1; }
  return i32(((b * p.C + ic) * p.H + u32(iy)) * p.W + u32(ix));
}

fn y_index(m: u32, n: u32) -> u32 {
  if (!CONV) { return m * p.N + n; }
  let hw = p.OH * p.OW;
  return ((m / hw) * p.N + n) * hw + m % hw;
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let rows = p.M * select(1u, p.OH * p.OW, CONV);
  let tilesN = (p.N + TSN - 1u) / TSN;
  let gidx = group_id(wid, nwg);
  let m0 = (gidx / tilesN) * TSM;
  let n0 = (gidx % tilesN) * TSN;
  let tid = lid.y * 16u + lid.x;
  var ac: array<f32, TT>;
  var ar: array<f32, TT>;
  var aa: array<f32, TT>;
  for (var k0 = 0u; k0 < p.K; k0 += TK) {
    for (var e = 0u; e < TM; e++) {
      let idx = tid + e * 256u;
      let mm = idx / TK; let kk = idx % TK;
      var c = 0.0; var r = 0.0;
      if (m0 + mm < rows && k0 + kk < p.K) {
        let xi = x_index(m0 + mm, k0 + kk);
        if (xi >= 0) {
          let l = xlo[xi]; let u = xhi[xi];
          c = 0.5 * (l + u);
          r = up(max(u - c, c - l));
        }
      }
      tc[kk * TSM + mm] = c;
      tr[kk * TSM + mm] = r;
    }
    for (var e = 0u; e < TN; e++) {
      let idx = tid + e * 256u;
      let nn = idx / TK; let kk = idx % TK;
      var w = 0.0;
      if (n0 + nn < p.N && k0 + kk < p.K) { w = wt[(n0 + nn) * p.K + k0 + kk]; }
      tw[kk * TSN + nn] = w;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      var wv: array<f32, TN>;
      for (var j = 0u; j < TN; j++) { wv[j] = tw[kk * TSN + lid.x * TN + j]; }
      for (var i = 0u; i < TM; i++) {
        let c = tc[kk * TSM + lid.y * TM + i];
        let r = tr[kk * TSM + lid.y * TM + i];
        for (var j = 0u; j < TN; j++) {
          let w = wv[j];
          ac[i * TN + j] += w * c;
          ar[i * TN + j] += abs(w) * r;
          aa[i * TN + j] += abs(w * c);
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < TM; i++) {
    let m = m0 + lid.y * TM + i;
    if (m >= rows) { continue; }
    for (var j = 0u; j < TN; j++) {
      let n = n0 + lid.x * TN + j;
      if (n >= p.N) { continue; }
      let b = bias[n];
      let y = ac[i * TN + j] + b;
      let r0 = ar[i * TN + j];
      let a = aa[i * TN + j];
      let s = up(r0 + up(p.g * up(r0 + a + abs(b)))) + p.etaK;
      let o = y_index(m, n);
      ylo[o] = down(y - s);
      yhi[o] = up(y + s);
      yv[o] = up(up(a + r0) * (1.0 + p.g)) + p.etaK;
    }
  }
}
