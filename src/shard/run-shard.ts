// `run --shard K/N`: the shard's rows (round-robin, shard.ts) through the same runOne as the local
// `run`. The shard file is results.csv's rows with their position in the instance list, under a
// header line naming the shard and the list (`veribound merge` checks both); per-instance files in
// --results-dir are named after the instance (instance-files.ts), so every shard can share one
// folder and the merged folder is the one a single machine would have filled.
import fs from 'node:fs';
import { UserError } from '../errors.js';
import { runOne, type Instance, type RowResult } from '../commands/run.js';
import { createProgress } from '../progress.js';
import type { Shard } from './shard.js';
import { parseShard, shardItems } from './shard.js';
import { printRunSummary, resultLine, rowLine, rowsHash } from './run-rows.js';
import { now } from '../clock.js';

export const RUN_SHARD_MAGIC = '# veribound run shard';

export function runShardHeader(shard: Shard, rows: Instance[]): string {
  return `${RUN_SHARD_MAGIC} ${shard.k}/${shard.n} of ${rows.length} rows; list ${rowsHash(rows)}`;
}

export async function runShard(rows: Instance[], opts: { shard: Shard; root: string; backend: string; keepDir: string; out: string }): Promise<number> {
  const mine = shardItems(rows.length, opts.shard);
  try {
    fs.writeFileSync(opts.out, `${runShardHeader(opts.shard, rows)}\nrow,${'onnx,vnnlib,result,time_s'}\n`);
  } catch (err) {
    throw new UserError(`run: cannot write ${opts.out}: ${(err as Error).message}`);
  }
  process.stdout.write(`shard ${opts.shard.k}/${opts.shard.n}: ${mine.length} of ${rows.length} instances\n`);
  const t0 = now();
  const results: RowResult[] = [];
  const bar = createProgress(mine.length, `instances (shard ${opts.shard.k}/${opts.shard.n})`);
  for (const [j, i] of mine.entries()) {
    const r = await runOne(rows[i], opts.root, opts.backend, opts.keepDir);
    fs.appendFileSync(opts.out, `${i},${resultLine(rows[i], r)}\n`);
    results.push(r);
    bar.tick();
    process.stdout.write(rowLine(j + 1, mine.length, rows[i], r));
  }
  bar.stop();
  printRunSummary(results, (now() - t0) / 1000, opts.out, opts.keepDir);
  process.stdout.write(`merge the ${opts.shard.n} shard files with: veribound merge --csv results.csv SHARD_FILES...\n`);
  return 0;
}

/** `run --shard`, `run --queue` and `run --queue --resume`: where the rows go instead of the local loop. */
export async function scaleOutRun(rows: Instance[], o: { shard?: string; queue?: string; resume: boolean; root: string; backend: string; keepDir: string; out: string; json?: boolean; jsonOut?: string }): Promise<number> {
  if (o.shard !== undefined && o.queue !== undefined) throw new UserError('run: --shard and --queue are two ways to split a run; give one');
  if (o.shard !== undefined) {
    if (o.resume) throw new UserError('run: --resume re-attaches to a queue (--queue URL); a shard is rerun as it is');
    return runShard(rows, { shard: parseShard(o.shard), root: o.root, backend: o.backend, keepDir: o.keepDir, out: o.out });
  }
  if (o.queue === undefined) throw new UserError('run: --resume needs --queue URL (the queue to re-attach to)');
  const { submitRun } = await import('../queue/submit-run.js');
  return submitRun(rows, { queue: o.queue, resume: o.resume, root: o.root, backend: o.backend, keepDir: o.keepDir, out: o.out, json: o.json, jsonOut: o.jsonOut });
}
