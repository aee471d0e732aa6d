// `sweep --shard K/N` writes a shard file; `veribound merge` of the N shard files writes what one
// machine's sweep would have written. A shard is the local sweep restricted to its round-robin
// part of the correctly classified inputs (shard.ts): the same sweepBlock, checkpoints included.
// Its file holds what the sweep was given (network argument and its hash, data, settings), the
// shard's inputs and their answers (sweep/block-result.ts). The merge loads the network and the
// inputs again (for the report's images and the misclassified inputs), checks that the files are
// the N complete shards of one sweep on these very bytes, assembles the answers into the pair
// table and writes through the local sweep's writer (sweep/output.ts).
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../outputs.js';
import { runMeta, type RunMeta } from '../run-meta.js';
import { startTable } from '../sweep/classify.js';
import { networkHash } from '../sweep/checkpoint.js';
import { loadTarget, type TargetOptions } from '../sweep/setup.js';
import type { BlockSettings } from '../sweep/block.js';
import { assembleBlocks, replayBlockCounterexamples, type BlockResult } from '../sweep/block-result.js';
import { writeSweepOutputs, type SweepFiles } from '../sweep/output.js';
import { shardItems, type Shard } from './shard.js';
import { checkShardSet, sameJson } from './shard-set.js';

export const SWEEP_SHARD_KIND = 'veribound-sweep-shard';

export interface SweepShardFile {
  kind: typeof SWEEP_SHARD_KIND;
  version: 1;
  shard: Shard;
  /** Interrupted: not mergeable (continue it with --resume CHECKPOINT). */
  partial: boolean;
  /** The sweep's --net, --data, --samples, --inputs as given. */
  target: TargetOptions;
  netHash: string;
  dataSource: string;
  count: number;
  /** Correctly classified inputs of the whole sweep. */
  correct: number;
  settings: BlockSettings;
  /** The shard's inputs (positions in the sweep's inputs). */
  positions: number[];
  result: BlockResult;
  timeS: number;
  meta: RunMeta;
}

/** The shard's inputs: its round-robin part of the correctly classified ones. */
export function shardPositions(candidates: readonly number[], shard: Shard): number[] {
  return shardItems(candidates.length, shard).map((j) => candidates[j]);
}

export function writeSweepShard(file: string, body: Omit<SweepShardFile, 'kind' | 'version' | 'meta'>): void {
  const doc: SweepShardFile = { kind: SWEEP_SHARD_KIND, version: 1, ...body, meta: runMeta({ engine: body.result.engine }) };
  writeFileAtomic(file, JSON.stringify(doc) + '\n', '--out');
}

/** True when the text is a sweep shard file (merge.ts tells shard kinds apart by it). */
export function isSweepShard(text: string): boolean {
  return /^\s*\{"kind":"veribound-sweep-shard"/.test(text);
}

/** `veribound merge` of sweep shard files: checks they are the N shards of one sweep, then writes its outputs. */
export async function mergeSweepShards(files: string[], texts: string[], out: SweepFiles): Promise<number> {
  const docs = checkShardSet<SweepShardFile>(files, texts, {
    kind: SWEEP_SHARD_KIND, name: 'sweep', plural: 'sweeps',
    partialHint: (d) => `finish it first (sweep … --shard ${d.shard.k}/${d.shard.n} --resume CHECKPOINT)`,
    sameJob: (d, f) => sameJson(d.settings, f.settings) && sameJson(d.target, f.target) && d.netHash === f.netHash && d.dataSource === f.dataSource && d.count === f.count,
  });
  const first = docs[0];

  const t0 = performance.now();
  const { net, data } = await loadTarget(first.target);
  if (networkHash(net) !== first.netHash) throw new UserError(`merge: ${first.target.net} is not the network the shards ran (its weights' hash differs)`);
  if (data.source !== first.dataSource || data.count !== first.count) throw new UserError(`merge: the inputs (${data.count} of ${data.source}) are not the shards' (${first.count} of ${first.dataSource})`);
  const { predicted, candidates, table } = startTable(net, data.inputs, data.labels, data.count, first.settings.eps);
  if (candidates.length !== first.correct) throw new UserError(`merge: ${candidates.length} inputs are correctly classified here, ${first.correct} where the shards ran`);
  for (const [i, d] of docs.entries()) {
    if (!sameJson(shardPositions(candidates, d.shard), d.positions)) throw new UserError(`merge: ${files[i]} does not hold the inputs of shard ${d.shard.k}/${d.shard.n}`);
  }
  const ordered = [...docs].sort((a, b) => a.shard.k - b.shard.k);
  let outcome;
  try {
    outcome = assembleBlocks(table, first.settings, ordered.map((d) => ({ positions: d.positions, result: d.result })));
    replayBlockCounterexamples(net, data, table);
  } catch (err) {
    throw new UserError(`merge: the shard files are inconsistent (${(err as Error).message})`);
  }
  writeSweepOutputs({
    net, data, predicted, correct: candidates.length, settings: first.settings, table, ...outcome,
    backend: ordered[0].result.backend, engine: ordered[0].result.engine,
    seconds: docs.reduce((s, d) => s + d.timeS, 0) + (performance.now() - t0) / 1000, partial: false,
  }, out);
  return 0;
}
