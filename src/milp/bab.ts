// Exact branch-and-bound over the MILP's binaries (ReLU phases, max-pool selectors) that solves
// only LPs. HiGHS's own MIP stalls at the root on these big-M encodings (hundreds of cuts), while
// one LP takes milliseconds; so we keep ONE persistent HiGHS model with integrality dropped and
// move between nodes by changing the binaries' column bounds, which lets the dual simplex start
// from the previous basis.
//
// Soundness: a node's lower bound is not HiGHS's objective but a Lagrangian bound recomputed
// here from its row duals over the node's column box (valid for any multipliers, so LP
// tolerances cannot make it too high). Candidates are the LP point's input, replayed on the
// float64 network (ReplaySpec); only replayed values become incumbents. Without a ReplaySpec an
// LP point counts only when every binary is integral.
import type { Highs, Model } from 'highs';
import type { MilpData } from './builder.js';
import type { SolveOptions, SolveResult, SolveStatus } from './highs.js';
import { clipInput, replayValue } from './replay-spec.js';
import { lagrangianBound } from './lp-bound.js';
import { findRelus, tightenRoot } from './tighten.js';

interface Node {
  /** Fixed binaries: (position in `bins`) · 2 + value. */
  fixes: Int32Array;
  /** Lower bound inherited from the parent (used to prune before solving). */
  bound: number;
}

interface Branch { k: number; order: [number, number] }

/** Per binary: the rows it appears in and its coefficients there. */
interface BinaryRows { rows: Int32Array; coef: Float64Array }

const INT_TOL = 1e-6;

