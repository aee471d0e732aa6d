// The bound of a ReLU-split domain on a dense ReLU chain (src/verify/dense-chain.ts) over an
// input box, with FIXED pre-activation bounds `pre` (the α stage's, else chainPreBounds): the
// bounding step of relu-bab.ts, batched over many domains and spec rows at once.
//
// A domain is a set of splits (ReLU neuron, active or inactive). Its bound of row j is a
// CROWN back-substitution of a_j through the chain where every unstable ReLU is relaxed by
//   split active:   relu(z) = z        split inactive: relu(z) = 0   (coefficient λ < 0)
//                   α·z ≤ relu(z) on the split's side of 0, either way  (λ > 0)
//   unsplit:        α·z ≤ relu(z) ≤ u(z − l)/(u − l)   (α ∈ [0, 1]: the α stage's, else adaptive)
// and stable ReLUs are exact; the result is concretised over the whole box.
// Soundness: on the subdomain {x in box : every split's sign condition holds}, the chosen
// piece bounds relu(z) from the right side for split neurons, and the unsplit relaxations hold for every x
// in the box (pre-bounds are sound over the box), so the back-substituted linear function
// is ≤ a_j·y on the subdomain; minimising it over the whole box (dropping the split
// constraints) only lowers it. With β (boundBatch's betas) the split constraints come back
// as Lagrangian terms, each ≤ 0 on the subdomain.
import type { DenseChain } from './dense-chain.js';
import type { PreBounds } from './alpha-crown.js';
import { matmulRows, transposeOf } from '../bounds/linalg.js';
import { adaptiveSlope } from '../bounds/ops/relu.js';

export interface BabRow {
  /** Coefficients on the chain's output (outputs entries). */
  a: Float64Array;
  b: number;
  /** Lower slopes per ReLU layer (full width n_k) for this row, e.g. from the α stage. */
  alpha?: Float64Array[];
}

/** Per (box, pre-bounds) data: the chain restricted to ReLUs that are not dead. */
export interface Ctx {
  K: number;
  n0: number;
  lower: Float64Array;
  upper: Float64Array;
  /** Per ReLU layer k: the neurons with u > 0 (kept, in compressed position order). */
  alive: Int32Array[];
  /** Per layer: positions (compressed) of the unstable neurons, and their global index base. */
  unstablePos: Int32Array[];
  ugBase: number[];
  /** Per global unstable index: layer and compressed position. */
  ugLayer: Int32Array;
  ugPos: Int32Array;
  /** Per layer, per compressed position: l, slope u/(u−l) (unstable only), upper-line intercept factor. */
  l: Float64Array[];
  u: Float64Array[];
  slope: Float64Array[];
  /** Compressed maps: wT[k] = (maps[k] restricted to alive rows and alive_{k−1} columns)ᵀ, bias b[k]. */
  wT: Float64Array[];
  /** The same maps untransposed (alive × inWidth), for the forward pass of the β gradient. */
  wc: Float64Array[];
  bias: Float64Array[];
  inWidth: number[];
  /** Per spec row: coefficients on h_{K−1} (compressed) or, with K = 0, on x; constant. */
  topCoef: Float64Array[];
  topCst: number[];
  /** Per spec row, per layer: α on compressed positions. */
  alpha: Float64Array[][];
  rowsB: Float64Array;
  J: number;
}

