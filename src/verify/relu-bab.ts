// Branch and bound over ReLU splits for one conjunction of rows a_j·y ≤ b_j on a dense ReLU
// chain (src/verify/dense-chain.ts) over an input box, with FIXED pre-activation bounds
// `pre` (the α stage's, else chainPreBounds).
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
// constraints) only lowers it. The subdomains of the two children of a split cover the
// parent's (z ≤ 0 or z ≥ 0), so the conjunction is unreachable on the box once every leaf
// has some row whose bound exceeds its b_j.
//
// Counterexamples are never inferred from bounds: the box corner minimising a domain's final
// linear bound is a candidate, screened on the chain and then handed to `opts.candidate`,
// which replays it on the float64 forward pass of the real network.
import type { DenseChain } from './dense-chain.js';
import type { PreBounds } from './alpha-crown.js';
import { chainPreBounds } from './alpha-crown.js';
import { matmulRows } from '../bounds/linalg.js';
import type { Network } from '../network.js';
import type { OpenSet } from './open-set.js';
import type { Counterexample } from './outcome.js';
import { rowKey, type RowAlphas } from './bounds-stage.js';
import { replay } from '../attack/pgd.js';
import type { Highs } from 'highs';

export interface BabRow {
  /** Coefficients on the chain's output (outputs entries). */
  a: Float64Array;
  b: number;
  /** Lower slopes per ReLU layer (full width n_k) for this row, e.g. from the α stage. */
  alpha?: Float64Array[];
}

export interface ReluBabOptions {
  /** Stop after this Date.now() value. */
  deadline: number;
  /** Domains popped (and split) per step; 2× as many children are bounded at once. Default 128. */
  batch?: number;
  /** Most open domains kept (memory); reaching it stops the search. Default 400 000. */
  maxDomains?: number;
  /** Candidates (box corners) screened per step. Default 64. */
  candidatesPerStep?: number;
  /** Replays a candidate input on the real network: true when it is a counterexample. */
  candidate?: (x: Float64Array) => boolean;
  /** Projected Adam steps on β (the splits' Lagrange multipliers) per batch; 0: no β, the
   *  lower line α·z on split neurons with λ > 0. Children start from their parent's β. Default 4. */
  betaIterations?: number;
  /** Adam learning rate on β. Default 0.05. */
  betaLr?: number;
  /** A loaded HiGHS runtime: a domain with every unstable ReLU split is then decided by one
   *  LP (the network is affine on it); without one such a domain stops the search (stuck). */
  highs?: Highs;
}

export type ReluBabStatus = 'proved' | 'counterexample' | 'timeout' | 'limit' | 'stuck';

export interface ReluBabResult {
  /** proved: every leaf has a row bounded above its b. stuck: a domain cannot be split
   *  further (every unstable ReLU split or irrelevant) and its bound does not prove it. */
  status: ReluBabStatus;
  x?: Float64Array;
  /** Domains bounded (the root included). */
  domains: number;
  /** Most splits on one domain. */
  maxDepth: number;
  /** Lowest margin max_j (bound_j − b_j) over the open domains at the end (> 0 when proved). */
  margin: number;
  /** The root domain's margin (no splits). */
  rootMargin: number;
  /** Fully split domains decided by an LP. */
  lps: number;
  timeS: number;
}

interface Domain {
  /** Split codes: unstable index g·2 + (active ? 1 : 0). */
  splits: Int32Array;
  margin: number;
  /** Unstable index to split next (−1: none worth splitting). */
  branch: number;
  /** β per (row j, split t) at j·splits.length + t, when β is optimised. */
  beta?: Float64Array;
}

