// Interval image of an affine layer y = W x + b for M boxes at once, as a tiled matrix product
// through workgroup memory: (16·TM)×(16·TN) output tiles, K in steps of 16, each of the 16×16
// threads accumulating a TM×TN block (host constants: 4×4 on hardware, 1×1 on software adapters). Specialised by CONV: false = Dense (x is M × K, W is N × K [out][in]);
// true = Conv2d as an implicit GEMM (rows are (box, oy, ox), K = (ic, ky, kx), the input patch
// is gathered while loading the tile, so no unfolded copy of the input is ever stored: the
// unfolded matrix would be kh·kw times the input, per box, and this keeps memory at one
// activation per box while the arithmetic is the same GEMM).
//
// Soundness (outward rounding). The box x ∈ [l, u] is covered by centre c = fl((l+u)/2) and
// radius r = up(max(fl(u−c), fl(c−l))) exactly. W̃ = fl32(W) (nearest), |W − W̃| ≤ u'|W̃|
// (u' = u/(1−u)). C = Σ W̃c and R0 = Σ|W̃|r are compensated blocked dot products (CB products per
// block, block sums by TwoSum, common.wgsl), each within β = β(CB, K) (fp.ts dotError, ≈ (CB+1)u)
// of its exact value relative to Σ|terms|; A = fl(Σ|W̃c|) is a plain sum (only a magnitude).
// So with A* = Σ|W̃c| ≤ A(1 + 2γ_{K+1}), R* = Σ|W̃|r ≤ R0 + βR*:
//   |C − ΣWc| ≤ (β + u')A*,  Σ|W|r ≤ (1 + u')(R0 + βR*),  fl(C + b) within u|C + b| of C + b,
// and b̃ within u'|b| of the bias; every one of them is ≤ g·(R0 + A + |b|) with
// g = (β + 4u)(1 + 2γ_{K+1}) (fp.ts slackFactor). So y ∈ [C + b − s, C + b + s] with
// s = R0 + g·(R0 + A + |b|) + (K+2)·ETA (underflow), and the final ± is stepped outward.
// V = up((A + R0)(1 + gv)) ≥ Σ|W̃|·max(|l|,|u|), gv = 2γ_{K+2}, is kept for the CROWN slack terms.
// include: window tile
struct P { M: u32, N: u32, K: u32, g: f32, etaK: f32, gv: f32,
           C: u32, H: u32, W: u32, OH: u32, OW: u32, KH: u32, KW: u32, SH: u32, SW: u32, PT: u32, PL: u32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> xlo: array<f32>;
@group(0) @binding(2) var<storage, read> xhi: array<f32>;
@group(0) @binding(3) var<storage, read> wt: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> ylo: array<f32>;
@group(0) @binding(6) var<storage, read_write> yhi: array<f32>;
@group(0) @binding(7) var<storage, read_write> yv: array<f32>;

var<workgroup> tc: array<f32, TSM * TK>; // [k][m]
var<workgroup> tr: array<f32, TSM * TK>;

// Address of element (row m, column k) of the (possibly implicit) input matrix, or -1 for padding.
fn x_index(m: u32, k: u32) -> i32 {
  if (!CONV) { return i32(m * p.K + k); }
  let hw = p.OH * p.OW;
  let b = m / hw; let pix = m % hw;
  let oy = pix / p.OW; let ox = pix % p.OW;
  let khw = p.KH * p.KW;
  let ic = k / khw; let kk = k % khw;
  let off = window_input(oy, ox, kk / p.KW, kk % p.KW);
  if (off < 0) { return -1; }
  return i32((b * p.C + ic) * p.H * p.W) + off;
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
  let origin = tile_origin(group_id(wid, nwg), tilesN);
  let m0 = origin.x; let n0 = origin.y;
  let tid = lid.y * 16u + lid.x;
  var ac: array<vec2f, TT>;
  var ar: array<vec2f, TT>;
  var aa: array<f32, TT>;
  for (var k0 = 0u; k0 < p.K; k0 += TK) {
    for (var e = 0u; e < TM; e++) {
      let s = tile_slot(tid, e, TK); // (row, inner)
      var c = 0.0; var r = 0.0;
      if (m0 + s.x < rows && k0 + s.y < p.K) {
        let xi = x_index(m0 + s.x, k0 + s.y);
        if (xi >= 0) {
          let l = xlo[xi]; let u = xhi[xi];
          c = 0.5 * (l + u);
          r = up(max(u - c, c - l));
        }
      }
      tc[s.y * TSM + s.x] = c;
      tr[s.y * TSM + s.x] = r;
    }
    // W tile, read along the inner index (W is [out][in])
    for (var e = 0u; e < TN; e++) {
      let s = tile_slot(tid, e, TK); // (column, inner)
      var w = 0.0;
      if (n0 + s.x < p.N && k0 + s.y < p.K) { w = wt[(n0 + s.x) * p.K + k0 + s.y]; }
      tw[s.y * TSN + s.x] = w;
    }
    workgroupBarrier();
    for (var kb = 0u; kb < TK; kb += CB) {
      // zeroed by hand: a `var` without initialiser in a loop body is not re-zeroed per
      // iteration by every compiler (SwiftShader's is not)
      var pc: array<f32, TT>;
      var pr: array<f32, TT>;
      for (var q = 0u; q < TT; q++) { pc[q] = 0.0; pr[q] = 0.0; }
      for (var kk = kb; kk < kb + CB; kk++) {
        let wv = weight_row(kk, lid.x);
        for (var i = 0u; i < TM; i++) {
          let c = tc[kk * TSM + lid.y * TM + i];
          let r = tr[kk * TSM + lid.y * TM + i];
          for (var j = 0u; j < TN; j++) {
            let w = wv[j];
            pc[i * TN + j] += w * c;
            pr[i * TN + j] += abs(w) * r;
            aa[i * TN + j] += abs(w * c);
          }
        }
      }
      for (var q = 0u; q < TT; q++) { ac[q] = cadd(ac[q], pc[q]); ar[q] = cadd(ar[q], pr[q]); }
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
      let y = cval(ac[i * TN + j]) + b;
      let r0 = cval(ar[i * TN + j]);
      let a = aa[i * TN + j];
      let s = up(r0 + up(p.g * up(r0 + a + abs(b)))) + p.etaK;
      let o = y_index(m, n);
      ylo[o] = down(y - s);
      yhi[o] = up(y + s);
      yv[o] = up(up(a + r0) * (1.0 + p.gv)) + p.etaK;
    }
  }
}
