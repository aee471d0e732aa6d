// A sweep split by inputs: a block (a queue job, or a shard) runs the local sweep's own per-input
// work — runSweep for each method, then with --milp completeSweep with one cache across methods —
// on its inputs only, and `assemble` puts the blocks back into the RunInfo[] a single run builds
// its report from.
//
// Why the pieces equal one run: the sweep's verdict for an input depends only on that input (each
// box is bounded on its own; a batch only groups boxes), and completeSweep works input by input.
// With the 'bisect' and 'all' schedules the probes of an input are the same in any split, so the
// verified pairs, the pairs bounded per epsilon and the rounds are identical; 'adaptive' plans its
// probes from a pilot of the block's own inputs, which changes only which epsilons are probed:
// the verified pairs are the same whenever the method is monotone in epsilon (which the 'all'
// schedule counts). Engine calls and times depend on the split (and the machine) by nature.
import type { Network } from '../network.js';
import type { BoundEngine, BoundMethod } from '../bounds/types.js';
import type { Schedule, SweepRun } from '../sweep/scheduler.js';
import { runSweep } from '../sweep/scheduler.js';
import type { RunInfo } from '../sweep/report.js';
import type { Completion, Source } from '../sweep/milp.js';
import { completeSweep, FALSIFIED, newCompletionCache } from '../sweep/milp.js';
import type { MilpSolver } from '../milp/index.js';

export interface SweepSettings {
  methods: BoundMethod[];
  eps: number[];
  schedule: Schedule;
  batch: number;
  /** --milp: the per-pair limit; absent without --milp. */
  milpTimeoutS?: number;
}

export interface CompletionPart {
  /** Per block input: E digits of status (0 undecided, 1 verified, 2 falsified) and of source index. */
  status: string[];
  source: string[];
  sources: readonly Source[];
  undecidedBefore: number[];
  undecidedAfter: number[];
  milpCalls: number[];
  milpSeconds: number[];
  milpTimeouts: number;
  attacks: number;
  attackSeconds: number;
  cached: number;
  conflicts: number;
  seconds: number;
}

export interface MethodPart {
  method: BoundMethod;
  /** Per block input: E characters '0'/'1', the verified pairs. */
  verified: string[];
  boxesPerEps: number[];
  secondsPerEps: number[];
  pairsBounded: number;
  engineCalls: number;
  rounds: number;
  seconds: number;
  pilotInputs?: number;
  expectedProbes?: number;
  nonMonotone?: number;
  completion?: CompletionPart;
}

/** What one block sends back (JSON-safe). */
export interface BlockResult {
  backend: string;
  engine: string;
  milpWorkers?: number;
  methods: MethodPart[];
}

const digits = (a: Uint8Array, i: number, E: number) => Array.from(a.subarray(i * E, (i + 1) * E)).join('');

/** The sweep's per-input work on a block: `inputs` are count × inputSize(net), every one correctly classified. */
export async function computeBlock(net: Network, inputs: Float64Array, labels: Int32Array, settings: SweepSettings,
  engine: BoundEngine, pool?: MilpSolver & { size: number }): Promise<BlockResult> {
  const count = labels.length, E = settings.eps.length;
  const candidates = Array.from({ length: count }, (_, i) => i);
  const problem = { net, inputs, labels, count, eps: settings.eps, candidates };
  const cache = newCompletionCache();
  const methods: MethodPart[] = [];
  for (const method of settings.methods) {
    const start = performance.now();
    const run = await runSweep(engine, problem, { method, schedule: settings.schedule, batch: settings.batch });
    const seconds = (performance.now() - start) / 1000;
    let completion: CompletionPart | undefined;
    if (settings.milpTimeoutS !== undefined && pool) {
      const c = await completeSweep(problem, run.verified, { timeLimitS: settings.milpTimeoutS, pool, cache });
      completion = {
        status: candidates.map((i) => digits(c.status, i, E)), source: candidates.map((i) => digits(c.source, i, E)), sources: c.sources,
        undecidedBefore: Array.from(c.undecidedBefore), undecidedAfter: Array.from(c.undecidedAfter),
        milpCalls: Array.from(c.milpCalls), milpSeconds: Array.from(c.milpSeconds), milpTimeouts: c.milpTimeouts,
        attacks: c.attacks, attackSeconds: c.attackSeconds, cached: c.cached, conflicts: c.conflicts, seconds: c.seconds,
      };
    }
    methods.push({
      method, verified: candidates.map((i) => digits(run.verified, i, E)),
      boxesPerEps: Array.from(run.boxesPerEps), secondsPerEps: Array.from(run.secondsPerEps),
      pairsBounded: run.pairsBounded, engineCalls: run.engineCalls, rounds: run.rounds, seconds,
      ...(run.pilotInputs !== undefined ? { pilotInputs: run.pilotInputs, expectedProbes: run.expectedProbes } : {}),
      ...(run.nonMonotone !== undefined ? { nonMonotone: run.nonMonotone } : {}),
      ...(completion ? { completion } : {}),
    });
  }
  return { backend: engine.backend, engine: engine.describe(), ...(pool ? { milpWorkers: pool.size } : {}), methods };
}

/** A block's result with the positions (in the whole sweep's input list) of its inputs. */
export interface PlacedBlock {
  positions: number[];
  result: BlockResult;
}

