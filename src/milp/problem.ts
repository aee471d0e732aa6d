// What every MILP query shares: take the network to its logit, encode it over the box, solve
// an objective (in this thread or on a worker pool), and replay points on the float64 forward pass.
import { UserError, warnOnce } from '../errors.js';
import type { Network } from '../network.js';
import { inputSize, logitNetwork, outputSize } from '../network.js';
import type { LayerBounds } from '../bounds/types.js';
import type { Split } from '../bounds/optimise/domains.js';
import { forward } from '../forward.js';
import type { Box } from './encode/input.js';
import type { EncodedNetwork } from './encode/network.js';
import { encodeNetwork } from './encode/network.js';
import type { MilpData } from './builder.js';
import type { SolveOptions, SolveResult } from './highs.js';
import { solveMilp } from './highs.js';
import type { TightenedBounds } from './tighten.js';
import { applyTightened } from './tighten.js';

/** Anything that solves a model: this thread's HiGHS or a MilpPool. */
export interface MilpSolver {
  solve(data: MilpData, opts: SolveOptions): Promise<SolveResult>;
}

export const localSolver: MilpSolver = { solve: solveMilp };

export interface QueryOptions {
  /** Wall-clock limit of the whole query, in seconds. */
  timeLimitS: number;
  /** Tightest known bounds on each layer's output for this box (e.g. CROWN), by layer index. */
  layerBounds?: readonly (LayerBounds | undefined)[];
  /** A point of the box to start HiGHS from (an attack's best point). */
  incumbent?: Float64Array;
  /** Solve on a worker pool instead of this thread. */
  pool?: MilpSolver;
  /** 'bab': branch-and-bound over the binaries with LPs only (bab.ts); 'mip': HiGHS's MIP. Default DEFAULT_SOLVER. */
  solver?: 'bab' | 'mip';
  /** Shared by queries over the same box and layer bounds: the first root tightening made serves the rest. */
  tightening?: TighteningHolder;
  /** ReLU splits: the query is over that branch-and-bound domain of the box only. */
  splits?: readonly Split[];
}

export interface TighteningHolder { bounds?: TightenedBounds }

/**
 * Solves `data`, taking over the holder's tightening when it was computed on this same
 * encoding (applyTightened checks), and keeping the first tightening a solve returns.
 */
export async function solveSharing(solver: MilpSolver, data: MilpData, opts: SolveOptions, share?: TighteningHolder): Promise<SolveResult> {
  const t = share?.bounds ? applyTightened(data, share.bounds) : undefined;
  // a tightening that others will reuse is worth a larger share of this solve's time
  const r = await solver.solve(t ?? data, t ? { ...opts, tightenShare: 0 } : share ? { ...opts, tightenShare: opts.tightenShare ?? 0.5 } : opts);
  if (share && !share.bounds && r.tightened) share.bounds = r.tightened;
  return r;
}

/** Measured faster on the mnist_fc 256x2 queries (bench/milp-solvers.ts); VERIBOUND_MILP_SOLVER=mip overrides it for comparisons. */
export const DEFAULT_SOLVER: 'bab' | 'mip' = process.env.VERIBOUND_MILP_SOLVER === 'mip' ? 'mip' : 'bab';

export interface Prepared {
  net: Network;
  enc: EncodedNetwork;
  box: Box;
}

/** The logit network, checked and encoded over the box. */
export function prepare(net0: Network, box: Box, layerBounds?: QueryOptions['layerBounds'], splits?: QueryOptions['splits']): Prepared {
  const net = logitNetwork(net0);
  const n = inputSize(net);
  if (box.lower.length !== n || box.upper.length !== n) {
    throw new UserError(`${net.name}: the input box has ${box.lower.length} values, the network takes ${n}`);
  }
  return { net, enc: encodeNetwork(net, box, { layerBounds, splits }), box };
}

/** The model minimising Σ c_k·y_k over the encoding. */
export function objectiveModel(p: Prepared, c: ArrayLike<number>): MilpData {
  const { cost, offset } = p.enc.builder.objective(c, p.enc.outputs);
  return p.enc.builder.data(cost, offset);
}

/** A column assignment for a point of the box (clipped into it), to hand to HiGHS. */
export function startFrom(p: Prepared, x: Float64Array | undefined): Float64Array | undefined {
  if (!x || x.length !== p.enc.inputs) return undefined;
  const clipped = x.map((v, i) => Math.min(Math.max(v, p.box.lower[i]), p.box.upper[i]));
  return p.enc.builder.assignment(clipped);
}

/** The input part of a solution, clipped into the box (solver tolerances can leave it 1e-9 outside). */
export function inputOf(p: Prepared, cols: Float64Array): Float64Array {
  const x = new Float64Array(p.enc.inputs);
  for (let i = 0; i < x.length; i++) x[i] = Math.min(Math.max(cols[i], p.box.lower[i]), p.box.upper[i]);
  return x;
}

/** The float64 network output at x. */
export function replay(p: Prepared, x: Float64Array): Float64Array {
  return forward(p.net, x, 1);
}

export function insideBox(box: Box, x: ArrayLike<number>, tol = 0): boolean {
  for (let i = 0; i < box.lower.length; i++) if (!(x[i] >= box.lower[i] - tol && x[i] <= box.upper[i] + tol)) return false;
  return true;
}

/** Warns that a solver point did not replay (it is then never reported as a counterexample). */
export function warnNoReplay(what: string, detail: string): void {
  warnOnce(`MILP ${what}: the solver's point does not replay on the float64 network (${detail}); answering unknown`);
}

export function checkLabel(net: Network, label: number): void {
  const out = outputSize(logitNetwork(net));
  const classes = out === 1 ? 2 : out;
  if (!Number.isInteger(label) || label < 0 || label >= classes) throw new UserError(`label ${label} is out of range for ${net.name} (${classes} classes)`);
}

