// `sweep --shard K/N` and `sweep --queue URL`: where the sweep's inputs are split up. Both load the
// target as the local sweep does, keep the correctly classified inputs and split those: a shard
// runs its round-robin part here and writes a shard file (JSON: the settings, the target it was
// given, the network's sha256 and its block's results) for `veribound merge`; a queue submitter
// sends blocks to workers (queue/submit-sweep.ts). Either way the report comes from assemble().
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { UserError } from '../errors.js';
import { selectEngine, type Backend } from '../engine.js';
import { MilpPool } from '../milp/index.js';
import { resolveNetworkPath } from '../models.js';
import { predict } from '../sweep/classify.js';
import { loadTarget, type Target, type TargetOptions } from '../sweep/setup.js';
import { inputSize } from '../network.js';
import { writeFileAtomic } from '../outputs.js';
import type { Shard } from './shard.js';
import { parseShard, shardItems } from './shard.js';
import { assemble, computeBlock, type BlockResult, type SweepSettings } from './sweep-blocks.js';
import { sweepReport, writeSweepOutputs, type SweepFiles } from './sweep-output.js';

export const SWEEP_SHARD_KIND = 'veribound-sweep-shard';

export interface ScaleOutSweep {
  target: TargetOptions;
  settings: SweepSettings;
  backend: Backend;
  files: SweepFiles;
  /** --shard K/N (unparsed). */
  shard?: string;
  queue?: string;
  /** --block: inputs per queue job (unparsed). */
  block: string;
}

export interface SweepShardFile {
  kind: typeof SWEEP_SHARD_KIND;
  shard: Shard;
  target: TargetOptions;
  netSha256: string;
  settings: SweepSettings;
  count: number;
  candidates: number;
  positions: number[];
  result: BlockResult;
  seconds: number;
}