export function buildCtx(chain: DenseChain, lower: Float64Array, upper: Float64Array, pre: PreBounds, rows: BabRow[]): Ctx {
  const K = chain.maps.length - 1;
  const n0 = lower.length;
  const alive: Int32Array[] = [], unstablePos: Int32Array[] = [], ugBase: number[] = [];
  const l: Float64Array[] = [], u: Float64Array[] = [], slope: Float64Array[] = [];
  const ugL: number[] = [], ugP: number[] = [];
  for (let k = 0; k < K; k++) {
    const pl = pre.lower[k], pu = pre.upper[k];
    const idx: number[] = [];
    for (let i = 0; i < pl.length; i++) if (pu[i] > 0) idx.push(i);
    alive.push(Int32Array.from(idx));
    const lk = new Float64Array(idx.length), uk = new Float64Array(idx.length), sk = new Float64Array(idx.length);
    const un: number[] = [];
    ugBase.push(ugL.length);
    idx.forEach((i, p) => {
      lk[p] = pl[i]; uk[p] = pu[i];
      if (pl[i] < 0) {
        sk[p] = pu[i] / (pu[i] - pl[i]);
        un.push(p);
        ugL.push(k); ugP.push(p);
      }
    });
    unstablePos.push(Int32Array.from(un));
    l.push(lk); u.push(uk); slope.push(sk);
  }
  const wT: Float64Array[] = [], wcs: Float64Array[] = [], bias: Float64Array[] = [], inWidth: number[] = [];
  for (let k = 0; k < K; k++) {
    const { w, b, in: inn } = chain.maps[k];
    const rowsK = alive[k];
    const cols = k === 0 ? null : alive[k - 1];
    const nc = cols ? cols.length : inn;
    const wc = new Float64Array(rowsK.length * nc);
    const bc = new Float64Array(rowsK.length);
    rowsK.forEach((o, p) => {
      bc[p] = b[o];
      if (cols) for (let q = 0; q < nc; q++) wc[p * nc + q] = w[o * inn + cols[q]];
      else wc.set(w.subarray(o * inn, (o + 1) * inn), p * nc);
    });
    // matmulRows takes the right factor transposed: next (R × nc) = A (R × alive) · wc
    wT.push(transposeOf(wc, rowsK.length, nc)); wcs.push(wc); bias.push(bc); inWidth.push(nc);
  }
  const top = chain.maps[K];
  const topCols = K > 0 ? alive[K - 1] : null;
  const topCoef: Float64Array[] = [], topCst: number[] = [];
  for (const row of rows) {
    const nc = topCols ? topCols.length : top.in;
    const coef = new Float64Array(nc);
    let cst = 0;
    for (let o = 0; o < top.out; o++) {
      const a = row.a[o];
      if (a === 0) continue;
      cst += a * top.b[o];
      for (let q = 0; q < nc; q++) coef[q] += a * top.w[o * top.in + (topCols ? topCols[q] : q)];
    }
    topCoef.push(coef); topCst.push(cst);
  }
  const alpha = rows.map((row) => alive.map((idx, k) => {
    const a = new Float64Array(idx.length);
    idx.forEach((i, p) => {
      const given = row.alpha?.[k]?.[i];
      // any α in [0, 1] gives a sound lower line; clamp whatever was passed
      a[p] = given !== undefined && Number.isFinite(given) ? Math.min(1, Math.max(0, given)) : adaptiveSlope(l[k][p], u[k][p]);
    });
    return a;
  }));
  return {
    K, n0, lower, upper, alive, unstablePos, ugBase, ugLayer: Int32Array.from(ugL), ugPos: Int32Array.from(ugP),
    l, u, slope, wT, wc: wcs, bias, inWidth, topCoef, topCst, alpha, rowsB: Float64Array.from(rows.map((r) => r.b)), J: rows.length,
  };
}

export interface BatchBounds {
  /** D × J lower bounds of a_j·y. */
  lb: Float64Array;
  /** D × J: the unstable index with the highest branching score in that row's pass (−1: none). */
  branch: Int32Array;
  /** D × J × n0 final coefficients on x (the candidate corner follows their signs). */
  coefX: Float64Array;
  /** With betas and wantGrad: per row, d bound / d β_t for each split t of its domain. */
  grad?: Float64Array[];
}

/**
 * Bounds every spec row on each of D domains (split lists) in one batched back-substitution.
 * `betas` (per row r = d·J + j, one value ≥ 0 per split of domain d, in split order) turns
 * on β-CROWN's treatment of the splits: the exact piece (z or 0) for either sign of λ, plus
 * β_t·g_t(z) for the split's constraint g_t ≤ 0 on the subdomain (active: −z ≤ 0, inactive:
 * z ≤ 0); for β ≥ 0 that term is ≤ 0 on the subdomain, so the bound stays a lower bound of
 * a_j·y there (weak duality). Without betas, λ > 0 keeps the lower line α·z (see the header).
 */
