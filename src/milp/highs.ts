// Solving one MILP with HiGHS (WebAssembly) through its persistent API, from sparse arrays.
// HiGHS's time_limit is set, and a wall-clock guard of our own (plus a shared cancel flag)
// is checked in its interrupt callbacks, because the limit is not always honoured. Every
// model is disposed in `finally`: HiGHS models are not garbage-collected.
import highsLoader from 'highs';
import type { Highs, Model } from 'highs';
import type { MilpData } from './builder.js';
import type { ReplaySpec } from './replay-spec.js';
import type { TightenedBounds } from './tighten.js';
import { babWith } from './bab.js';
import { lagrangianBound } from './lp-bound.js';
import { now } from '../clock.js';

export interface StopRule {
  /** Stop as soon as the proven lower bound exceeds this (the minimum is known to be above it). */
  proveAbove?: number;
  /** Stop as soon as a feasible point has an objective below this. */
  refuteBelow?: number;
}

export interface SolveOptions {
  timeLimitS: number;
  stop?: StopRule;
  /** A full column assignment to start from (HiGHS checks its feasibility). */
  incumbent?: Float64Array;
  /** Relative/absolute MIP gap at which HiGHS calls a solution optimal (defaults 1e-9/1e-9). */
  relGap?: number;
  absGap?: number;
  /** Shared flag: solving stops once element 0 is non-zero. */
  cancel?: Int32Array;
  /** 'bab': our branch-and-bound over the binaries solving LPs only (bab.ts); 'mip' (default here): HiGHS's MIP. */
  method?: 'bab' | 'mip';
  /** The objective on the real network; bab replays every candidate with it before counting it. */
  replay?: ReplaySpec;
  /** bab: share of the time limit for LP tightening of the ReLU bounds at the root (default 0.3; 0 = none). */
  tightenShare?: number;
  /** bab: explore the open node of lowest bound first (the proven bound then rises steadily: for
   *  bounding an objective in a time limit) instead of depth first (which finds points early). */
  bestFirst?: boolean;
  /** bab: matrix entries from which the root LP is solved by the interior-point method (default 20,000). */
  rootIpmAbove?: number;
}

export type SolveStatus = 'optimal' | 'infeasible' | 'stopped' | 'timeout' | 'cancelled' | 'error';

export interface SolveResult {
  status: SolveStatus;
  /** Objective of the best feasible point found (with the offset), if any. */
  objective?: number;
  /** Proven lower bound on the minimum (+Infinity when infeasible, −Infinity when nothing is known). */
  bound: number;
  /** Column values of the best feasible point. */
  x?: Float64Array;
  timeS: number;
  nodes: number;
  message?: string;
  /** bab: the model's bounds after root tightening, valid for any objective over the same rows (reuse with tightenShare 0). */
  tightened?: TightenedBounds;
}


// The package's types describe a CommonJS default export; under NodeNext the ESM build's
// default export (the loader function) is what we get at run time.
const highsLoaderFn = highsLoader as unknown as () => Promise<Highs>;
let runtime: Promise<Highs> | undefined;

/** The HiGHS runtime of this thread (loaded once). */
export function loadHighs(): Promise<Highs> {
  runtime ??= highsLoaderFn();
  return runtime;
}

/** Loads HiGHS and solves (minimises) one model. */
export async function solveMilp(data: MilpData, opts: SolveOptions): Promise<SolveResult> {
  return solveWith(await loadHighs(), data, opts);
}