export function sha256File(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The target with its correctly classified inputs (the only ones a sweep bounds). */
export async function loadSweepTarget(target: TargetOptions): Promise<Target & { predicted: Int32Array | number[]; candidates: number[] }> {
  const t = await loadTarget(target);
  const { predicted } = predict(t.net, t.data.inputs, t.data.count);
  const candidates: number[] = [];
  for (let i = 0; i < t.data.count; i++) if (predicted[i] === t.data.labels[i]) candidates.push(i);
  return { ...t, predicted: predicted as Int32Array, candidates };
}

/** The inputs and labels at `positions`, as a block of their own. */
export function blockOf(t: Target, positions: number[]): { inputs: Float64Array; labels: Int32Array } {
  const n = inputSize(t.net);
  const inputs = new Float64Array(positions.length * n);
  positions.forEach((i, j) => inputs.set(t.data.inputs.subarray(i * n, (i + 1) * n), j * n));
  return { inputs, labels: Int32Array.from(positions, (i) => t.data.labels[i]) };
}

export async function scaleOutSweep(o: ScaleOutSweep): Promise<number> {
  if (o.shard !== undefined && o.queue !== undefined) throw new UserError('sweep: --shard and --queue are two ways to split a sweep; give one');
  if (o.shard !== undefined) return shardSweep(o, parseShard(o.shard));
  const { submitSweep } = await import('../queue/submit-sweep.js');
  return submitSweep(o);
}

async function shardSweep(o: ScaleOutSweep, shard: Shard): Promise<number> {
  const { csv, plot, html } = o.files;
  if (csv !== undefined || plot !== undefined || html !== undefined) {
    throw new UserError('sweep --shard: a shard writes only its shard file (--out); --csv, --plot and --html go to veribound merge');
  }
  if (o.files.out === undefined) throw new UserError('sweep --shard: --out SHARD.json is required (the file veribound merge reads)');
  const t0 = performance.now();
  const t = await loadSweepTarget(o.target);
  const positions = shardItems(t.candidates.length, shard).map((j) => t.candidates[j]);
  process.stdout.write(`shard ${shard.k}/${shard.n}: ${positions.length} of the ${t.candidates.length} correctly classified inputs\n`);
  const { inputs, labels } = blockOf(t, positions);
  const engine = await selectEngine(o.backend);
  const pool = o.settings.milpTimeoutS !== undefined ? new MilpPool(Math.max(1, os.availableParallelism())) : undefined;
  let result: BlockResult;
  try {
    result = await computeBlock(t.net, inputs, labels, o.settings, engine, pool);
  } finally {
    await engine.dispose();
    await pool?.close();
  }
  const file: SweepShardFile = {
    kind: SWEEP_SHARD_KIND, shard, target: o.target, netSha256: sha256File(resolveNetworkPath(o.target.net)), settings: o.settings,
    count: t.data.count, candidates: t.candidates.length, positions, result, seconds: (performance.now() - t0) / 1000,
  };
  writeFileAtomic(o.files.out, JSON.stringify(file) + '\n', '--out');
  process.stdout.write(`shard file: ${o.files.out}; merge the ${shard.n} shard files with: veribound merge --out r.json [--csv r.csv --plot r.svg --html r.html] SHARD_FILES...\n`);
  return 0;
}

/** `veribound merge` of sweep shard files: checks they are the N shards of one sweep, then writes its outputs. */
export async function mergeSweepShards(files: string[], docs: SweepShardFile[], out: SweepFiles): Promise<number> {
  const first = docs[0];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const seen = new Map<number, string>();
  docs.forEach((d, i) => {
    if (d.shard.n !== first.shard.n) throw new UserError(`merge: ${files[i]} is a shard of ${d.shard.n}, ${files[0]} of ${first.shard.n}`);
    if (!same(d.settings, first.settings) || !same(d.target, first.target) || d.netSha256 !== first.netSha256) {
      throw new UserError(`merge: ${files[i]} and ${files[0]} are shards of different sweeps (network, inputs or settings differ)`);
    }
    if (seen.has(d.shard.k)) throw new UserError(`merge: ${files[i]} and ${seen.get(d.shard.k)} are both shard ${d.shard.k}/${d.shard.n}`);
    seen.set(d.shard.k, files[i]);
  });
  const missing = Array.from({ length: first.shard.n }, (_, k) => k + 1).filter((k) => !seen.has(k));
  if (missing.length) throw new UserError(`merge: shard(s) ${missing.join(', ')} of ${first.shard.n} are missing`);
  const file = resolveNetworkPath(first.target.net);
  if (sha256File(file) !== first.netSha256) throw new UserError(`merge: ${file} is not the network the shards ran (its sha256 differs)`);
  const t = await loadSweepTarget(first.target);
  if (t.data.count !== first.count || t.candidates.length !== first.candidates) {
    throw new UserError(`merge: the inputs differ from the shards' (${t.data.count} inputs, ${t.candidates.length} correctly classified; the shards saw ${first.count}, ${first.candidates})`);
  }
  for (const [i, d] of docs.entries()) {
    const expect = shardItems(t.candidates.length, d.shard).map((j) => t.candidates[j]);
    if (!same(expect, d.positions)) throw new UserError(`merge: ${files[i]} does not hold the inputs of shard ${d.shard.k}/${d.shard.n}`);
  }
  let runs;
  try {
    runs = assemble(t.data.count, t.candidates, first.settings, docs.map((d) => ({ positions: d.positions, result: d.result })));
  } catch (err) {
    throw new UserError(`merge: the shard files are inconsistent (${(err as Error).message})`);
  }
  const ordered = [...docs].sort((a, b) => a.shard.k - b.shard.k);
  const report = sweepReport(t.net, t.data, t.predicted, t.candidates.length, first.settings, runs, {
    backend: ordered[0].result.backend, engine: ordered[0].result.engine,
    seconds: docs.reduce((s, d) => s + d.seconds, 0),
    milpWorkers: Math.max(0, ...docs.map((d) => d.result.milpWorkers ?? 0)) || undefined,
  });
  writeSweepOutputs(report, out, t.net, t.data);
  return 0;
}
