// Dense y = W x + b. Interval: centre–radius (μ' = Wμ + b, r' = |W| r). Backward: A·W, bias += A·b.
// In a plain pass (../live.ts) the step takes and gives rows in live form: per run of rows of one
// box, coefficients on the live neurons only (those of the activation above, on the output; with
// ctx.live, those of the activation below, on the input), through a gathering of W's rows and
// columns (and the bias, as one more column); the other coefficients are 0, which gives the same
// bounds bit for bit (the argument is in live.ts). Every computed coefficient, and A·b, is the
// same sum over k in the same order as without.
// When the input is a ReLU this layer alone reads (RuleCtx.fuse, ../live.ts fusedLines), the step
// also takes the ReLU's step on each row right after its product and A·b: in the wasm kernel on
// the product where it lies (../wasm/gemm-wat.ts `lines`), else relax/lines.ts stepRow; rows.bias
// gets A·b and then the ReLU's intercept sum, the two additions the separate steps make, in
// their order, so the same bits. The runs are marked `lined` and the ReLU's step passes them on.
// Reading the network input, the product's rows go straight into the concretisation
// (`concretiseInput`): the same sums as `backward` then linalg.concretise, without materialising
// the rows × inFeatures product.
import type { DenseOp } from '../../network.js';
import type { OpRule, Rows, RuleCtx } from './rule.js';
import { absOf, centreRadius, concretiseJs, fromCentreRadius, matmulOnce, matmulRows, transposeOf, WASM_MIN_MACS } from '../linalg.js';
import { boxRuns, gatherSub, isLiveRows, type LiveRows, type LiveRun } from '../live.js';
import { gemmConcretiseWasm, gemmLinesWasmOnce } from '../wasm/gemm.js';
import { stepRow } from '../relax/lines.js';

/** rows.bias[r] += A[r]·b, summed over the outputs in order. */
function addBias(A: Float64Array, rows: Rows, m: number, bias: Float64Array): void {
  for (let r = 0; r < rows.n; r++) {
    let s = 0;
    const ao = r * m;
    for (let k = 0; k < m; k++) s += A[ao + k] * bias[k];
    rows.bias[r] += s;
  }
}

/**
 * The live-form step (../live.ts): per run of rows of one box, A on the live outputs `outs` (or
 * all) times W restricted to those rows and to the box's live inputs (or all), with b as one more
 * column so the same product gives A·b: the same terms summed in the same order as `backward`'s
 * product and addBias (zero terms skipped), so the same bits.
 */
function liveStep(op: DenseOp, A: Float64Array | LiveRows, rows: Rows, ctx: RuleCtx): LiveRows {
  const { inFeatures: n, outFeatures: m, weight: W, bias } = op;
  const src: LiveRun[] = isLiveRows(A) ? A.runs : boxRuns(rows).map(([box, r0, r1]) => ({ box, r0, r1, cols: null, data: A.subarray(r0 * m, r1 * m) }));
  const runs: LiveRun[] = [];
  for (let q0 = 0; q0 < src.length;) {
    // consecutive runs of one box (rows in order) become one run on the box's live inputs
    const box = src[q0].box;
    let q1 = q0 + 1;
    while (q1 < src.length && src[q1].box === box) q1++;
    const g0 = src[q0].r0, g1 = src[q1 - 1].r1;
    const cols = ctx.live ? ctx.live(box) : null;
    const L = cols ? cols.length : n, w = L + 1;
    const data = new Float64Array((g1 - g0) * L);
    // with ctx.fuse, the ReLU below steps each row right after its product (and its A·b)
    const fused = ctx.fuse?.(box);
    const lines = fused?.lines;
    runs.push({ box, r0: g0, r1: g1, cols, data, ...(fused ? { lined: fused.relax } : {}) });
    for (let q = q0; q < q1; q++) {
      const { r0, r1, cols: outs, data: Ar } = src[q];
      const nr = r1 - r0, at = (r0 - g0) * L;
      const inner = outs ? outs.length : m;
      // every coefficient 0: the product and A·b add nothing, and the ReLU's step leaves 0s and adds +0
      if (inner === 0) continue;
      if (outs && inner === 1) {
        // one output (a row that starts here): the product's sums have one term, 0 + a·w
        const o = outs[0], wo = o * n;
        for (let r = 0; r < nr; r++) {
          const a = Ar[r];
          if (a === 0) continue;
          for (let t = 0; t < L; t++) data[at + r * L + t] = 0 + a * W[wo + (cols ? cols[t] : t)];
          rows.bias[r0 + r] += 0 + a * bias[o];
        }
      } else if (!outs && (!cols || fullIsCheaper(Ar, nr, m, n, L))) {
        // dense rows against the resident W, every column, then this box's live ones picked out
        const full = cols ? new Float64Array(nr * n) : data.subarray(at, at + nr * n);
        matmulRows(Ar, nr, m, transposeOf(W, m, n), n, full);
        addBias(Ar, { n: nr, box: rows.box, bias: rows.bias.subarray(r0, r1) }, m, bias);
        if (cols) for (let r = 0; r < nr; r++) for (let t = 0; t < L; t++) data[at + r * L + t] = full[r * n + cols[t]];
      } else {
        const sub = gatherSub(W, m, n, outs, cols, bias);
        const take = (part: Float64Array, sums?: Float64Array) => {
          for (let r = 0; r < nr; r++) {
            const po = r * w;
            data.set(part.subarray(po, po + L), at + r * L);
            rows.bias[r0 + r] += part[po + L];
            if (sums) rows.bias[r0 + r] += sums[r];
          }
        };
        // the product and the ReLU's step in one wasm call, or the product alone
        if (lines && nr * inner * w >= WASM_MIN_MACS && gemmLinesWasmOnce(Ar, nr, inner, sub, w, lines, L, take)) continue;
        matmulOnce(Ar, nr, inner, sub, w, take);
      }
      if (lines) for (let r = 0; r < nr; r++) rows.bias[r0 + r] += stepRow(data, at + r * L, L, 0, lines.low, lines.up, lines.icpt);
    }
    q0 = q1;
  }
  return { kind: 'live', n: rows.n, size: n, runs };
}

