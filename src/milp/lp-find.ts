// The VNN-LIB disjunct queries of findset.ts on a model without binaries — a network whose only
// nonlinearity is relaxed (hidden sigmoids) or absent — as ONE HiGHS LP: every disjunct gets its
// slack column s_k and rows a_r·y + s_k ≤ b_r, and disjunct k is solved by putting the cost −s_k
// on its slack alone (how each LP is solved: see below). A slack whose cost is zero can sit at
// its lower bound min(0, min_r −max(a_r·y − b_r)), where its rows hold for every y, so the other
// disjuncts' rows never cut the one being solved.
//
// Soundness: a disjunct is closed only by a Lagrangian bound (lp-bound.ts: valid for any row
// multipliers, so solver tolerances cannot make it too high) of max s_k < 0 over a model that
// contains every real point of the box; a witness is the LP point's input replayed on the
// float64 network, counted only when it lies in the box and in the unsafe set there.
//
// Large models (over IPM_ABOVE_NNZ entries) are solved from scratch for every disjunct by the
// interior-point method with crossover: on the ERAN sigmoid net (under load) cold solves took
// 7–16 s per disjunct (once 108 s while two runs shared the machine), while a warm-started
// simplex took 2–17 s but twice ran past 220 s without finishing (idx_4857 disjunct 4,
// idx_3334 disjunct 7; the latter ran past 100 s cold too: some disjuncts are hard either way). Small models warm-start
// the simplex from the previous disjunct's basis; a warm 'optimal' whose duals bound far below
// its objective is solved again from scratch. For experiments: VERIBOUND_LP_IPM_EVERY=0
// warm-starts large models too, VERIBOUND_LP_CROSSOVER=0 skips the crossover,
// VERIBOUND_LP_IPM_ABOVE=N moves the size threshold, VERIBOUND_LP_DEBUG=1 prints each LP's
// objective, Lagrangian bound and point violation.
import type { Model } from 'highs';
import type { Network } from '../network.js';
import { outputSize } from '../network.js';
import type { Conjunction } from '../spec/property.js';
import { conjunctionViolation } from '../spec/property.js';
import type { LayerBounds } from '../bounds/types.js';
import type { Box } from './encode/input.js';
import type { FindResult } from './findset.js';
import { loadHighs } from './highs.js';
import { lagrangianBound } from './lp-bound.js';
import { inputOf, insideBox, prepare, replay } from './problem.js';
import { now, secondsLeft } from '../clock.js';

export interface LpFindOptions {
  /** now() value by which to stop. */
  deadline: number;
  layerBounds?: readonly (LayerBounds | undefined)[];
  /** Disjuncts to solve, in this order (default all, in order). */
  order?: readonly number[];
}

/** Matrix size from which the first LP goes to the interior-point method (as in bab.ts). */
const IPM_ABOVE_NNZ = Number(process.env.VERIBOUND_LP_IPM_ABOVE) || 20_000;
const IPM_EVERY = process.env.VERIBOUND_LP_IPM_EVERY !== '0';
const CROSSOVER = process.env.VERIBOUND_LP_CROSSOVER !== '0';

type Status = FindResult['perDisjunct'][number];

