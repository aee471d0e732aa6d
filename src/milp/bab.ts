// Exact branch-and-bound over the MILP's binaries (ReLU phases, max-pool selectors) that solves
// only LPs. HiGHS's own MIP stalls at the root on these big-M encodings (hundreds of cuts), while
// one LP takes milliseconds; so we keep ONE persistent HiGHS model with integrality dropped and
// move between nodes by changing the binaries' column bounds, which lets the dual simplex start
// from the previous basis.
//
// Soundness: a node's lower bound is not HiGHS's objective but a Lagrangian bound recomputed
// here from its row duals over the node's column box (valid for any multipliers, so LP
// tolerances cannot make it too high), and a node closes as infeasible only on a Farkas
// certificate recomputed the same way from HiGHS's dual ray. Candidates are the LP point's input, replayed on the
// float64 network (ReplaySpec); only replayed values become incumbents. Without a ReplaySpec an
// LP point counts only when every binary is integral.
import type { Highs, Model } from 'highs';
import type { MilpData } from './builder.js';
import type { SolveOptions, SolveResult, SolveStatus } from './highs.js';
import { clipInput, replayValue } from './replay-spec.js';
import { lagrangianBound } from './lp-bound.js';
import { findRelus, tightenedDiff, tightenRoot } from './tighten.js';
import { Brancher, rowsOfBinaries } from './branching.js';
import { now, secondsLeft } from '../clock.js';

interface Node {
  /** Fixed binaries: (position in `bins`) · 2 + value. */
  fixes: Int32Array;
  /** Lower bound inherited from the parent (used to prune before solving). */
  bound: number;
  /** The parent's LP objective (the gain of this child feeds the pseudocosts). */
  parentObj?: number;
}

const INT_TOL = 1e-6;
/** Matrix size from which the root LP goes to the interior-point method (measured on mnist_fc 256x4: 1.6 s vs 8.9 s). */
const IPM_ABOVE_NNZ = 20_000;

