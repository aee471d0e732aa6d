// VNN-LIB style queries: is there an input in the box whose output lies in the unsafe set, a
// disjunction of conjunctions A·y ≤ b? Each conjunction is one MILP: maximise the slack s with
// A·y + s ≤ b. A proven s < 0 rules the conjunction out; a point with s ≥ 0 that replays is a witness.
import type { Network } from '../network.js';
import { outputSize } from '../network.js';
import { UserError } from '../errors.js';
import type { Conjunction } from '../spec/property.js';
import { conjunctionViolation } from '../spec/property.js';
import type { Box } from './encode/input.js';
import type { QueryOptions } from './problem.js';
import { DEFAULT_SOLVER, solveSharing, inputOf, insideBox, localSolver, prepare, replay, startFrom, warnNoReplay } from './problem.js';
import { now, secondsLeft } from '../clock.js';

export interface FindResult {
  status: 'infeasible' | 'found' | 'timeout' | 'unknown';
  witness?: { input: Float64Array; output: Float64Array; disjunct: number };
  perDisjunct: { status: 'infeasible' | 'found' | 'timeout' | 'unknown'; bound: number; timeS: number }[];
  binaries: number;
  timeS: number;
  messages: string[];
}

export async function milpFindInSet(net: Network, box: Box, constraints: readonly Conjunction[], opts: QueryOptions): Promise<FindResult> {
  const t0 = performance.now();
  const deadline = now() + opts.timeLimitS * 1000;
  const solver = opts.pool ?? localSolver;
  const cancel = new Int32Array(new SharedArrayBuffer(4));
  const messages: string[] = [];
  // the disjuncts share one root tightening (same encoding, other rows after it)
  const tightening = opts.tightening ?? {};
  let witness: FindResult['witness'];
  let binaries = 0;

  const one = async (conj: Conjunction, k: number): Promise<FindResult['perDisjunct'][number]> => {
    const tk = performance.now();
    const p = prepare(net, box, opts.layerBounds, opts.splits);
    binaries = Math.max(binaries, p.enc.binaries);
    const out = outputSize(p.net);
    if (conj.a.length !== conj.rows * out || conj.b.length !== conj.rows) {
      throw new UserError(`unsafe set ${k}: ${conj.rows} constraints need ${conj.rows * out} coefficients for ${out} outputs, got ${conj.a.length}`);
    }
    const b = p.enc.builder;
    const rows = Array.from({ length: conj.rows }, (_, r) => b.combine(conj.a.subarray(r * out, (r + 1) * out), p.enc.outputs, -conj.b[r]));
    // s* = max over the box of min_r (b_r − a_r·y) lies in [sLo, sHi]
    let sLo = Infinity, sHi = Infinity;
    for (const e of rows) { const [l, u] = b.bounds(e); sLo = Math.min(sLo, -u); sHi = Math.min(sHi, -l); }
    if (!conj.rows) { sLo = 0; sHi = 1; } // no constraint: every output is unsafe
    if (sHi < 0) return { status: 'infeasible', bound: -sHi, timeS: 0 };
    if (witness) return { status: 'unknown', bound: -Infinity, timeS: 0 };
    const s = b.addVar(Math.min(sLo, 0), sHi, (v) => Math.min(...rows.map((e) => -b.value(e, v))));
    for (const e of rows) b.addRow({ idx: [...e.idx, s], val: [...e.val, 1], c: e.c }, -Infinity, 0);
    const cost = new Float64Array(b.numCols);
    cost[s] = -1;
    const r = await solveSharing(solver, b.data(cost, 0), {
      timeLimitS: secondsLeft(deadline), incumbent: startFrom(p, opts.incumbent), stop: { proveAbove: 0, refuteBelow: -1e-7 }, cancel,
      method: opts.solver ?? DEFAULT_SOLVER, replay: { kind: 'violation', net: p.net, box, conj },
    }, tightening);
    const timeS = (performance.now() - tk) / 1000;
    if (r.status === 'error' && r.message) messages.push(`disjunct ${k}: ${r.message}`);
    if (r.status === 'infeasible' || r.bound > 0) return { status: 'infeasible', bound: r.bound, timeS };
    if (r.x && r.objective !== undefined && r.objective <= 0) {
      const x = inputOf(p, r.x);
      const y = replay(p, x);
      const viol = conjunctionViolation(conj, y);
      if (viol <= 0 && insideBox(box, x)) {
        witness ??= { input: x, output: y, disjunct: k };
        Atomics.store(cancel, 0, 1);
        return { status: 'found', bound: r.bound, timeS };
      }
      const why = `disjunct ${k}: solver slack ${(-r.objective).toExponential(3)}, replayed violation ${viol.toExponential(3)}`;
      messages.push(why);
      if (r.objective < -1e-7) warnNoReplay('property', why);
    }
    return { status: r.status === 'timeout' ? 'timeout' : 'unknown', bound: r.bound, timeS };
  };

  let perDisjunct: FindResult['perDisjunct'];
  if (opts.pool) perDisjunct = await Promise.all(constraints.map(one));
  else {
    perDisjunct = [];
    for (let k = 0; k < constraints.length; k++) perDisjunct.push(await one(constraints[k], k));
  }
  let status: FindResult['status'];
  if (witness) status = 'found';
  else if (perDisjunct.every((d) => d.status === 'infeasible')) status = 'infeasible';
  else if (perDisjunct.some((d) => d.status === 'timeout')) status = 'timeout';
  else status = 'unknown';
  return { status, witness, perDisjunct, binaries, timeS: (performance.now() - t0) / 1000, messages };
}