export function babWith(highs: Highs, data: MilpData, opts: SolveOptions): SolveResult {
  const t0 = performance.now();
  const deadline = t0 + opts.timeLimitS * 1000;
  const elapsed = (): number => (performance.now() - t0) / 1000;
  const stop = opts.stop ?? {};
  const absGap = opts.absGap ?? 1e-7, relGap = opts.relGap ?? 1e-7;
  const bins: number[] = [];
  for (let j = 0; j < data.numCols; j++) if (data.integrality[j]) bins.push(j);
  const binRows = rowsOfBinaries(data, bins);
  // what HiGHS holds: root tightening changes big-M values and column bounds in both
  const work: MilpData = {
    ...data, colLower: Float64Array.from(data.colLower), colUpper: Float64Array.from(data.colUpper),
    rowUpper: Float64Array.from(data.rowUpper), values: Float64Array.from(data.values),
  };
  const colLo = work.colLower, colHi = work.colUpper;
  const rootLo = new Float64Array(bins.length), rootHi = new Float64Array(bins.length).fill(1);
  const binLo = new Float64Array(bins.length), binHi = new Float64Array(bins.length);
  const binSel = { kind: 'set' as const, indices: Int32Array.from(bins) };

  let bestVal = Infinity;
  let bestX: Float64Array | undefined;
  // lower bounds of the parts of the tree closed without reaching the incumbent
  let closedBound = Infinity;
  let nodes = 0;
  let reason: SolveStatus | undefined;
  let message: string | undefined;
  let model: Model | undefined;

  const offer = (cols: Float64Array, integral: boolean, lpValue: number): number => {
    let v: number;
    if (opts.replay) {
      const x = clipInput(opts.replay.box, cols);
      v = replayValue(opts.replay, x);
      if (v < bestVal) { const full = Float64Array.from(cols); full.set(x); bestVal = v; bestX = full; }
    } else {
      v = integral ? lpValue : Infinity;
      if (v < bestVal) { bestVal = v; bestX = Float64Array.from(cols); }
    }
    return v;
  };
  const tol = (v: number): number => (Number.isFinite(v) ? Math.max(absGap, relGap * Math.abs(v)) : absGap);
  const pruned = (b: number): boolean => (stop.proveAbove !== undefined && b > stop.proveAbove) || b >= bestVal - tol(bestVal);
  const refuted = (): boolean => stop.refuteBelow !== undefined && bestVal < stop.refuteBelow;

  const prof = { lpMs: 0, tightenMs: 0, stabilised: 0, tightened: 0 };
  try {
    if (opts.incumbent && opts.replay) offer(opts.incumbent, false, Infinity);
    model = highs.createModel({
      numCols: data.numCols, numRows: data.numRows, colCost: data.colCost, offset: data.offset,
      colLower: data.colLower, colUpper: data.colUpper, rowLower: data.rowLower, rowUpper: data.rowUpper,
      matrix: { format: 'csr', numRows: data.numRows, numCols: data.numCols, starts: data.starts, indices: data.indices, values: data.values },
    });
    model.options.set({ output_flag: process.env.VERIBOUND_HIGHS_LOG === '1', presolve: 'off', solver: 'simplex' });
    if (process.env.VERIBOUND_HIGHS_OPTIONS) model.options.set(JSON.parse(process.env.VERIBOUND_HIGHS_OPTIONS) as Record<string, number | string | boolean>);
    const S = highs.constants.modelStatus;
    const C = highs.constants.callbackType;
    const guard = (ev: { interrupt(): void }): undefined => {
      if (opts.cancel && Atomics.load(opts.cancel, 0) !== 0) reason = 'cancelled';
      else if (performance.now() > deadline) reason = 'timeout';
      if (reason) ev.interrupt();
      return undefined;
    };
    // after the root LP (whose point may already be a counterexample), once
    const share = opts.tightenShare ?? 0.3;
    let tightened = !(share > 0 && bins.length);
    const tighten = (): void => {
      tightened = true;
      const relus = findRelus(data, bins).filter((q) => !q.first);
      if (!relus.length) return;
      const tt = performance.now();
      const cancelled = (): boolean => opts.cancel !== undefined && Atomics.load(opts.cancel, 0) !== 0;
      const t = tightenRoot(model!, work, relus, rootLo, rootHi, Math.min(deadline, performance.now() + share * opts.timeLimitS * 1000), S.optimal, cancelled);
      prof.tightenMs = performance.now() - tt;
      prof.stabilised = t.stabilised;
      prof.tightened = t.tightened;
    };
    const stack: Node[] = [{ fixes: new Int32Array(0), bound: -Infinity }];
    while (stack.length && !refuted()) {
      if (opts.cancel && Atomics.load(opts.cancel, 0) !== 0) { reason = 'cancelled'; break; }
      if (performance.now() > deadline) { reason = 'timeout'; break; }
      if (!tightened && nodes > 0) tighten();
      const node = stack.pop()!;
      if (pruned(node.bound)) { closedBound = Math.min(closedBound, node.bound); continue; }
      // the node's box: free binaries in [0, 1], fixed ones at their value
      binLo.set(rootLo); binHi.set(rootHi);
      for (const f of node.fixes) { const k = f >> 1, v = f & 1; binLo[k] = v; binHi[k] = v; }
      for (let k = 0; k < bins.length; k++) { colLo[bins[k]] = binLo[k]; colHi[bins[k]] = binHi[k]; }
      if (bins.length) model.changeColsBounds(binSel, binLo, binHi);
      model.options.set({ time_limit: Math.max((deadline - performance.now()) / 1000, 0.001) });
      model.zeroAllClocks();
      const tA = performance.now();
      model.run({ [C.simplexInterrupt]: guard });
      prof.lpMs += performance.now() - tA;
      nodes++;
      const status = model.getModelStatus();
      if (reason) { stack.push(node); break; }
      if (status === S.infeasible) continue; // no point in this node: it closes at +∞
      if (status !== S.optimal) {
        if (status === S.timeLimit) { reason = 'timeout'; stack.push(node); break; }
        message = `HiGHS LP ended with model status ${status} at a branch-and-bound node`;
        reason = 'error';
        stack.push(node);
        break;
      }
      const sol = model.getSolution();
      const bound = Math.max(node.bound, lagrangianBound(work, sol.rowDual, colLo, colHi));
      const cols = sol.colValue;
      let integral = true;
      for (const j of bins) if (Math.min(cols[j], 1 - cols[j]) > INT_TOL) { integral = false; break; }
      const value = offer(cols, integral, model.getObjectiveValue());
      if (refuted()) break;
      // closed: the node's minimum lies in [bound, value], within the gap
      if (value - bound <= tol(value) || pruned(bound)) { closedBound = Math.min(closedBound, bound); continue; }
      const br = chooseBranch(work, bins, binRows, binLo, binHi, cols, sol.rowValue);
      if (!br) { closedBound = Math.min(closedBound, bound); continue; } // a leaf: the LP is exact there
      const [first, second] = br.order;
      // depth first: the child nearer the LP point is explored next
      stack.push(child(node, br.k, second, bound), child(node, br.k, first, bound));
    }
    // for tuning: VERIBOUND_BAB_PROFILE=1 prints where the time went
    if (process.env.VERIBOUND_BAB_PROFILE) process.stderr.write(`bab: ${nodes} nodes, ${(performance.now() - t0).toFixed(0)} ms, ${JSON.stringify(prof)}\n`);
    const open = stack.reduce((m, n) => Math.min(m, n.bound), Infinity);
    let proven = Math.min(closedBound, open, bestVal);
    if (!Number.isFinite(proven) && proven !== Infinity) proven = -Infinity;
    const base = { bound: proven, timeS: elapsed(), nodes, message };
    const point = bestX ? { objective: bestVal, x: bestX } : {};
    if (refuted()) return { status: 'stopped', ...base, ...point };
    if (reason) return { status: reason, ...base, ...point };
    if (bestX && bestVal - proven <= tol(bestVal)) return { status: 'optimal', ...base, ...point };
    if (proven === Infinity) return { status: 'infeasible', ...base };
    return { status: 'stopped', ...base, ...point }; // proven above the threshold (or no replaying point)
  } catch (err) {
    const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return { status: 'error', bound: -Infinity, timeS: elapsed(), nodes, message: `HiGHS (branch-and-bound): ${msg}` };
  } finally {
    model?.dispose();
  }
}

