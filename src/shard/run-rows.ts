// `run`'s results outside one local loop: a shard's rows (`run --shard`), their merge, and the rows
// a queue's workers send back. Every path writes results.csv with the same line for a row as the
// local `run` (csvCell, two decimals for time_s), in the instances' order, and the same summary.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { UserError } from '../errors.js';
import { csvCell, type Instance, type RowResult } from '../commands/run.js';
import { STAGES } from '../verify/outcome.js';

export const RESULTS_HEADER = 'onnx,vnnlib,result,time_s';

/** A results.csv line of one row, exactly as the local `run` writes it. */
export function resultLine(inst: Pick<Instance, 'onnx' | 'vnnlib'>, r: Pick<RowResult, 'result' | 'timeS'>): string {
  return `${csvCell(inst.onnx)},${csvCell(inst.vnnlib)},${r.result},${r.timeS.toFixed(2)}`;
}

/** Names the selected instance list (paths and timeouts, in order), so shards of different lists never merge. */
export function rowsHash(rows: Instance[]): string {
  return crypto.createHash('sha256').update(JSON.stringify(rows.map((r) => [r.onnx, r.vnnlib, r.timeoutS]))).digest('hex').slice(0, 16);
}

export interface RunTally {
  counts: Record<string, number>;
  decided: Record<string, number>;
  stageTime: Record<string, number>;
}

/** Answers, deciding stages and time per stage over a run's rows. */
export function runTally(results: Pick<RowResult, 'result' | 'decidedBy' | 'stages'>[]): RunTally {
  const counts: Record<string, number> = { unsat: 0, sat: 0, timeout: 0, unknown: 0, error: 0 };
  const decided: Record<string, number> = {};
  const stageTime: Record<string, number> = {};
  for (const r of results) {
    counts[r.result] = (counts[r.result] ?? 0) + 1;
    if (r.decidedBy) decided[r.decidedBy] = (decided[r.decidedBy] ?? 0) + 1;
    for (const s of r.stages) stageTime[s.stage] = (stageTime[s.stage] ?? 0) + s.timeS;
  }
  return { counts, decided, stageTime };
}

/** Counts, the stage table and where things are: the end of `run`'s output. */
export function runSummaryText(rows: number, seconds: number, t: RunTally, out: string, keepDir: string): string {
  return `\n${rows} instances in ${seconds.toFixed(1)}s: ` + Object.entries(t.counts).map(([k, v]) => `${k} ${v}`).join(', ') + '\n' +
    'stage        decided  time (s)\n' +
    STAGES.map((s) => `${s.padEnd(12)} ${String(t.decided[s] ?? 0).padStart(7)}  ${(t.stageTime[s] ?? 0).toFixed(1).padStart(8)}\n`).join('') +
    `results: ${out}; per-instance result files and logs: ${keepDir}\n`;
}

export function printRunSummary(results: RowResult[], seconds: number, out: string, keepDir: string): void {
  process.stdout.write(runSummaryText(results.length, seconds, runTally(results), out, keepDir));
}

/** The body of run's JSON document (--out, --json), the same for the local loop and the queue. */
export function runDocBody(o: { rows: { inst: Pick<Instance, 'onnx' | 'vnnlib'>; r: RowResult }[]; resumed: number; csv: string; resultsDir: string; root: string; timeS: number }): Record<string, unknown> {
  const { counts, decided, stageTime } = runTally(o.rows.map(({ r }) => r));
  return {
    instances: o.rows.length, resumed: o.resumed, counts, decidedBy: decided, stageTimeS: stageTime,
    rows: o.rows.map(({ inst, r }) => ({ onnx: inst.onnx, vnnlib: inst.vnnlib, result: r.result, timeS: r.timeS, decidedBy: r.decidedBy, error: r.error ?? null })),
    csv: o.csv, resultsDir: o.resultsDir, root: o.root, timeS: o.timeS,
  };
}

/** One progress line per finished row, as the local `run` prints it. */
export function rowLine(done: number, total: number, inst: Instance, r: RowResult): string {
  return `[${done}/${total}] ${inst.onnx} ${inst.vnnlib}: ${r.result}${r.decidedBy ? ` (${r.decidedBy})` : ''} ${r.timeS.toFixed(1)}s${r.error ? ` — ${r.error}` : ''}\n`;
}

/**
 * Appends rows to results.csv in the instances' order as they arrive in any order: a row is
 * written once every row before it is (so the file is always a prefix of the local run's).
 */
export class OrderedResults {
  private next = 0;
  private readonly pending = new Map<number, string>();
  constructor(private readonly out: string, private readonly rows: Instance[]) {
    try {
      fs.writeFileSync(out, `${RESULTS_HEADER}\n`);
    } catch (err) {
      throw new UserError(`run: cannot write ${out}: ${(err as Error).message}`);
    }
  }
  add(index: number, r: RowResult): void {
    this.pending.set(index, resultLine(this.rows[index], r));
    let text = '';
    while (this.pending.has(this.next)) {
      text += this.pending.get(this.next)! + '\n';
      this.pending.delete(this.next++);
    }
    if (text) fs.appendFileSync(this.out, text);
  }
}