/**
 * Dense rows (nr × m) against the whole W cost nr × (their non-zero columns) × n multiply-adds;
 * against W gathered to L columns, m × L copies more but nr × nz × L. (Rows that start a
 * pass are one-hot: there the whole W is cheaper.)
 */
function fullIsCheaper(A: Float64Array, nr: number, m: number, n: number, L: number): boolean {
  let nz = 0;
  for (let k = 0; k < m; k++) {
    for (let r = 0; r < nr; r++) {
      if (A[r * m + k] !== 0) { nz++; break; }
    }
  }
  return nr * nz * n < m * L + nr * nz * L;
}

/** A backward or reverse step computes only the columns it is asked for when they are fewer than this share of them. */
const NEED_SHARE = 0.75;

/** The rows `rows` of W (each n long; W or its transpose), gathered once per row set and kept (a search asks for the same set every pass; the kernel keeps it resident). */
const rowsCache = new WeakMap<Float64Array, { rows: Int32Array; sub: Float64Array }[]>();
function weightRows(W: Float64Array, n: number, rows: Int32Array): Float64Array {
  let list = rowsCache.get(W);
  if (!list) rowsCache.set(W, (list = []));
  const same = (a: Int32Array) => a.length === rows.length && a.every((v, i) => v === rows[i]);
  const hit = list.find((e) => same(e.rows));
  if (hit) return hit.sub;
  const sub = new Float64Array(rows.length * n);
  rows.forEach((k, t) => sub.set(W.subarray(k * n, (k + 1) * n), t * n));
  list.unshift({ rows: rows.slice(), sub });
  if (list.length > 8) list.pop();
  return sub;
}

/** Rows per kernel call of concretiseInput (padded; one box's rows may exceed it). */
const GROUP_ROWS = 64;