function digitsInto(target: Uint8Array, row: string, at: number, E: number, what: string): void {
  if (row.length !== E || !/^[0-9]*$/.test(row)) throw new Error(`${what}: a row of ${row.length} digits for ${E} epsilons`);
  for (let k = 0; k < E; k++) target[at * E + k] = row.charCodeAt(k) - 48;
}

/**
 * The RunInfo[] of the whole sweep from its blocks. `count` inputs in all; every correctly
 * classified one must be in exactly one block (checked), the others are never bounded.
 */
export function assemble(count: number, candidates: number[], settings: SweepSettings, blocks: PlacedBlock[]): RunInfo[] {
  const E = settings.eps.length;
  const owner = new Int32Array(count).fill(-1);
  blocks.forEach((b, bi) => {
    for (const i of b.positions) {
      if (owner[i] >= 0) throw new Error(`input ${i} is in two blocks`);
      owner[i] = bi;
    }
  });
  for (const i of candidates) if (owner[i] < 0) throw new Error(`input ${i} is in no block`);
  const isCandidate = new Uint8Array(count);
  for (const i of candidates) isCandidate[i] = 1;
  return settings.methods.map((method, m) => {
    const run: SweepRun = {
      method, schedule: settings.schedule, verified: new Uint8Array(count * E), pairsBounded: 0, pairsTotal: count * E,
      engineCalls: 0, rounds: 0, secondsPerEps: new Float64Array(E), boxesPerEps: new Int32Array(E),
    };
    let seconds = 0;
    let completion: Completion | undefined;
    let pilot = 0, probes = 0, nonMonotone = 0, anyPilot = false, anyNonMonotone = false;
    for (const { positions, result } of blocks) {
      const part = result.methods[m];
      if (!part || part.method !== method) throw new Error(`a block has no results for method ${method}`);
      positions.forEach((i, j) => digitsInto(run.verified, part.verified[j], i, E, `method ${method}`));
      run.pairsBounded += part.pairsBounded;
      run.engineCalls += part.engineCalls;
      run.rounds = Math.max(run.rounds, part.rounds);
      for (let k = 0; k < E; k++) { run.secondsPerEps[k] += part.secondsPerEps[k]; run.boxesPerEps[k] += part.boxesPerEps[k]; }
      seconds += part.seconds;
      if (part.pilotInputs !== undefined) { anyPilot = true; pilot += part.pilotInputs; probes += part.pilotInputs * (part.expectedProbes ?? 0); }
      if (part.nonMonotone !== undefined) { anyNonMonotone = true; nonMonotone += part.nonMonotone; }
      const cp = part.completion;
      if (settings.milpTimeoutS !== undefined) {
        if (!cp) throw new Error(`a block has no MILP completion for method ${method}`);
        if (!completion) {
          completion = {
            status: new Uint8Array(count * E), source: new Uint8Array(count * E), sources: cp.sources, counterexamples: new Map(),
            undecidedBefore: new Int32Array(E), undecidedAfter: new Int32Array(E), milpCalls: new Int32Array(E), milpSeconds: new Float64Array(E),
            milpTimeouts: 0, attacks: 0, attackSeconds: 0, cached: 0, conflicts: 0, seconds: 0,
          };
        }
        const c = completion;
        positions.forEach((i, j) => { digitsInto(c.status, cp.status[j], i, E, 'status'); digitsInto(c.source, cp.source[j], i, E, 'source'); });
        for (let k = 0; k < E; k++) {
          c.undecidedBefore[k] += cp.undecidedBefore[k]; c.undecidedAfter[k] += cp.undecidedAfter[k];
          c.milpCalls[k] += cp.milpCalls[k]; c.milpSeconds[k] += cp.milpSeconds[k];
        }
        c.milpTimeouts += cp.milpTimeouts; c.attacks += cp.attacks; c.attackSeconds += cp.attackSeconds;
        c.cached += cp.cached; c.conflicts += cp.conflicts; c.seconds += cp.seconds;
      }
    }
    if (anyPilot) { run.pilotInputs = pilot; run.expectedProbes = pilot ? probes / pilot : 0; }
    if (anyNonMonotone) run.nonMonotone = nonMonotone;
    if (settings.milpTimeoutS !== undefined) {
      // what completeSweep marks for the inputs it is given but never bounds: misclassified, falsified everywhere
      completion ??= {
        status: new Uint8Array(count * E), source: new Uint8Array(count * E), sources: ['bounds', 'crown', 'milp', 'attack', 'misclassified'], counterexamples: new Map(),
        undecidedBefore: new Int32Array(E), undecidedAfter: new Int32Array(E), milpCalls: new Int32Array(E), milpSeconds: new Float64Array(E),
        milpTimeouts: 0, attacks: 0, attackSeconds: 0, cached: 0, conflicts: 0, seconds: 0,
      };
      const mis = completion.sources.indexOf('misclassified');
      for (let i = 0; i < count; i++) {
        if (isCandidate[i]) continue;
        completion.status.fill(FALSIFIED, i * E, (i + 1) * E);
        completion.source.fill(mis, i * E, (i + 1) * E);
      }
    }
    return { run, seconds, ...(completion ? { completion } : {}) };
  });
}
