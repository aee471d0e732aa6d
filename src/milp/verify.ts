// Exact answers with the MILP: the minimum of a linear function of the output over a box, and
// verification of an input (for each class j, the minimum of y_label − y_j: verified when every
// proven bound is > 0, falsified by a point with a negative margin that replays on the network).
import type { Network } from '../network.js';
import { outputSize } from '../network.js';
import { UserError } from '../errors.js';
import type { Box } from './encode/input.js';
import type { SolveResult } from './highs.js';
import type { MilpSolver, Prepared, QueryOptions } from './problem.js';
import { checkLabel, DEFAULT_SOLVER, solveSharing, inputOf, insideBox, localSolver, objectiveModel, prepare, replay, startFrom, warnNoReplay } from './problem.js';
import { now, secondsLeft } from '../clock.js';

export type { QueryOptions } from './problem.js';

export interface MinimizeResult {
  status: 'optimal' | 'infeasible' | 'timeout' | 'unknown';
  /** Objective at the best point found (solver's value; the replayed one when the encoding is relaxed), if any. */
  value?: number;
  /** Proven lower bound on the minimum. */
  bound: number;
  /** The minimising input and the network's float64 output there (replayed). */
  input?: Float64Array;
  output?: Float64Array;
  binaries: number;
  nodes: number;
  timeS: number;
  message?: string;
}

/** The exact minimum of c·y (y the network's output, or its logit) over the box. */
export async function milpMinimizeLinear(net: Network, box: Box, c: Float64Array, opts: QueryOptions): Promise<MinimizeResult> {
  const t0 = performance.now();
  const p = prepare(net, box, opts.layerBounds);
  if (c.length !== outputSize(p.net)) throw new UserError(`objective has ${c.length} coefficients, ${p.net.name} has ${outputSize(p.net)} outputs`);
  const r = await (opts.pool ?? localSolver).solve(objectiveModel(p, c), {
    timeLimitS: opts.timeLimitS, incumbent: startFrom(p, opts.incumbent),
    method: opts.solver ?? DEFAULT_SOLVER, replay: { kind: 'linear', net: p.net, box: p.box, c },
  });
  const base = { bound: r.bound, binaries: p.enc.binaries, nodes: r.nodes, timeS: (performance.now() - t0) / 1000, message: r.message };
  if (r.status === 'infeasible') return { status: 'infeasible', ...base };
  let input: Float64Array | undefined, output: Float64Array | undefined;
  if (r.x) { input = inputOf(p, r.x); output = replay(p, input); }
  let status: MinimizeResult['status'] = r.status === 'optimal' ? 'optimal' : r.status === 'timeout' ? 'timeout' : 'unknown';
  let value = r.objective;
  if (!p.enc.exact) {
    // a relaxed model's optimum is only a bound: the value is the replayed one, and it is the
    // minimum only where it meets the proven bound
    value = output ? dot(c, output) : undefined;
    if (status === 'optimal' && !(value !== undefined && value - r.bound <= 1e-7 * (1 + Math.abs(value)))) status = 'unknown';
  }
  return { status, value, input, output, ...base };
}

function dot(c: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let k = 0; k < y.length; k++) s += c[k] * y[k];
  return s;
}

export type VerifyStatus = 'verified' | 'falsified' | 'timeout' | 'unknown';

export interface ClassResult {
  j: number;
  status: VerifyStatus;
  /** Proven lower bound on min (y_label − y_j). */
  bound?: number;
  /** Margin y_label − y_j at the best point found. */
  value?: number;
  timeS: number;
}

export interface VerifyResult {
  status: VerifyStatus;
  counterexample?: Float64Array;
  output?: Float64Array;
  perClass: ClassResult[];
  binaries: number;
  timeS: number;
  /** Why the answer is unknown (solver errors, points that did not replay). */
  messages: string[];
}

export interface VerifyOptions extends QueryOptions {
  /** Classes j to check (default every j ≠ label). */
  classes?: number[];
  /** A counterexample needs a margin below −delta; verified means every margin > −delta (default 0). */
  delta?: number;
}

/** Coefficients of the margin y_label − y_j (for one output: ±logit). */
export function marginVector(outSize: number, label: number, j: number): Float64Array {
  const c = new Float64Array(outSize);
  if (outSize === 1) c[0] = label === 1 ? 1 : -1;
  else { c[label] = 1; c[j] = -1; }
  return c;
}