/** Per (box, pre-bounds) data: the chain restricted to ReLUs that are not dead. */
interface Ctx {
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

function buildCtx(chain: DenseChain, lower: Float64Array, upper: Float64Array, pre: PreBounds, rows: BabRow[]): Ctx {
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
    const t = new Float64Array(wc.length);
    for (let p = 0; p < rowsK.length; p++) for (let q = 0; q < nc; q++) t[q * rowsK.length + p] = wc[p * nc + q];
    wT.push(t); wcs.push(wc); bias.push(bc); inWidth.push(nc);
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
      a[p] = given !== undefined && Number.isFinite(given) ? Math.min(1, Math.max(0, given)) : (u[k][p] > -l[k][p] ? 1 : 0);
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
function boundBatch(ctx: Ctx, domains: Int32Array[], betas?: Float64Array[], wantGrad = false): BatchBounds {
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
function boundBeta(ctx: Ctx, domains: Int32Array[], init: Float64Array[], iterations: number, lr: number): BatchBounds & { betas: Float64Array[] } {
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

/** A binary min-heap of domains by margin. */
class Heap {
  private a: Domain[] = [];
  get size(): number { return this.a.length; }
  peek(): Domain | undefined { return this.a[0]; }
  push(d: Domain): void {
    const a = this.a;
    a.push(d);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p].margin <= d.margin) break;
      a[i] = a[p]; i = p;
    }
    a[i] = d;
  }
  pop(): Domain | undefined {
    const a = this.a;
    if (!a.length) return undefined;
    const top = a[0], last = a.pop()!;
    if (a.length) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        let mv = last.margin;
        if (l < a.length && a[l].margin < mv) { m = l; mv = a[l].margin; }
        if (r < a.length && a[r].margin < mv) m = r;
        if (m === i) break;
        a[i] = a[m]; i = m;
      }
      a[i] = last;
    }
    return top;
  }
}

/** The chain's output at B inputs (float64), to screen candidates before the real replay. */
function chainForward(chain: DenseChain, X: Float64Array, B: number): Float64Array {
  let h = X;
  chain.maps.forEach((m, k) => {
    const z = new Float64Array(B * m.out);
    // z = h · wᵀ: matmulRows's right factor is wᵀ (in × out), given transposed, i.e. w itself
    matmulRows(h, B, m.in, m.w, m.out, z);
    for (let q = 0; q < B; q++) for (let o = 0; o < m.out; o++) {
      const v = z[q * m.out + o] + m.b[o];
      z[q * m.out + o] = k < chain.maps.length - 1 ? Math.max(0, v) : v;
    }
    h = z;
  });
  return h;
}

/** Two 32-bit FNV hashes of the sign pattern of a coefficient row (which corner it picks). */
function cornerKey(A: Float64Array, off: number, n: number): string {
  let h1 = 0x811c9dc5, h2 = 0x01000193;
  for (let i = 0; i < n; i++) {
    const bit = A[off + i] > 0 ? 1 : 2;
    h1 = Math.imul(h1 ^ bit, 0x01000193);
    h2 = Math.imul(h2 ^ (bit + i), 0x5bd1e995);
  }
  return `${h1 >>> 0}:${h2 >>> 0}`;
}

/**
 * Branch and bound for one conjunction: proves it unreachable on the box (status 'proved'),
 * or finds a candidate that `opts.candidate` confirms, or stops (time, domain limit, stuck).
 */