export function boundBatch(ctx: Ctx, domains: Int32Array[], betas?: Float64Array[], wantGrad = false): BatchBounds {
  const { K, J } = ctx;
  const D = domains.length, R = D * J;
  // split per layer, per domain and compressed position: index in the domain's list + 1 (0: none)
  const sidx = ctx.alive.map((a) => new Int32Array(D * a.length));
  domains.forEach((splits, d) => {
    for (let s = 0; s < splits.length; s++) {
      const g = splits[s] >> 1;
      const k = ctx.ugLayer[g], n = ctx.alive[k].length;
      sidx[k][d * n + ctx.ugPos[g]] = s + 1;
    }
  });
  const topW = K > 0 ? ctx.alive[K - 1].length : ctx.n0;
  let A = new Float64Array(R * topW);
  const cst = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    const j = r % J;
    A.set(ctx.topCoef[j], r * topW);
    cst[r] = ctx.topCst[j];
  }
  const bestScore = new Float64Array(R);
  const branch = new Int32Array(R).fill(-1);
  const tape: Float64Array[] = []; // pre-relaxation coefficients on h_k, for the β gradient
  for (let k = K - 1; k >= 0; k--) {
    const n = ctx.alive[k].length;
    if (betas && wantGrad) tape[k] = A.slice();
    const un = ctx.unstablePos[k], lk = ctx.l[k], uk = ctx.u[k], sk = ctx.slope[k], si = sidx[k], base = ctx.ugBase[k];
    for (let r = 0; r < R; r++) {
      const d = (r / J) | 0, al = ctx.alpha[r % J][k];
      const row = r * n, srow = d * n;
      const splits = domains[d], beta = betas?.[r];
      let c = cst[r], best = bestScore[r], bi = branch[r];
      for (let t = 0; t < un.length; t++) {
        const p = un[t];
        const sp = si[srow + p];
        const lam = A[row + p];
        if (sp !== 0) {
          const active = (splits[sp - 1] & 1) === 1;
          if (beta) {
            // exact piece, plus β·(−z) (active) or β·z (inactive)
            const bt = beta[sp - 1];
            A[row + p] = active ? lam - bt : bt;
          } else if (lam > 0) {
            // on the split's side of 0, α·z ≤ relu(z) (z ≥ 0: α·z ≤ z; z ≤ 0: α·z ≤ 0);
            // the split constraint is dropped in the minimisation over the box, where the
            // exact piece extended beyond its side is often looser than the lower line
            A[row + p] = lam * al[p];
          } else if (!active) A[row + p] = 0;
          continue;
        }
        if (lam === 0) continue;
        let score: number;
        if (lam > 0) {
          // lower line α·z; splitting mostly helps through the other neurons (tie-break score)
          A[row + p] = lam * al[p];
          score = 1e-3 * lam * Math.min(uk[p], -lk[p]);
        } else {
          // upper line s·(z − l): its intercept −λ·s·(−l) is what a split removes (BaBSR)
          A[row + p] = lam * sk[p];
          c -= lam * sk[p] * lk[p];
          score = -lam * sk[p] * -lk[p];
        }
        if (score > best) { best = score; bi = base + t; }
      }
      cst[r] = c; bestScore[r] = best; branch[r] = bi;
    }
    // bias, then the map below: next (R × inWidth) = A (R × n) · W_k
    const bk = ctx.bias[k];
    for (let r = 0; r < R; r++) {
      let c = 0;
      const row = r * n;
      for (let p = 0; p < n; p++) c += A[row + p] * bk[p];
      cst[r] += c;
    }
    const nc = ctx.inWidth[k];
    const next = new Float64Array(R * nc);
    if (n > 0) matmulRows(A, R, n, ctx.wT[k], nc, next);
    A = next;
  }
  // A is on x now: concretise over the box
  const n0 = ctx.n0, lo = ctx.lower, hi = ctx.upper;
  const lb = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    let s = cst[r];
    const row = r * n0;
    for (let i = 0; i < n0; i++) {
      const a = A[row + i];
      s += a > 0 ? a * lo[i] : a * hi[i];
    }
    lb[r] = s;
  }
  if (!betas || !wantGrad) return { lb, branch, coefX: A };
  // d lb / d β_t = ±(the value of z at the minimising corner, pushed up through the same
  // linear pieces the backward pass used): forward from the corner, layer by layer
  let G = new Float64Array(R * n0);
  for (let q = 0; q < R * n0; q++) G[q] = A[q] > 0 ? lo[q % n0] : hi[q % n0];
  const grad = domains.flatMap((sp) => Array.from({ length: J }, () => new Float64Array(sp.length)));
  for (let k = 0; k < K; k++) {
    const n = ctx.alive[k].length, nc = ctx.inWidth[k];
    const Z = new Float64Array(R * n);
    if (n > 0) matmulRows(G, R, nc, ctx.wc[k], n, Z);
    const bk = ctx.bias[k], lk = ctx.l[k], sk = ctx.slope[k], si = sidx[k], lam = tape[k];
    for (let r = 0; r < R; r++) {
      const d = (r / J) | 0, al = ctx.alpha[r % J][k], splits = domains[d], row = r * n, srow = d * n;
      for (let p = 0; p < n; p++) {
        const z = Z[row + p] + bk[p];
        let h = z;
        if (lk[p] < 0) {
          const sp = si[srow + p];
          if (sp !== 0) {
            const active = (splits[sp - 1] & 1) === 1;
            grad[r][sp - 1] = active ? -z : z;
            h = active ? z : 0;
          } else {
            const a = lam[row + p];
            h = a < 0 ? sk[p] * (z - lk[p]) : a > 0 ? al[p] * z : 0;
          }
        }
        Z[row + p] = h;
      }
    }
    G = Z;
  }
  return { lb, branch, coefX: A, grad };
}

