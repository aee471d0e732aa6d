// A block's answers as plain JSON (what a queue worker sends back and a shard file holds), and
// their assembly into the pair table and per-method runs of the whole sweep, from which the one
// writer (output.ts) makes the report. Per input the block's rows are copied verbatim: verdicts,
// what decided them, times, reasons, counterexamples, the bounds' verified pairs and brackets.
// Per method the work counts add up (pairs bounded, engine calls, boxes and engine time per
// epsilon), rounds are the largest block's (rounds run in parallel over the blocks), times add up.
// The receiving side replays every counterexample on its own network before writing anything.
import type { SweepRun } from './scheduler.js';
import type { RunInfo } from './report.js';
import type { PairTable } from './pairs.js';
import type { BlockOutcome, BlockSettings } from './block.js';
import type { Network } from '../network.js';
import { inputSize } from '../network.js';
import type { LabelledInputs } from './inputs.js';
import { replayCounterexample } from './ball.js';

export interface BlockRunPart {
  method: string;
  /** Per block input: E characters '0'/'1', the pairs the method verified. */
  verified: string[];
  /** Per block input: the search's final bracket. */
  lo: number[];
  hi: number[];
  pairsBounded: number;
  engineCalls: number;
  rounds: number;
  secondsPerEps: number[];
  boxesPerEps: number[];
  pilotInputs?: number;
  expectedProbes?: number;
  nonMonotone?: number;
  interrupted: boolean;
  seconds: number;
}

/** One input's rows of the pair table. */
export interface BlockInputPart {
  /** E digits: 0 undecided, 1 verified, 2 falsified (a block holds no misclassified input). */
  status: string;
  by: string[];
  timeS: number[];
  reason: (string | null)[];
  cex: { x: number[]; k: number; by: string } | null;
}

export interface BlockResult {
  backend: string;
  engine: string;
  inputs: BlockInputPart[];
  runs: BlockRunPart[];
  attack: { attacks: number; seconds: number };
  /** decidedBy: pairs the --complete stages decided directly, per stage (absent in results of older workers). */
  complete: { calls: number; seconds: number; decidedBy?: Record<string, number> } | null;
  /** Proof/counterexample disagreements the block's table counted. */
  conflicts: number;
}

/** The answers for the inputs at `positions` (positions in the block's problem). */
export function blockResult(outcome: BlockOutcome, table: PairTable, positions: readonly number[], engine: { backend: string; engine: string }): BlockResult {
  const E = table.E;
  return {
    ...engine,
    inputs: positions.map((i) => {
      const c = table.cex.get(i);
      const row = (f: (p: number) => unknown) => Array.from({ length: E }, (_, k) => f(i * E + k));
      return {
        status: Array.from(table.status.subarray(i * E, (i + 1) * E)).join(''),
        by: row((p) => table.by[p]) as string[],
        timeS: row((p) => table.timeS[p]) as number[],
        reason: row((p) => table.reason[p] ?? null) as (string | null)[],
        cex: c ? { x: Array.from(c.x), k: c.k, by: c.by } : null,
      };
    }),
    runs: outcome.runs.map(({ run, seconds }) => ({
      method: run.method,
      verified: positions.map((i) => Array.from(run.verified.subarray(i * E, (i + 1) * E)).join('')),
      lo: positions.map((i) => run.lo[i]),
      hi: positions.map((i) => run.hi[i]),
      pairsBounded: run.pairsBounded, engineCalls: run.engineCalls, rounds: run.rounds,
      secondsPerEps: Array.from(run.secondsPerEps), boxesPerEps: Array.from(run.boxesPerEps),
      ...(run.pilotInputs !== undefined ? { pilotInputs: run.pilotInputs, expectedProbes: run.expectedProbes } : {}),
      ...(run.nonMonotone !== undefined ? { nonMonotone: run.nonMonotone } : {}),
      interrupted: run.interrupted, seconds,
    })),
    attack: outcome.attack,
    complete: outcome.completeStats ? { calls: outcome.completeStats.calls, seconds: outcome.completeStats.seconds, decidedBy: outcome.completeStats.decidedBy } : null,
    conflicts: table.conflicts,
  };
}

/** A block's result with the whole sweep's positions of its inputs. */
export interface PlacedBlock {
  positions: readonly number[];
  result: BlockResult;
}

const digits = (text: string, E: number, what: string): number[] => {
  if (text.length !== E || !/^[0-2]*$/.test(text)) throw new Error(`${what}: expected ${E} digits, got '${text.slice(0, 40)}'`);
  return Array.from(text, Number);
};

/**
 * Writes the blocks' rows into `table` (which already holds the misclassified inputs) and returns
 * the per-method runs and totals of the whole sweep of `count` inputs. Throws on a block that
 * does not fit the settings (a forged or mismatched result).
 */