export function reluBab(chain: DenseChain, lower: Float64Array, upper: Float64Array, pre: PreBounds, rows: BabRow[], opts: ReluBabOptions): ReluBabResult {
  const t0 = performance.now();
  const ctx = buildCtx(chain, lower, upper, pre, rows);
  const J = ctx.J, n0 = ctx.n0;
  const batch = Math.max(1, opts.batch ?? 128);
  const maxDomains = opts.maxDomains ?? 400_000;
  const perStep = opts.candidatesPerStep ?? 64;
  const tried = new Set<string>();
  let domainsBounded = 0, maxDepth = 0, rootMargin = -Infinity, lps = 0;
  const result = (status: ReluBabStatus, margin: number, x?: Float64Array): ReluBabResult =>
    ({ status, x, domains: domainsBounded, maxDepth, margin, rootMargin, lps, timeS: (performance.now() - t0) / 1000 });
  const nUnstable = ctx.ugLayer.length;

  // bounds a batch; returns the domains (margin, branch) and screens candidates
  const betaIt = opts.betaIterations ?? 10, betaLr = opts.betaLr ?? 0.05;
  const evaluate = (splits: Int32Array[], inherit?: (Float64Array | undefined)[]): { doms: Domain[]; cex?: Float64Array } => {
    let res: BatchBounds;
    let betas: Float64Array[] | undefined;
    if (betaIt > 0) {
      // per row: the parent's β of the row for the inherited splits, 0 for the new one
      const init = splits.flatMap((s, d) => Array.from({ length: J }, (_, j) => {
        const b = new Float64Array(s.length), par = inherit?.[d];
        if (par) { const S = s.length - 1; b.set(par.subarray(j * S, (j + 1) * S)); }
        return b;
      }));
      const r = boundBeta(ctx, splits, init, betaIt, betaLr);
      res = r; betas = r.betas;
    } else res = boundBatch(ctx, splits);
    domainsBounded += splits.length;
    const doms: Domain[] = splits.map((s, d) => {
      let margin = -Infinity, jm = 0;
      for (let j = 0; j < J; j++) {
        const m = res.lb[d * J + j] - ctx.rowsB[j];
        if (m > margin) { margin = m; jm = j; } // a NaN bound never proves anything
      }
      // branch on the neuron the closest-to-proved row scores highest; else any row's
      let branch = res.branch[d * J + jm];
      for (let j = 0; j < J && branch < 0; j++) branch = res.branch[d * J + j];
      if (branch < 0 && s.length < nUnstable && !(margin > 0)) {
        // no unsplit neuron matters to any row's relaxation, yet the split constraints were
        // dropped: split any unsplit one, so that the leaves end fully split (LP-decidable)
        const done = new Set<number>();
        for (let t = 0; t < s.length; t++) done.add(s[t] >> 1);
        for (let g = 0; g < nUnstable && branch < 0; g++) if (!done.has(g)) branch = g;
      }
      let beta: Float64Array | undefined;
      if (betas) {
        beta = new Float64Array(J * s.length);
        for (let j = 0; j < J; j++) beta.set(betas[d * J + j], j * s.length);
      }
      return { splits: s, margin, branch, beta };
    });
    if (!opts.candidate) return { doms };
    // candidates: the box corner minimising the closest-to-proved row's final linear bound,
    // for unproved domains whose corner was not tried yet, lowest margin first
    const order = doms.map((_, d) => d).filter((d) => !(doms[d].margin > 0)).sort((p, q) => doms[p].margin - doms[q].margin);
    const picked: Float64Array[] = [];
    for (const d of order) {
      if (picked.length >= perStep && doms[d].branch >= 0) continue; // un-splittable domains always get theirs
      let jm = 0;
      for (let j = 1; j < J; j++) if (res.lb[d * J + j] - ctx.rowsB[j] > res.lb[d * J + jm] - ctx.rowsB[jm]) jm = j;
      const off = (d * J + jm) * n0;
      const key = cornerKey(res.coefX, off, n0);
      if (tried.has(key)) continue;
      if (tried.size < 1_000_000) tried.add(key);
      const x = new Float64Array(n0);
      for (let i = 0; i < n0; i++) x[i] = res.coefX[off + i] > 0 ? lower[i] : upper[i];
      picked.push(x);
    }
    if (!picked.length) return { doms };
    const X = new Float64Array(picked.length * n0);
    picked.forEach((x, q) => X.set(x, q * n0));
    const Y = chainForward(chain, X, picked.length);
    const m = chain.maps[chain.maps.length - 1].out;
    for (let q = 0; q < picked.length; q++) {
      let ok = true;
      for (let j = 0; j < J && ok; j++) {
        let v = 0;
        for (let o = 0; o < m; o++) v += rows[j].a[o] * Y[q * m + o];
        // generous screen: the real replay decides
        if (v > rows[j].b + 1e-6 * (1 + Math.abs(rows[j].b))) ok = false;
      }
      if (ok && opts.candidate(picked[q])) return { doms, cex: picked[q] };
    }
    return { doms };
  };

  // a fully split domain: the network is affine on it, so one LP decides it exactly
  const leaf = (d: Domain): 'proved' | 'cex' | 'stuck' => {
    if (!opts.highs) return 'stuck';
    lps++;
    const r = leafLp(opts.highs, chain, ctx, d.splits, rows);
    if (r.infeasible) return 'proved';
    if (r.x && opts.candidate?.(r.x)) { lpCex = r.x; return 'cex'; }
    return 'stuck';
  };
  let lpCex: Float64Array | undefined;

  const root = evaluate([new Int32Array(0)]);
  if (root.cex) return result('counterexample', -Infinity, root.cex);
  const heap = new Heap();
  const rootDom = root.doms[0];
  rootMargin = rootDom.margin;
  if (rootDom.margin > 0) return result('proved', rootDom.margin);
  if (rootDom.branch < 0) {
    const v = leaf(rootDom);
    return v === 'proved' ? result('proved', 0) : v === 'cex' ? result('counterexample', -Infinity, lpCex) : result('stuck', rootDom.margin);
  }
  heap.push(rootDom);
  while (heap.size) {
    if (Date.now() > opts.deadline) return result('timeout', heap.peek()!.margin);
    if (heap.size + batch > maxDomains) return result('limit', heap.peek()!.margin);
    const parents: Domain[] = [];
    while (parents.length < batch && heap.size) parents.push(heap.pop()!);
    const children: Int32Array[] = [];
    const inherit: (Float64Array | undefined)[] = [];
    for (const p of parents) {
      const g = p.branch;
      for (const side of [0, 1]) {
        const s = new Int32Array(p.splits.length + 1);
        s.set(p.splits);
        s[p.splits.length] = g * 2 + side;
        children.push(s);
        inherit.push(p.beta);
      }
      if (p.splits.length + 1 > maxDepth) maxDepth = p.splits.length + 1;
    }
    const { doms, cex } = evaluate(children, inherit);
    if (cex) return result('counterexample', -Infinity, cex);
    for (const d of doms) {
      if (d.margin > 0) continue; // some row proved on this leaf
      if (d.branch < 0) {
        // every unstable ReLU is split: the LP over the split constraints decides the leaf;
        // without it (or when its point does not replay) the search cannot prove the conjunction
        const v = leaf(d);
        if (v === 'proved') continue;
        if (v === 'cex') return result('counterexample', -Infinity, lpCex);
        heap.push(d);
        return result('stuck', heap.peek()!.margin);
      }
      heap.push(d);
    }
  }
  return result('proved', 0);
}