// A margin needs to be this far below zero in the solver before we stop to replay it.
const REFUTE = -1e-7;

export async function milpVerify(net: Network, box: Box, label: number, opts: VerifyOptions): Promise<VerifyResult> {
  const t0 = performance.now();
  const deadline = now() + opts.timeLimitS * 1000;
  checkLabel(net, label);
  const p = prepare(net, box, opts.layerBounds);
  const out = outputSize(p.net);
  const classes = opts.classes ?? (out === 1 ? [1 - label] : [...Array(out).keys()].filter((j) => j !== label));
  const start = startFrom(p, opts.incumbent);
  const startMargins = opts.incumbent ? replay(p, inputOf(p, opts.incumbent)) : undefined;
  // most promising refutations first: smallest margin at the start point
  const order = classes.slice();
  if (startMargins && out > 1) order.sort((a, b) => (startMargins[label] - startMargins[a]) - (startMargins[label] - startMargins[b]));
  const solver: MilpSolver = opts.pool ?? localSolver;
  const messages: string[] = [];
  const cancel = new Int32Array(new SharedArrayBuffer(4));
  const delta = opts.delta ?? 0;
  let found: { x: Float64Array; y: Float64Array } | undefined;
  // the classes share one root tightening (same rows, another objective)
  const tightening = opts.tightening ?? {};

  const one = async (j: number): Promise<ClassResult> => {
    const tj = performance.now();
    const c = marginVector(out, label, j);
    const [lo] = p.enc.builder.bounds(p.enc.builder.combine(c, p.enc.outputs, 0));
    if (lo > -delta) return { j, status: 'verified', bound: lo, timeS: 0 }; // the bounds settle it
    if (found) return { j, status: 'unknown', timeS: 0 };
    const r = await solveSharing(solver, objectiveModel(p, c), {
      timeLimitS: secondsLeft(deadline), incumbent: start, stop: { proveAbove: -delta, refuteBelow: delta > 0 ? -delta : REFUTE }, cancel,
      method: opts.solver ?? DEFAULT_SOLVER, replay: { kind: 'linear', net: p.net, box: p.box, c },
    }, tightening);
    return { j, ...classify(p, r, label, j, c, delta, messages, (x, y) => { found ??= { x, y }; Atomics.store(cancel, 0, 1); }), timeS: (performance.now() - tj) / 1000 };
  };

  let perClass: ClassResult[];
  if (opts.pool) perClass = await Promise.all(order.map(one));
  else {
    perClass = [];
    for (const j of order) perClass.push(await one(j));
  }
  perClass.sort((a, b) => a.j - b.j);
  let status: VerifyStatus;
  if (found) status = 'falsified';
  else if (perClass.every((r) => r.status === 'verified')) status = 'verified';
  else if (perClass.some((r) => r.status === 'timeout')) status = 'timeout';
  else status = 'unknown';
  const f = found as { x: Float64Array; y: Float64Array } | undefined;
  return { status, counterexample: f?.x, output: f?.y, perClass, binaries: p.enc.binaries, timeS: (performance.now() - t0) / 1000, messages };
}

function classify(
  p: Prepared, r: SolveResult, label: number, j: number, c: Float64Array, delta: number, messages: string[],
  onFound: (x: Float64Array, y: Float64Array) => void,
): Omit<ClassResult, 'j' | 'timeS'> {
  const bound = r.bound;
  if (r.status === 'error' && r.message) messages.push(`class ${j}: ${r.message}`);
  if (r.status === 'infeasible' || bound > -delta) return { status: 'verified', bound };
  if (r.x && r.objective !== undefined && r.objective < -delta) {
    const x = inputOf(p, r.x);
    const y = replay(p, x);
    let m = 0;
    for (let k = 0; k < y.length; k++) m += c[k] * y[k];
    if (m < -delta && insideBox(p.box, x)) { onFound(x, y); return { status: 'falsified', bound, value: m }; }
    const why = `class ${j}: solver margin ${r.objective.toExponential(3)}, replayed ${m.toExponential(3)}`;
    messages.push(why);
    warnNoReplay('verify', why);
    return { status: 'unknown', bound, value: m };
  }
  if (r.status === 'timeout') return { status: 'timeout', bound, value: r.objective };
  return { status: 'unknown', bound, value: r.objective };
}