function child(node: Node, k: number, v: number, bound: number): Node {
  const fixes = new Int32Array(node.fixes.length + 1);
  fixes.set(node.fixes);
  fixes[node.fixes.length] = k * 2 + v;
  return { fixes, bound };
}

function rowsOfBinaries(data: MilpData, bins: number[]): BinaryRows[] {
  const pos = new Map<number, number>(bins.map((j, k) => [j, k]));
  const rows: number[][] = bins.map(() => []), coef: number[][] = bins.map(() => []);
  for (let r = 0; r < data.numRows; r++) {
    for (let t = data.starts[r]; t < data.starts[r + 1]; t++) {
      const k = pos.get(data.indices[t]);
      if (k !== undefined) { rows[k].push(r); coef[k].push(data.values[t]); }
    }
  }
  return bins.map((_, k) => ({ rows: Int32Array.from(rows[k]), coef: Float64Array.from(coef[k]) }));
}

/**
 * The free binary to split on and which value to try first, or −1 at a leaf. Score: how far the
 * LP point is from satisfying the binary's inequality rows with the binary rounded either way
 * (for a ReLU this is min(x, s), the amount by which the LP point is not a ReLU); if no row is
 * violated the most fractional binary, else any free one (so every path ends at a leaf).
 */
function chooseBranch(
  data: MilpData, bins: number[], binRows: BinaryRows[], lo: Float64Array, hi: Float64Array, cols: Float64Array, act: Float64Array,
): Branch | undefined {
  let best = -1, bestScore = 0, bestFirst = 0;
  let frac = -1, fracScore = INT_TOL, fracFirst = 0;
  let anyFree = -1;
  for (let k = 0; k < bins.length; k++) {
    if (lo[k] === hi[k]) continue;
    if (anyFree < 0) anyFree = k;
    const v = cols[bins[k]];
    const { rows, coef } = binRows[k];
    let viol0 = 0, viol1 = 0;
    for (let t = 0; t < rows.length; t++) {
      const r = rows[t];
      const L = data.rowLower[r], U = data.rowUpper[r];
      if (L === U) continue; // equalities (Σ a = 1) say nothing about the rounding direction
      const a0 = act[r] - coef[t] * v, a1 = a0 + coef[t];
      viol0 += Math.max(0, L - a0, a0 - U);
      viol1 += Math.max(0, L - a1, a1 - U);
    }
    const score = Math.min(viol0, viol1);
    if (score > bestScore) { bestScore = score; best = k; bestFirst = viol0 <= viol1 ? 0 : 1; }
    const f = Math.min(v, 1 - v);
    if (f > fracScore) { fracScore = f; frac = k; fracFirst = v < 0.5 ? 0 : 1; }
  }
  if (best >= 0 && bestScore > 1e-9) return { k: best, order: [bestFirst, 1 - bestFirst] };
  if (frac >= 0) return { k: frac, order: [fracFirst, 1 - fracFirst] };
  if (anyFree >= 0) { const f = cols[bins[anyFree]] < 0.5 ? 0 : 1; return { k: anyFree, order: [f, 1 - f] }; }
  return undefined;
}