/**
 * The LP of a fully split domain: x in the box, every split's sign condition on its
 * pre-activation and every row a_j·y ≤ b_j, all affine in x under the domain's activation
 * pattern (stable ReLUs follow `pre`, which holds on the whole box). Every constraint is
 * loosened by a small tolerance, so 'infeasible' (HiGHS's answer on a larger set) proves
 * the leaf empty; a feasible point is only a candidate for the replay.
 */
function leafLp(highs: Highs, chain: DenseChain, ctx: Ctx, splits: Int32Array, rows: BabRow[]): { infeasible: boolean; x?: Float64Array } {
  const n0 = ctx.n0, K = ctx.K, W = n0 + 1;
  const state = ctx.alive.map((a) => new Int8Array(a.length));
  for (let t = 0; t < splits.length; t++) {
    const g = splits[t] >> 1;
    state[ctx.ugLayer[g]][ctx.ugPos[g]] = splits[t] & 1 ? 1 : -1;
  }
  // affine forms (coefficients on x, constant last) of each layer's output, full width
  let H: Float64Array = new Float64Array(n0 * W); // h = x
  for (let i = 0; i < n0; i++) H[i * W + i] = 1;
  const cons: { coef: Float64Array; rhs: number }[] = [];
  const tol = (v: number) => 1e-7 * (1 + Math.abs(v));
  for (let k = 0; k <= K; k++) {
    const { w, b, out, in: inn } = chain.maps[k];
    const Z = new Float64Array(out * W);
    for (let o = 0; o < out; o++) {
      Z[o * W + n0] = b[o];
      for (let j = 0; j < inn; j++) {
        const v = w[o * inn + j];
        if (v === 0) continue;
        for (let t = 0; t < W; t++) Z[o * W + t] += v * H[j * W + t];
      }
    }
    if (k === K) { H = Z; break; }
    const alive = ctx.alive[k], next = new Float64Array(out * W);
    alive.forEach((o, p) => {
      const st = ctx.l[k][p] >= 0 ? 1 : state[k][p];
      const z = Z.subarray(o * W, (o + 1) * W);
      if (st === 1) {
        next.set(z, o * W);
        if (ctx.l[k][p] < 0) cons.push({ coef: z.map((v) => -v).subarray(0, n0), rhs: z[n0] + tol(z[n0]) }); // z ≥ 0
      } else if (st === -1) cons.push({ coef: z.slice(0, n0), rhs: -z[n0] + tol(z[n0]) }); // z ≤ 0
      else throw new Error('leafLp: an unstable ReLU is not split');
    });
    H = next;
  }
  const m = chain.maps[K].out;
  const obj = new Float64Array(W);
  rows.forEach((row, j) => {
    const f = new Float64Array(W);
    for (let o = 0; o < m; o++) if (row.a[o] !== 0) for (let t = 0; t < W; t++) f[t] += row.a[o] * H[o * W + t];
    cons.push({ coef: f.subarray(0, n0), rhs: row.b - f[n0] + tol(row.b) });
    if (j === 0) obj.set(f);
  });
  const starts = [0], indices: number[] = [], values: number[] = [];
  for (const c of cons) { for (let t = 0; t < n0; t++) if (c.coef[t] !== 0) { indices.push(t); values.push(c.coef[t]); } starts.push(indices.length); }
  const model = highs.createModel({
    numCols: n0, numRows: cons.length, colCost: obj.subarray(0, n0), offset: obj[n0], colLower: ctx.lower, colUpper: ctx.upper,
    rowLower: cons.map(() => -Infinity), rowUpper: cons.map((c) => c.rhs),
    matrix: { format: 'csr', numRows: cons.length, numCols: n0, starts, indices, values },
  });
  try {
    model.options.set({ output_flag: false });
    model.run();
    const st = model.getModelStatus();
    if (st === highs.constants.modelStatus.infeasible) return { infeasible: true };
    if (st !== highs.constants.modelStatus.optimal) return { infeasible: false };
    const col = model.getSolution().colValue;
    const x = new Float64Array(n0);
    for (let i = 0; i < n0; i++) x[i] = Math.min(ctx.upper[i], Math.max(ctx.lower[i], col[i]));
    return { infeasible: false, x };
  } finally {
    model.dispose();
  }
}