/** Per disjunct (by index; undefined where not asked or not reached), and a replayed witness. */
export async function lpFindEach(net: Network, box: Box, conjs: readonly Conjunction[], opts: LpFindOptions): Promise<Omit<FindResult, 'perDisjunct'> & { perDisjunct: (Status | undefined)[] }> {
  const t0 = performance.now();
  const p = prepare(net, box, opts.layerBounds);
  if (p.enc.binaries) throw new Error('lpFindEach: the encoding has binaries (use milpFindInSet)');
  const b = p.enc.builder;
  const out = outputSize(p.net);
  const perDisjunct: (Status | undefined)[] = conjs.map(() => undefined);
  const messages: string[] = [];
  const slack: number[] = [];
  const order = opts.order ?? conjs.map((_, k) => k);
  for (const k of order) {
    const conj = conjs[k];
    const rows = Array.from({ length: conj.rows }, (_, r) => b.combine(conj.a.subarray(r * out, (r + 1) * out), p.enc.outputs, -conj.b[r]));
    let sLo = Infinity, sHi = Infinity;
    for (const e of rows) { const [l, u] = b.bounds(e); sLo = Math.min(sLo, -u); sHi = Math.min(sHi, -l); }
    if (!conj.rows) { sLo = 0; sHi = 1; }
    if (sHi < 0) { perDisjunct[k] = { status: 'infeasible', bound: -sHi, timeS: 0 }; continue; }
    const s = b.addVar(Math.min(sLo, 0), sHi, (v) => Math.min(...rows.map((e) => -b.value(e, v))));
    for (const e of rows) b.addRow({ idx: [...e.idx, s], val: [...e.val, 1], c: e.c }, -Infinity, 0);
    slack[k] = s;
  }
  let witness: FindResult['witness'];
  const todo = order.filter((k) => slack[k] !== undefined);
  if (!todo.length) return { status: summary(perDisjunct, order, witness), perDisjunct, binaries: 0, timeS: (performance.now() - t0) / 1000, messages };

  const data = b.data();
  const highs = await loadHighs();
  let model: Model | undefined;
  try {
    model = highs.createModel({
      numCols: data.numCols, numRows: data.numRows, colCost: data.colCost, offset: 0,
      colLower: data.colLower, colUpper: data.colUpper, rowLower: data.rowLower, rowUpper: data.rowUpper,
      matrix: { format: 'csr', numRows: data.numRows, numCols: data.numCols, starts: data.starts, indices: data.indices, values: data.values },
    });
    model.options.set({ output_flag: process.env.VERIBOUND_HIGHS_LOG === '1', presolve: 'off', solver: 'simplex' });
    const S = highs.constants.modelStatus;
    const C = highs.constants.callbackType;
    let late = false;
    const guard = (ev: { interrupt(): void }): undefined => {
      if (now() > opts.deadline) { late = true; ev.interrupt(); }
      return undefined;
    };
    const all = { kind: 'range' as const, from: 0, to: data.numCols - 1 };
    let first = true;
    for (const k of todo) {
      const tk = performance.now();
      if (witness) break;
      if (performance.now() > opts.deadline) { perDisjunct[k] = { status: 'timeout', bound: -Infinity, timeS: 0 }; continue; }
      const cost = new Float64Array(data.numCols);
      cost[slack[k]] = -1;
      model.changeColsCost(all, cost);
      // one solve: warm (the previous basis) unless `cold`; large cold ones by the interior-point method
      const solve = (cold: boolean): { status: number; ipm: boolean } => {
        model!.options.set({ time_limit: secondsLeft(opts.deadline) });
        model!.zeroAllClocks();
        if (cold) model!.setLogicalBasis();
        const ipm = (cold || IPM_EVERY) && data.values.length > IPM_ABOVE_NNZ;
        if (ipm) model!.options.set({ solver: 'ipm', run_crossover: CROSSOVER ? 'on' : 'off' });
        let failed = false;
        try { model!.run({ [C.simplexInterrupt]: guard, [C.ipmInterrupt]: guard }); } catch { failed = true; }
        if (ipm) model!.options.set({ solver: 'simplex' });
        let st = model!.getModelStatus();
        // a warm start that fails or ends at 'unknown' (numerical trouble) gets one cold retry
        if ((failed || st === S.unknown) && !late) {
          model!.setLogicalBasis();
          model!.run({ [C.simplexInterrupt]: guard });
          st = model!.getModelStatus();
        }
        return { status: st, ipm };
      };
      let { status, ipm } = solve(first);
      // a warm 'optimal' whose duals bound far below its objective gets one cold solve
      if (status === S.optimal && !ipm && !late) {
        const obj = model.getObjectiveValue();
        const lb = lagrangianBound({ ...data, colCost: cost, offset: 0 }, model.getSolution().rowDual, data.colLower, data.colUpper);
        if (lb <= 0 && obj - lb > 1e-6 * (1 + Math.abs(obj))) ({ status, ipm } = solve(true));
      }
      first = false;
      const timeS = (performance.now() - tk) / 1000;
      if (late || status === S.timeLimit || status === S.interrupted) { perDisjunct[k] = { status: 'timeout', bound: -Infinity, timeS }; continue; }
      if (status === S.infeasible) {
        // HiGHS's word is not enough: its dual ray must certify it (a Farkas bound of min 0 above 0)
        const ray = model.getDualRay();
        const cert = ray ? lagrangianBound({ ...data, colCost: new Float64Array(data.numCols), offset: 0 }, ray.values, data.colLower, data.colUpper) : -Infinity;
        if (process.env.VERIBOUND_LP_DEBUG) process.stderr.write(`lp-find: disjunct ${k} infeasible per HiGHS, ray ${ray ? ray.values.length : "none"}, certificate ${cert}\n`);
        perDisjunct[k] = cert > 0 ? { status: 'infeasible', bound: Infinity, timeS } : { status: 'unknown', bound: -Infinity, timeS };
        if (!(cert > 0)) messages.push(`disjunct ${k}: HiGHS called the LP infeasible without a certificate`);
        continue;
      }
      if (status !== S.optimal) {
        messages.push(`disjunct ${k}: HiGHS LP ended with model status ${status}`);
        perDisjunct[k] = { status: 'unknown', bound: -Infinity, timeS };
        continue;
      }
      const sol = model.getSolution();
      // a lower bound on min −s_k: above 0 means no point of the box reaches the disjunct
      const bound = lagrangianBound({ ...data, colCost: cost, offset: 0 }, sol.rowDual, data.colLower, data.colUpper);
      if (process.env.VERIBOUND_LP_DEBUG) process.stderr.write(`lp-find: disjunct ${k}: objective ${model.getObjectiveValue()}, Lagrangian bound ${bound}, point's violation ${b.violation(sol.colValue)}\n`);
      if (bound > 0) { perDisjunct[k] = { status: 'infeasible', bound, timeS }; continue; }
      const x = inputOf(p, sol.colValue);
      const y = replay(p, x);
      const viol = conjunctionViolation(conjs[k], y);
      if (viol <= 0 && insideBox(box, x)) {
        witness = { input: x, output: y, disjunct: k };
        perDisjunct[k] = { status: 'found', bound, timeS };
      } else {
        // the relaxation's optimum is not a real point (or not by enough): nothing is decided
        perDisjunct[k] = { status: 'unknown', bound, timeS };
      }
    }
  } catch (err) {
    messages.push(`HiGHS (LP): ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  } finally {
    model?.dispose();
  }
  return { status: summary(perDisjunct, order, witness), witness, perDisjunct, binaries: 0, timeS: (performance.now() - t0) / 1000, messages };
}

function summary(per: readonly (Status | undefined)[], order: readonly number[], witness: FindResult['witness']): FindResult['status'] {
  if (witness) return 'found';
  if (order.every((k) => per[k]?.status === 'infeasible')) return 'infeasible';
  if (order.some((k) => per[k]?.status === 'timeout')) return 'timeout';
  return 'unknown';
}
