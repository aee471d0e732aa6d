// Branch and bound over ReLU splits for one conjunction of rows a_j·y ≤ b_j on a dense ReLU
// chain (src/verify/dense-chain.ts) over an input box, with FIXED pre-activation bounds
// `pre` (the α stage's, else chainPreBounds). Domains (sets of splits) are bounded in batches
// by relu-bab-bounds.ts (its header has the soundness argument); the lowest-margin domains are
// split on the neuron with the best BaBSR score; a fully split domain goes to one LP
// (relu-bab-leaf.ts). The subdomains of the two children of a split cover the parent's
// (z ≤ 0 or z ≥ 0), so the conjunction is unreachable on the box once every leaf has some row
// whose bound exceeds its b_j.
//
// Counterexamples are never inferred from bounds: the box corner minimising a domain's final
// linear bound is a candidate, screened on the chain and then handed to `opts.candidate`,
// which replays it on the float64 forward pass of the real network.
import type { Highs } from 'highs';
import { chainForward, type DenseChain } from './dense-chain.js';
import type { PreBounds } from './alpha-crown.js';
import { boundBatch, boundBeta, buildCtx, type BabRow, type BatchBounds } from './relu-bab-bounds.js';
import { leafLp } from './relu-bab-leaf.js';

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

/** A binary min-heap of domains by margin. */
export class Heap<T extends { margin: number } = Domain> {
  private a: T[] = [];
  get size(): number { return this.a.length; }
  peek(): T | undefined { return this.a[0]; }
  push(d: T): void {
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
  pop(): T | undefined {
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

/** Two 32-bit FNV hashes of the sign pattern of a coefficient row (which corner it picks). */
export function cornerKey(A: Float64Array, off: number, n: number): string {
  let h1 = 0x811c9dc5, h2 = 0x01000193;
  for (let i = 0; i < n; i++) {
    const bit = A[off + i] > 0 ? 1 : 2;
    h1 = Math.imul(h1 ^ bit, 0x01000193);
    h2 = Math.imul(h2 ^ (bit + i), 0x5bd1e995);
  }
  return `${h1 >>> 0}:${h2 >>> 0}`;
}

/**
 * The first of `picked` (inputs; `run` is a float64 forward pass of a batch) that satisfies
 * every row a_j·y ≤ b_j up to a generous tolerance and that `candidate` (the replay on the
 * real network) confirms.
 */
export function screenCandidates(picked: Float64Array[], run: (X: Float64Array, batch: number) => Float64Array, rows: { a: Float64Array; b: number }[], candidate: (x: Float64Array) => boolean): Float64Array | undefined {
  if (!picked.length) return undefined;
  const n0 = picked[0].length;
  const X = new Float64Array(picked.length * n0);
  picked.forEach((x, q) => X.set(x, q * n0));
  const Y = run(X, picked.length);
  const m = Y.length / picked.length;
  for (let q = 0; q < picked.length; q++) {
    let ok = true;
    for (let j = 0; j < rows.length && ok; j++) {
      let v = 0;
      for (let o = 0; o < m; o++) v += rows[j].a[o] * Y[q * m + o];
      // generous screen: the real replay decides
      if (v > rows[j].b + 1e-6 * (1 + Math.abs(rows[j].b))) ok = false;
    }
    if (ok && candidate(picked[q])) return picked[q];
  }
  return undefined;
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
    const cex = screenCandidates(picked, (X, B) => chainForward(chain, X, B), rows, opts.candidate);
    return cex ? { doms, cex } : { doms };
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
