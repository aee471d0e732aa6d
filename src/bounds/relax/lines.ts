// The backward step and its reverse sweep through per-neuron lines (ReLU, Sigmoid), the
// relaxation every element-wise activation gives (types.ts). Rows are lower bounds, so a
// positive coefficient takes the lower line and a negative one the upper line; where the
// relaxation marks a neuron free and α is given, the row's own α shapes the line: a ReLU's
// lower slope is α itself, a sigmoid's lower or upper line is its family's member at α
// (curve.ts; the side the coefficient's sign picks).
import type { Rows } from '../ops/rule.js';
import type { LayerParams, LineRelax } from './types.js';
import { curveLine } from './curve.js';
import { liveLines, liveSplit, liveToDense, isLiveRows, type LiveRows } from '../live.js';

/** In place on A (rows.n × n): coefficients on the input, intercepts into rows.bias. */
export function backwardThroughLines(A: Float64Array, rows: Rows, n: number, lines: LineRelax, param?: LayerParams): Float64Array[] {
  const { lowSlope, lowIcpt, upSlope, upIcpt, free, curve } = lines;
  const alpha = free ? param?.alpha : undefined;
  const line = new Float64Array(4);
  for (let r = 0; r < rows.n; r++) {
    const ao = r * n, ro = rows.box[r] * n;
    let bias = 0;
    for (let j = 0; j < n; j++) {
      const a = A[ao + j];
      if (a === 0) continue;
      if (curve && alpha && free![ro + j]) {
        curveLine(a > 0 ? curve.lower : curve.upper, ro + j, alpha[ao + j], line);
        A[ao + j] = a * line[0];
        bias += a * line[1];
      } else if (a > 0) {
        A[ao + j] = a * (alpha && free![ro + j] ? alpha[ao + j] : lowSlope[ro + j]);
        if (lowIcpt) bias += a * lowIcpt[ro + j];
      } else {
        A[ao + j] = a * upSlope[ro + j];
        bias += a * upIcpt[ro + j];
      }
    }
    rows.bias[r] += bias;
  }
  return [A];
}

/**
 * The step on rows in dense or live form (../live.ts; plain passes). Live runs whose columns are
 * this relaxation's live neurons of their box (as a Dense step with RuleCtx.live leaves them)
 * step in place over those neurons, with fixed lines and no lower intercept; anything else goes
 * through backwardThroughLines in dense form. Same sums, same order, same bits. Runs marked
 * `lined` with these lines were stepped by the Dense step that produced them (../live.ts
 * fusedLines) and pass unchanged.
 */
export function backwardLinesLive(A: Float64Array | LiveRows, rows: Rows, n: number, lines: LineRelax, param?: LayerParams): (Float64Array | LiveRows)[] {
  if (!isLiveRows(A)) return backwardThroughLines(A, rows, n, lines, param);
  const { lowSlope, lowIcpt, upSlope, upIcpt, free } = lines;
  // runs a Dense step already took through these lines (live.ts fusedLines) pass unchanged
  const todo = A.runs.filter((run) => run.lined !== lines);
  if (!todo.length) return [A];
  const fits = todo.length === A.runs.length && !(free && param?.alpha) && !lowIcpt && A.runs.every((run) => run.cols === (liveSplit(lines, run.box, n)?.live ?? null));
  if (!fits) {
    if (todo.length !== A.runs.length) throw new Error('backwardLinesLive: rows partly stepped already');
    return backwardThroughLines(liveToDense(A), rows, n, lines, param);
  }
  for (const { box, r0, r1, cols, data } of A.runs) {
    const split = cols && liveSplit(lines, box, n);
    // the lines on the run's columns, contiguous (every neuron's own when all are live)
    const g = split ? liveLines(lines, split, box, n) : undefined;
    const ro = split ? 0 : box * n, L = cols ? cols.length : n;
    const low = g ? g.low : lowSlope, up = g ? g.up : upSlope, icpt = g ? g.icpt : upIcpt;
    for (let r = 0; r < r1 - r0; r++) rows.bias[r0 + r] += stepRow(data, r * L, L, ro, low, up, icpt);
  }
  return [A];
}

/** One live-form row (data[po … po + L), lines at ro + t): in place; returns its intercepts' sum. */
export function stepRow(data: Float64Array, po: number, L: number, ro: number, low: Float64Array, up: Float64Array, icpt: Float64Array): number {
  let bias = 0;
  for (let t = 0; t < L; t++) {
    const a = data[po + t];
    if (a === 0) continue;
    if (a > 0) data[po + t] = a * low[ro + t];
    else {
      data[po + t] = a * up[ro + t];
      bias += a * icpt[ro + t];
    }
  }
  return bias;
}

/**
 * Reverse sweep: G (rows.n × n), the derivative of the bound with respect to the coefficients
 * on the input, becomes the derivative with respect to the coefficients `A` on the output
 * (the lines the backward step chose, applied to G); d bound / d α lands in grad.alpha: the
 * row's term a·(s(α)·z + c(α)) has derivative a·(s'(α)·g + c'(α)), g the input's value at the
 * bound's minimiser (G).
 */
export function reverseThroughLines(G: Float64Array, A: Float64Array, rows: Rows, n: number, lines: LineRelax, param?: LayerParams, grad?: LayerParams, cols?: Int32Array): Float64Array {
  const { lowSlope, lowIcpt, upSlope, upIcpt, free, curve } = lines;
  const alpha = free ? param?.alpha : undefined;
  const ga = free ? grad?.alpha : undefined;
  const out = new Float64Array(rows.n * n);
  const line = new Float64Array(4);
  // cols: the neurons whose lines are not 0 on every box (RuleCtx.needOut); the others give +0 and no gradient
  const L = cols ? cols.length : n;
  for (let r = 0; r < rows.n; r++) {
    const ao = r * n, ro = rows.box[r] * n;
    for (let t = 0; t < L; t++) {
      const j = cols ? cols[t] : t;
      const a = A[ao + j], g = G[ao + j];
      const isFree = free !== undefined && free[ro + j] === 1;
      if (curve && alpha && isFree) {
        // a = 0: the lower line, with no gradient to α
        curveLine(a < 0 ? curve.upper : curve.lower, ro + j, alpha[ao + j], line);
        out[ao + j] = line[0] * g + line[1];
        if (ga) ga[ao + j] = a * (line[2] * g + line[3]);
      } else if (a < 0) {
        out[ao + j] = upSlope[ro + j] * g + upIcpt[ro + j];
        if (ga) ga[ao + j] = 0;
      } else {
        // a = 0 gives no gradient to α; any line is a subgradient there
        out[ao + j] = (alpha && isFree ? alpha[ao + j] : lowSlope[ro + j]) * g + (lowIcpt ? lowIcpt[ro + j] : 0);
        if (ga) ga[ao + j] = isFree && !curve ? a * g : 0;
      }
    }
  }
  return out;
}