export interface ReluBabStageOptions {
  deadline: number;
  /** Pre-activation bounds per region from the α stage (chainPreBounds where absent). */
  pre: (PreBounds | undefined)[];
  /** The α stage's lower slopes per region and row. */
  alpha?: RowAlphas[];
  /** The attack's best violation per region and disjunct: the closest ones go last. */
  incumbents?: ({ value: number } | undefined)[][];
  batch?: number;
  maxDomains?: number;
  highs?: Highs;
  log: (line: string) => void;
}

export interface ReluBabStageResult {
  closed: number;
  counterexample: Counterexample | null;
  domains: number;
  timeS: number;
}

/**
 * The relu-bab stage: every open disjunct of every region, one at a time, each with an equal
 * share of the time left (what one does not use rolls over). A proof closes the disjunct in
 * `open`; a counterexample is returned only after replaying on the network (in the box, in
 * the unsafe set).
 */
export function reluBabStage(net: Network, chain: DenseChain, open: OpenSet, opts: ReluBabStageOptions): ReluBabStageResult {
  const t0 = performance.now();
  let closed = 0, domains = 0;
  const regions = open.prop.regions;
  const jobs: { r: number; k: number }[] = [];
  regions.forEach((reg, r) => {
    // disjuncts the attack came closest to are the least likely to be proved: last
    const closeness = (k: number) => opts.incumbents?.[r]?.[k]?.value ?? Infinity;
    reg.unsafe.map((_, k) => k).filter((k) => open.open[r][k]).sort((p, q) => closeness(q) - closeness(p)).forEach((k) => jobs.push({ r, k }));
  });
  const preOf = new Map<number, PreBounds>();
  for (let q = 0; q < jobs.length; q++) {
    const left = opts.deadline - Date.now();
    if (left <= 20) break;
    const { r, k } = jobs[q];
    if (!open.open[r][k]) continue;
    const region = regions[r];
    let pre = opts.pre[r] ?? preOf.get(r);
    if (!pre) { pre = chainPreBounds(chain, region.lower, region.upper); preOf.set(r, pre); }
    const conj = region.unsafe[k];
    const m = open.prop.numOutputs;
    const rows: BabRow[] = [];
    for (let i = 0; i < conj.rows; i++) rows.push({ a: conj.a.slice(i * m, (i + 1) * m), b: conj.b[i], alpha: opts.alpha?.[r]?.get(rowKey(k, i)) });
    let cex: Float64Array | undefined;
    const res = reluBab(chain, region.lower, region.upper, pre, rows, {
      deadline: Date.now() + left / (jobs.length - q), batch: opts.batch, maxDomains: opts.maxDomains, highs: opts.highs,
      candidate: (x) => {
        // the whole region's unsafe set: any disjunct reached is a counterexample
        if (replay(net, region, x).disjunct < 0) return false;
        cex = x;
        return true;
      },
    });
    domains += res.domains;
    const rate = res.timeS > 0 ? Math.round(res.domains / res.timeS) : 0;
    opts.log(`relu-bab: region ${r} disjunct ${k}: ${res.status} (${res.domains} domains, ${rate}/s, depth ${res.maxDepth}, margin ${res.rootMargin.toPrecision(3)} at the root, ${res.margin.toPrecision(3)} at the end${res.lps ? `, ${res.lps} leaf LPs` : ''}, ${res.timeS.toFixed(1)}s)`);
    if (res.status === 'counterexample' && cex) {
      const again = replay(net, region, cex);
      if (again.disjunct >= 0) return { closed, counterexample: { x: cex, y: again.y }, domains, timeS: (performance.now() - t0) / 1000 };
    }
    if (res.status === 'proved') {
      open.open[r][k] = false;
      closed++;
    }
  }
  return { closed, counterexample: null, domains, timeS: (performance.now() - t0) / 1000 };
}