/**
 * Test hook: bounds of each row on each domain, given as lists of [layer, neuron (full
 * index), active] splits on unstable neurons (splits on stable neurons are ignored: they
 * change nothing there).
 */
export function boundDomains(chain: DenseChain, lower: Float64Array, upper: Float64Array, pre: PreBounds, rows: BabRow[],
  domains: [number, number, boolean][][], betas?: number[][]): Float64Array {
  const ctx = buildCtx(chain, lower, upper, pre, rows);
  const kept: number[][] = [];
  const coded = domains.map((list, d) => {
    const codes: number[] = [];
    kept.push([]);
    list.forEach(([k, i, active], q) => {
      const p = ctx.alive[k].indexOf(i);
      if (p < 0) return;
      const t = ctx.unstablePos[k].indexOf(p);
      if (t < 0) return;
      codes.push((ctx.ugBase[k] + t) * 2 + (active ? 1 : 0));
      kept[d].push(betas?.[d]?.[q] ?? 0);
    });
    return Int32Array.from(codes);
  });
  const rowBetas = betas ? coded.flatMap((_, d) => rows.map(() => Float64Array.from(kept[d]))) : undefined;
  return boundBatch(ctx, coded, rowBetas).lb;
}

/**
 * boundBatch with β moved by projected Adam ascent (any β ≥ 0 gives a sound bound, so each
 * row keeps its best bound and the β that gave it). init: per row, one β per split.
 */
export function boundBeta(ctx: Ctx, domains: Int32Array[], init: Float64Array[], iterations: number, lr: number): BatchBounds & { betas: Float64Array[] } {
  const betas = init.map((b) => b.slice());
  const bestBeta = init.map((b) => b.slice());
  const m1 = init.map((b) => new Float64Array(b.length)), m2 = init.map((b) => new Float64Array(b.length));
  let out: BatchBounds | undefined;
  let lb: Float64Array | undefined;
  for (let it = 0; ; it++) {
    const res = boundBatch(ctx, domains, betas, it < iterations);
    if (!lb) lb = res.lb.slice();
    else for (let r = 0; r < lb.length; r++) if (res.lb[r] > lb[r]) { lb[r] = res.lb[r]; bestBeta[r].set(betas[r]); }
    out = res;
    if (it === 0) betas.forEach((b, r) => bestBeta[r].set(b));
    if (it >= iterations || !res.grad) break;
    const t = it + 1;
    for (let r = 0; r < betas.length; r++) {
      const b = betas[r], g = res.grad[r], m = m1[r], v = m2[r];
      for (let q = 0; q < b.length; q++) {
        const gi = g[q];
        m[q] = 0.9 * m[q] + 0.1 * gi;
        v[q] = 0.999 * v[q] + 0.001 * gi * gi;
        const step = lr * (m[q] / (1 - 0.9 ** t)) / (Math.sqrt(v[q] / (1 - 0.999 ** t)) + 1e-12);
        b[q] = Math.max(0, b[q] + step);
      }
    }
  }
  return { ...out!, lb: lb!, betas: bestBeta };
}
