// Per-row work of the CROWN backward pass, one thread per row (R rows; row r belongs to box
// rowBox[r]). A serial loop per row (rather than a workgroup reduction) keeps barriers out: this
// pass is O(R·n) beside the O(R·n·m) GEMMs, and software adapters pay dearly for barriers. Every
// row is a LOWER bound  f ≥ Λ·z + cst_r  (upper bounds are lower bounds of −f). MODE (host constant):
//  0 LINEAR_BIAS before a linear step Λ·W (Dense, Conv2d as its transpose, AvgPool with W = 1/d,
//                b = 0): cst += Σ Λ_i b_i − g·Σ|Λ_i b_i| − g2·Σ|Λ_i| V_i, V = (|W̃|·max|z|) of the
//                box (g: this dot and the f32 bias; g2: the a-priori error of the following step).
//  1 RELU        Λ over a ReLU's output → over its input, with the CPU engine's relaxation
//                (stable: exact; unstable: lower slope 1 if u ≥ −l else 0, upper chord
//                s(z − l), s = u/(u−l)). The chord slope is rounded UP (a steeper chord through
//                (l, 0) is still above ReLU on [l, u]); the rounding of Λ·s and of the intercept
//                dot is covered by g·Σ|Λ'_i|·max(−l_i, u_i) (|z − l| ≤ 2 max|z|, inside g).
//  2 AFFINE      y = s⊙x + t: Λ' = Λ⊙s, cst += Σ Λ t − g·Σ|Λ|(|s|·max|x| + |t|).
//  3 CONCRETIZE  over the box [lo, hi]: out = cst + Σ Λ c − Σ|Λ| r − g·Σ|Λ|(|c| + r), with c, r
//                an exact cover of the box as in ibp_gemm.
//  4 MAXPOOL     Λ over the pool's output, relaxation (relax.wgsl) va = [s, icpt] per (box, output):
//                a ≥ 0 keeps a (to the window's lowIdx input); a < 0 becomes a·s (to upIdx) and
//                cst += a·icpt. pool_back then sums each input's terms. Slack g·Σ(|a·icpt| +
//                2|Λ̃|·V), V = max|z| over the window (vb): the dot's error, the rounding of a·s and
//                of pool_back's sums (≤ n terms each).
//  5 SIGMOID     va = [ls, li, us, ui] per (box, neuron), the lower line for a ≥ 0, the upper one
//                for a < 0: Λ' = a·slope, cst += a·icpt; slack g·Σ(|a·icpt| + |Λ'|·max|z|).
//  6 ROUNDED     after back_gemm, Λ over the bounds [lo, hi]: cst −= g·Σ|Λ_i|·max(|lo_i|, |hi_i|),
//                g ≥ u', the a-posteriori part of back_gemm's error (each Λ_i within u'|Λ_i| of
//                the value its error-free products and compensated sum stand for).
// Each row's constant is a pair (hi, lo) standing for hi + lo (cst[2r], cst[2r+1]); each update
// adds s1 − up(s2 + up(g·S) + up(g2·S2)) − n·ETA to it: TwoSum into hi (exact), the errors into lo
// with one-ulp downward steps (dn1); CONCRETIZE writes dn1(hi + lo).
// s1 (the row's Σ terms) and s2 (CONCRETIZE's Σ|Λ|r) are compensated blocked dot products (CB
// terms per block, block sums by TwoSum, common.wgsl): each within β(CB, n)·S of its exact value
// (fp.ts dotError; S = Σ|terms| as collected in S), g = slackFactor(β + the mode's own product
// roundings (RELU, AFFINE: 2u'; SIGMOID: u'), k) with k covering the f32 evaluation of S itself
// (plain sums in blocks of B ≈ √n: error γ_{B+⌈n/B⌉+2}). S2 collects the terms whose error comes
// from the NEXT step's products and sums (the GEMM's, a conv's or pool's gather), with g2 from
// the host (backward.ts). Every f32 operation after the sums is stepped outward.
struct P { R: u32, n: u32, g: f32, etaN: f32, B: u32, g2: f32 };
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> lam: array<f32>;
@group(0) @binding(2) var<storage, read_write> cst: array<f32>;
@group(0) @binding(3) var<storage, read> va: array<f32>;
@group(0) @binding(4) var<storage, read> vb: array<f32>;
@group(0) @binding(5) var<storage, read> lo: array<f32>;
@group(0) @binding(6) var<storage, read> hi: array<f32>;
@group(0) @binding(7) var<storage, read_write> outv: array<f32>;
@group(0) @binding(8) var<storage, read> rowBox: array<u32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let r = group_id(wid, nwg) * 64u + t;
  if (r >= p.R) { return; }
  let box = rowBox[r];
  let base = r * p.n;
  let bb = box * p.n;
  var t1 = 0.0; var t2 = 0.0; var t3 = 0.0; var t4 = 0.0;
  var c1 = vec2f(0.0); var c2 = vec2f(0.0); var s3 = 0.0; var s4 = 0.0;
  for (var i = 0u; i < p.n; i++) {
    if (i % CB == 0u) { c1 = cadd(c1, t1); c2 = cadd(c2, t2); t1 = 0.0; t2 = 0.0; }
    if (i % p.B == 0u) { s3 += t3; s4 += t4; t3 = 0.0; t4 = 0.0; }
    let a = lam[base + i];
    if (MODE == 0u) {
      let b = va[i];
      t1 += a * b;
      t3 += abs(a * b);
      t4 += abs(a) * vb[bb + i];
    } else if (MODE == 1u) {
      let l = lo[bb + i]; let u = hi[bb + i];
      var a2 = a;
      if (l < 0.0) {
        if (u <= 0.0) { a2 = 0.0; }
        else if (a >= 0.0) { a2 = select(0.0, a, u >= -l); }
        else {
          let s = min(up_div(u / down(u - l)), 1.0);
          a2 = a * s;
          t1 += a2 * (-l);
          t3 += abs(a2) * max(-l, u);
        }
      }
      lam[base + i] = a2;
    } else if (MODE == 2u) {
      let s = va[i]; let sh = vb[i];
      let a2 = a * s;
      lam[base + i] = a2;
      t1 += a * sh;
      t3 += abs(a) * (abs(s) * max(abs(lo[bb + i]), abs(hi[bb + i])) + abs(sh));
    } else if (MODE == 3u) {
      let l = lo[bb + i]; let u = hi[bb + i];
      let c = 0.5 * (l + u);
      let rr = up(max(u - c, c - l));
      t1 += a * c;
      t2 += abs(a) * rr;
      t3 += abs(a) * (abs(c) + rr);
    } else if (MODE == 4u) {
      let q = 2u * (bb + i);
      var a2 = a;
      if (a < 0.0) {
        let ic = va[q + 1u];
        a2 = a * va[q];
        t1 += a * ic;
        t3 += abs(a * ic);
      }
      lam[base + i] = a2;
      t4 += 2.0 * abs(a2) * vb[bb + i];
    } else if (MODE == 6u) {
      t3 += abs(a) * max(abs(lo[bb + i]), abs(hi[bb + i]));
    } else if (MODE == 5u) {
      let q = 4u * (bb + i) + select(0u, 2u, a < 0.0);
      let ic = va[q + 1u];
      let a2 = a * va[q];
      lam[base + i] = a2;
      t1 += a * ic;
      t3 += abs(a * ic) + abs(a2) * max(abs(lo[bb + i]), abs(hi[bb + i]));
    }
  }
  let s1 = cval(cadd(c1, t1)); let s2 = cval(cadd(c2, t2));
  s3 += t3; s4 += t4;
  let slack = up(up(s2 + up(p.g * s3)) + up(p.g2 * s4));
  // the constant is an unevaluated pair (hi, lo), hi + lo += s1 − slack: hi by TwoSum (exact),
  // lo's own additions stepped down one ulp each (dn1), so a large constant costs no outward steps
  let a1 = two_sum(cst[2u * r], s1);
  let a2 = two_sum(a1.x, -slack);
  let lo = dn1(dn1(dn1(cst[2u * r + 1u] + a1.y) + a2.y) - p.etaN);
  if (MODE == 3u) { outv[r] = dn1(a2.x + lo); } else { cst[2u * r] = a2.x; cst[2u * r + 1u] = lo; }
}