export function assembleBlocks(table: PairTable, s: BlockSettings, blocks: readonly PlacedBlock[]): BlockOutcome {
  const E = s.eps.length, count = table.count;
  const attack = { attacks: 0, seconds: 0 };
  let complete: BlockOutcome['completeStats'] = s.complete ? { calls: 0, seconds: 0, decidedBy: {} } : undefined;
  const runs: RunInfo[] = s.methods.map((method) => ({
    run: {
      method, schedule: s.schedule, verified: new Uint8Array(count * E), pairsBounded: 0, pairsTotal: count * E, engineCalls: 0, rounds: 0,
      secondsPerEps: new Float64Array(E), boxesPerEps: new Int32Array(E), lo: new Int32Array(count), hi: new Int32Array(count).fill(E), interrupted: false,
    } as SweepRun,
    seconds: 0,
  }));
  for (const { positions, result } of blocks) {
    if (result.inputs.length !== positions.length) throw new Error(`a block of ${positions.length} inputs sent back ${result.inputs.length}`);
    if (result.runs.length !== s.methods.length || result.runs.some((r, m) => r.method !== s.methods[m])) throw new Error('a block\'s methods differ from the sweep\'s');
    positions.forEach((i, j) => {
      const part = result.inputs[j];
      const status = digits(part.status, E, `input ${i} status`);
      if (part.by.length !== E || part.timeS.length !== E || part.reason.length !== E) throw new Error(`input ${i}: expected ${E} entries per pair`);
      for (let k = 0; k < E; k++) {
        const p = i * E + k;
        table.status[p] = status[k];
        table.by[p] = String(part.by[k]);
        table.timeS[p] = Number(part.timeS[k]);
        table.reason[p] = part.reason[k] ?? undefined;
      }
      if (part.cex) table.cex.set(i, { x: Float64Array.from(part.cex.x), k: part.cex.k, by: part.cex.by });
    });
    table.conflicts += result.conflicts;
    result.runs.forEach((part, m) => {
      const { run } = runs[m];
      positions.forEach((i, j) => {
        const v = digits(part.verified[j], E, `input ${i} verified`);
        for (let k = 0; k < E; k++) run.verified[i * E + k] = v[k];
        run.lo[i] = part.lo[j];
        run.hi[i] = part.hi[j];
      });
      run.pairsBounded += part.pairsBounded;
      run.engineCalls += part.engineCalls;
      run.rounds = Math.max(run.rounds, part.rounds);
      for (let k = 0; k < E; k++) { run.secondsPerEps[k] += part.secondsPerEps[k]; run.boxesPerEps[k] += part.boxesPerEps[k]; }
      if (part.nonMonotone !== undefined) run.nonMonotone = (run.nonMonotone ?? 0) + part.nonMonotone;
      if (part.pilotInputs !== undefined) {
        run.pilotInputs = (run.pilotInputs ?? 0) + part.pilotInputs;
        run.expectedProbes = ((run.expectedProbes ?? 0) * (run.pilotInputs - part.pilotInputs) + (part.expectedProbes ?? 0) * part.pilotInputs) / run.pilotInputs;
      }
      run.interrupted ||= part.interrupted;
      runs[m].seconds += part.seconds;
    });
    attack.attacks += result.attack.attacks;
    attack.seconds += result.attack.seconds;
    if (complete && result.complete) {
      complete.calls += result.complete.calls;
      complete.seconds += result.complete.seconds;
      for (const [k, v] of Object.entries(result.complete.decidedBy ?? {})) complete.decidedBy[k] = (complete.decidedBy[k] ?? 0) + v;
    }
  }
  if (!s.complete) complete = undefined;
  return { runs, attack, ...(complete ? { completeStats: complete } : {}) };
}

/**
 * Replays every counterexample the blocks sent back on this machine's float64 network (the gate
 * every falsified pair of a local sweep passes, ball.ts): a result that was corrupted or forged on
 * its way through Redis or a shard file cannot make a pair falsified. Throws naming the input.
 */
export function replayBlockCounterexamples(net: Network, data: LabelledInputs, table: PairTable): void {
  const n = inputSize(net);
  for (const [i, c] of table.cex) {
    if (c.by === 'misclassified') continue;
    const ok = Number.isInteger(c.k) && c.k >= 0 && c.k < table.E && c.x.length === n &&
      replayCounterexample(net, data.inputs.subarray(i * n, (i + 1) * n), data.labels[i], table.eps[c.k], c.x)?.every((v, j) => v === c.x[j]);
    if (!ok) throw new Error(`the counterexample of input ${data.indices[i]} at eps ${table.eps[c.k]} does not replay on the network`);
  }
}