/** Solves one model synchronously with a loaded runtime. */
export function solveWith(highs: Highs, data: MilpData, opts: SolveOptions): SolveResult {
  if (opts.method === 'bab') {
    const r = babWith(highs, data, opts);
    if (r.status === 'error' && /RuntimeError|memory/i.test(r.message ?? '')) runtime = undefined;
    return r;
  }
  const t0 = performance.now();
  const deadline = now() + opts.timeLimitS * 1000;
  const elapsed = (): number => (performance.now() - t0) / 1000;
  const stop = opts.stop ?? {};
  let reason: SolveStatus | undefined;
  let cbPrimal = Infinity, cbDual = -Infinity;
  let nodes = 0;
  let model: Model | undefined;
  try {
    model = highs.createModel({
      numCols: data.numCols,
      numRows: data.numRows,
      colCost: data.colCost,
      offset: data.offset,
      colLower: data.colLower,
      colUpper: data.colUpper,
      rowLower: data.rowLower,
      rowUpper: data.rowUpper,
      integrality: data.integrality,
      matrix: { format: 'csr', numRows: data.numRows, numCols: data.numCols, starts: data.starts, indices: data.indices, values: data.values },
    });
    model.options.set({
      output_flag: process.env.VERIBOUND_HIGHS_LOG === '1', // HiGHS's own log, for diagnosis
      time_limit: Math.max(opts.timeLimitS, 0.001),
      mip_rel_gap: opts.relGap ?? 1e-9,
      mip_abs_gap: opts.absGap ?? 1e-9,
    });
    // extra HiGHS options for experiments, e.g. VERIBOUND_HIGHS_OPTIONS='{"mip_heuristic_effort":0}'
    if (process.env.VERIBOUND_HIGHS_OPTIONS) model.options.set(JSON.parse(process.env.VERIBOUND_HIGHS_OPTIONS) as Record<string, number | string | boolean>);
    if (opts.incumbent) model.setSolution({ colValue: opts.incumbent });
    model.zeroAllClocks(); // time_limit accumulates over runs otherwise
    const guard = (ev: { interrupt(): void }): undefined => {
      if (opts.cancel && Atomics.load(opts.cancel, 0) !== 0) reason = 'cancelled';
      else if (now() > deadline) reason = 'timeout';
      if (reason) ev.interrupt();
      return undefined;
    };
    const C = highs.constants.callbackType;
    const log = process.env.VERIBOUND_HIGHS_LOG === '1' ? { [C.logging]: (ev: { message: string }) => { process.stderr.write(ev.message); return undefined; } } : {};
    model.run({
      ...log,
      [C.simplexInterrupt]: guard,
      [C.mipInterrupt]: (ev) => {
        const d = ev.data;
        if (typeof d.mip_primal_bound === 'number') cbPrimal = Math.min(cbPrimal, d.mip_primal_bound);
        if (typeof d.mip_dual_bound === 'number') cbDual = Math.max(cbDual, d.mip_dual_bound);
        if (d.mip_node_count !== undefined) nodes = Number(d.mip_node_count);
        if (stop.proveAbove !== undefined && cbDual > stop.proveAbove) reason = 'stopped';
        else if (stop.refuteBelow !== undefined && cbPrimal < stop.refuteBelow) reason = 'stopped';
        if (reason) { ev.interrupt(); return undefined; }
        return guard(ev);
      },
    });
    return readResult(highs, model, data, reason, elapsed(), nodes, cbDual);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // a Wasm trap (e.g. out of memory) can leave the runtime unusable: load a fresh one next time
    if ((err as Error)?.name === 'RuntimeError' || /memory/i.test(message)) runtime = undefined;
    return { status: 'error', bound: -Infinity, timeS: elapsed(), nodes, message: `HiGHS: ${message}` };
  } finally {
    model?.dispose();
  }
}

function lpInfeasibleCertified(model: Model, data: MilpData): boolean {
  let ray: ReturnType<Model['getDualRay']>;
  try { ray = model.getDualRay(); } catch { return false; }
  return ray !== undefined && lagrangianBound({ ...data, colCost: new Float64Array(data.numCols), offset: 0 }, ray.values, data.colLower, data.colUpper) > 0;
}

function readResult(highs: Highs, model: Model, data: MilpData, reason: SolveStatus | undefined, timeS: number, nodes: number, cbDual: number): SolveResult {
  const S = highs.constants.modelStatus;
  const status = model.getModelStatus();
  const isMip = data.integrality.some((v) => v !== 0);
  if (status === S.infeasible) {
    // an LP (no integer columns) is infeasible only on a Farkas certificate from HiGHS's dual ray:
    // thin relaxations can make it call a feasible LP infeasible
    if (isMip || lpInfeasibleCertified(model, data)) return { status: 'infeasible', bound: Infinity, timeS, nodes };
    return { status: 'error', bound: -Infinity, timeS, nodes, message: 'HiGHS called the LP infeasible without a certificate' };
  }
  const info = (name: string): number => { try { return Number(model.info.get(name)); } catch { return NaN; } };
  const hasPoint = info('primal_solution_status') === 2;
  const x = hasPoint ? model.getSolution().colValue : undefined;
  const objective = hasPoint ? model.getObjectiveValue() : undefined;
  if (isMip) nodes = Math.max(nodes, info('mip_node_count') || 0);
  let bound = isMip ? info('mip_dual_bound') : -Infinity;
  if (!Number.isFinite(bound) && bound !== Infinity) bound = -Infinity;
  bound = Math.max(bound, cbDual);
  if (status === S.optimal) {
    if (!isMip && objective !== undefined) bound = objective; // an LP optimum is its own bound
    return { status: 'optimal', objective, bound, x, timeS, nodes };
  }
  let out: SolveStatus;
  if (status === S.interrupted) out = reason ?? 'stopped';
  else if (status === S.timeLimit) out = 'timeout';
  else if (status === S.unboundedOrInfeasible || status === S.unbounded) {
    return { status: 'error', bound: -Infinity, timeS, nodes, message: 'HiGHS: the model is unbounded (an input or bound is missing)' };
  } else if (status === S.iterationLimit || status === S.solutionLimit || status === S.objectiveBound || status === S.objectiveTarget) out = 'stopped';
  else return { status: 'error', objective, bound, x, timeS, nodes, message: `HiGHS ended with model status ${status}` };
  return { status: out, objective, bound, x, timeS, nodes };
}