export function babWith(highs: Highs, data: MilpData, opts: SolveOptions): SolveResult {
  const t0 = performance.now();
  const deadline = now() + opts.timeLimitS * 1000;
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

  const prof = { lpMs: 0, tightenMs: 0, stabilised: 0, tightened: 0, infeasible: 0, uncertified: 0 };
  // nodes HiGHS called infeasible without a certificate: open for good (their bounds stay in the result)
  const stuck: Node[] = [];
  const brancher = new Brancher(bins.length);
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
      else if (now() > deadline) reason = 'timeout';
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
      const t = tightenRoot(model!, work, relus, rootLo, rootHi, Math.min(deadline, now() + share * opts.timeLimitS * 1000), S.optimal, cancelled);
      prof.tightenMs = performance.now() - tt;
      prof.stabilised = t.stabilised;
      prof.tightened = t.tightened;
    };
    const stack: Node[] = [{ fixes: new Int32Array(0), bound: -Infinity }];
    while (stack.length && !refuted()) {
      if (opts.cancel && Atomics.load(opts.cancel, 0) !== 0) { reason = 'cancelled'; break; }
      if (now() > deadline) { reason = 'timeout'; break; }
      if (!tightened && nodes > 0) tighten();
      const node = opts.bestFirst ? popLowest(stack) : stack.pop()!;
      if (pruned(node.bound)) { closedBound = Math.min(closedBound, node.bound); continue; }
      // the node's box: free binaries in [0, 1], fixed ones at their value
      binLo.set(rootLo); binHi.set(rootHi);
      for (const f of node.fixes) { const k = f >> 1, v = f & 1; binLo[k] = v; binHi[k] = v; }
      for (let k = 0; k < bins.length; k++) { colLo[bins[k]] = binLo[k]; colHi[bins[k]] = binHi[k]; }
      if (bins.length) model.changeColsBounds(binSel, binLo, binHi);
      model.options.set({ time_limit: secondsLeft(deadline) });
      model.zeroAllClocks();
      const tA = performance.now();
      // the root LP from scratch: the interior-point method (with crossover, so the children
      // still warm-start from a basis) is 3–6× faster than the simplex on large encodings
      const ipm = nodes === 0 && data.values.length > (opts.rootIpmAbove ?? IPM_ABOVE_NNZ);
      if (ipm) model.options.set({ solver: 'ipm', run_crossover: 'on' });
      let failed = false;
      try { model.run({ [C.simplexInterrupt]: guard, [C.ipmInterrupt]: guard }); } catch { failed = true; }
      if (ipm) model.options.set({ solver: 'simplex' });
      let status = model.getModelStatus();
      // a warm start that fails or ends at 'unknown' (numerical trouble) gets one cold retry
      if ((failed || status === S.unknown) && !reason) {
        model.setLogicalBasis();
        model.run({ [C.simplexInterrupt]: guard });
        status = model.getModelStatus();
      }
      prof.lpMs += performance.now() - tA;
      nodes++;
      if (reason) { stack.push(node); break; }
      if (status === S.infeasible) {
        // no point in this node: it closes at +∞, but only on a Farkas certificate from HiGHS's
        // dual ray (thin relaxations can make the solver call a feasible LP infeasible)
        if (infeasibleCertified(model, work, colLo, colHi)) { prof.infeasible++; continue; }
        // not closed: it keeps its inherited bound in the final one, and the search goes on
        prof.uncertified++;
        message = 'HiGHS called a branch-and-bound LP infeasible without a certificate; its node stays open';
        stuck.push(node);
        continue;
      }
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
      const objective = model.getObjectiveValue();
      if (node.parentObj !== undefined && node.fixes.length) {
        const last = node.fixes[node.fixes.length - 1];
        brancher.record(last >> 1, last & 1, objective - node.parentObj);
      }
      const br = brancher.choose({ model, highs, bins, binRows, binLo, binHi, cols, act: sol.rowValue, objective, data: work, guard, deadline });
      if (!br) { closedBound = Math.min(closedBound, bound); continue; } // a leaf: its bound closes it (the LP is exact there unless the encoding relaxes something)
      const [first, second] = br.order;
      // depth first: the child chosen to go first is explored next
      stack.push(child(node, br.k, second, bound, objective), child(node, br.k, first, bound, objective));
    }
    // for tuning: VERIBOUND_BAB_PROFILE=1 prints where the time went
    if (process.env.VERIBOUND_BAB_PROFILE) process.stderr.write(`bab: ${nodes} nodes, ${(performance.now() - t0).toFixed(0)} ms, ${JSON.stringify({ ...prof, strongLps: brancher.strongLps })}\n`);
    const open = [...stack, ...stuck].reduce((m, n) => Math.min(m, n.bound), Infinity);
    let proven = Math.min(closedBound, open, bestVal);
    if (!Number.isFinite(proven) && proven !== Infinity) proven = -Infinity;
    const tight = prof.tightened + prof.stabilised > 0 ? tightenedDiff(data, work, bins, rootLo, rootHi) : undefined;
    const base = { bound: proven, timeS: elapsed(), nodes, message, tightened: tight };
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

/** A dual ray y with min over the node's box of the zero-cost Lagrangian above 0: no feasible point. */
function infeasibleCertified(model: Model, data: MilpData, colLo: Float64Array, colHi: Float64Array): boolean {
  let ray: ReturnType<Model['getDualRay']>;
  try { ray = model.getDualRay(); } catch { return false; }
  if (!ray) return false;
  return lagrangianBound({ ...data, colCost: new Float64Array(data.numCols), offset: 0 }, ray.values, colLo, colHi) > 0;
}

/** Removes and returns the node of lowest inherited bound (ties: the latest pushed). */
function popLowest(stack: Node[]): Node {
  let q = stack.length - 1;
  for (let t = stack.length - 2; t >= 0; t--) if (stack[t].bound < stack[q].bound) q = t;
  const node = stack[q];
  stack[q] = stack[stack.length - 1];
  stack.pop();
  return node;
}

function child(node: Node, k: number, v: number, bound: number, parentObj: number): Node {
  const fixes = new Int32Array(node.fixes.length + 1);
  fixes.set(node.fixes);
  fixes[node.fixes.length] = k * 2 + v;
  return { fixes, bound, parentObj };
}