export const denseRule: OpRule<DenseOp> = {
  nonlinear: false,
  patches: 'dense', // every output reads the whole input
  interval(op, [x], ctx) {
    const { inFeatures: n, outFeatures: m, weight: W, bias } = op;
    const { mid, rad } = centreRadius(x.lower, x.upper);
    // boxes × n times Wᵀ: matmulRows takes the transposed right factor, which is W itself
    const omid = new Float64Array(ctx.count * m);
    const orad = new Float64Array(ctx.count * m);
    matmulRows(mid, ctx.count, n, W, m, omid);
    matmulRows(rad, ctx.count, n, absOf(W), m, orad);
    for (let b = 0; b < ctx.count; b++) for (let k = 0; k < m; k++) omid[b * m + k] += bias[k];
    return fromCentreRadius(omid, orad);
  },
  backward(op, A, rows, ctx) {
    const { inFeatures: n, outFeatures: m, weight: W, bias } = op;
    const out = new Float64Array(rows.n * n);
    const need = ctx.needIn;
    if (need && need.length < NEED_SHARE * n) {
      // only the input columns later steps read: the same sums over the columns of W they use, the rest 0
      const L = need.length, part = new Float64Array(rows.n * L);
      if (L) matmulRows(A, rows.n, m, weightRows(transposeOf(W, m, n), m, need), L, part);
      for (let r = 0; r < rows.n; r++) for (let t = 0; t < L; t++) out[r * n + need[t]] = part[r * L + t];
    } else matmulRows(A, rows.n, m, transposeOf(W, m, n), n, out);
    addBias(A, rows, m, bias);
    return [out];
  },
  backwardLive(op, A, rows, ctx) {
    return [liveStep(op, A, rows, ctx)];
  },
  concretiseInput(op, rowsA, rows, _ctx, mid, rad) {
    const { inFeatures: n, outFeatures: m, weight: W, bias } = op;
    const live = isLiveRows(rowsA) ? rowsA : undefined;
    const runs = live ? live.runs : boxRuns(rows).map(([box, r0, r1]) => ({ box, r0, r1, cols: null, data: (rowsA as Float64Array).subarray(r0 * m, r1 * m) }));
    // A·b over each run's (live) outputs: the zero terms left out change no sum
    for (const { r0, r1, cols, data } of runs) {
      const L = cols ? cols.length : m;
      for (let r = 0; r < r1 - r0; r++) {
        let s = 0;
        for (let t = 0; t < L; t++) s += data[r * L + t] * bias[cols ? cols[t] : t];
        rows.bias[r0 + r] += s;
      }
    }
    // the rows in dense form, the rows of each input box starting at a multiple of 4 rows (the
    // kernel's row block reads one box; runs of one box, e.g. branch-and-bound domains of one
    // input box, follow each other unpadded), padding rows 0; a few runs per kernel call, so
    // that the product stays in cache for its concretisation
    const res = new Float64Array(rows.n);
    const up4 = (x: number) => (x + 3) & ~3;
    for (let q0 = 0; q0 < runs.length;) {
      // where run q starts in a group that began at q0 (after run q − 1, which ended at `end`)
      const startOf = (q: number, end: number) => (q > q0 && runs[q].box === runs[q - 1].box ? end : up4(end));
      let q1 = q0 + 1, N = runs[q0].r1 - runs[q0].r0;
      while (q1 < runs.length) {
        const e = startOf(q1, N) + runs[q1].r1 - runs[q1].r0;
        if (up4(e) > GROUP_ROWS) break;
        N = e;
        q1++;
      }
      N = up4(N);
      const A = new Float64Array(N * m), box = new Int32Array(N), lb = new Float64Array(N);
      const at = new Int32Array(q1 - q0);
      let o = 0;
      for (let q = q0; q < q1; q++) {
        const { box: b, r0, r1, cols, data } = runs[q];
        const nr = r1 - r0;
        o = startOf(q, o);
        at[q - q0] = o;
        // this box's rows and the padding after them, up to where the next run starts
        box.fill(b, o, q + 1 < q1 ? startOf(q + 1, o + nr) : up4(o + nr));
        lb.set(rows.bias.subarray(r0, r1), o);
        if (!cols) A.set(data.subarray(0, nr * m), o * m);
        else {
          const L = cols.length;
          for (let r = 0; r < nr; r++) for (let t = 0; t < L; t++) A[(o + r) * m + cols[t]] = data[r * L + t];
        }
        o += nr;
      }
      // W (m × n) is the kernel's inner × cols right factor as it stands
      if (!(N * m * n >= 4096 && gemmConcretiseWasm(A, N, m, W, n, mid, rad, box, lb))) {
        const out = new Float64Array(N * n);
        matmulRows(A, N, m, transposeOf(W, m, n), n, out);
        concretiseJs(out, N, n, mid, rad, box, lb);
      }
      for (let q = q0; q < q1; q++) res.set(lb.subarray(at[q - q0], at[q - q0] + runs[q].r1 - runs[q].r0), runs[q].r0);
      q0 = q1;
    }
    return res;
  },
  reverse(op, G, _A, rows, ctx) {
    // linear: the derivative on the output is the forward map of the input's, W·G + b
    const { inFeatures: n, outFeatures: m, weight: W, bias } = op;
    const out = new Float64Array(rows.n * m);
    const need = ctx.needOut;
    if (need && need.length < NEED_SHARE * m) {
      // only the outputs the sweep reads: the same sums over the rows of W they use, the rest 0
      const L = need.length, part = new Float64Array(rows.n * L);
      if (L) matmulRows(G, rows.n, n, weightRows(W, n, need), L, part);
      for (let r = 0; r < rows.n; r++) for (let t = 0; t < L; t++) out[r * m + need[t]] = part[r * L + t] + bias[need[t]];
      return out;
    }
    matmulRows(G, rows.n, n, W, m, out);
    for (let r = 0; r < rows.n; r++) for (let k = 0; k < m; k++) out[r * m + k] += bias[k];
    return out;
  },
};
