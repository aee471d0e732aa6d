// `attack --indices … --shard K/N --out F.json` writes a shard file; `veribound merge` of the N
// shard files writes what one machine's `attack --indices` would have written (attack/table.ts's
// writer). A shard holds what the table was given (--net and --data as given, the weights' hash,
// the image list, the settings), its round-robin positions in the list and their rows. The merge
// checks that the files are the N complete shards of one table, loads the network and images
// again from the same arguments (refusing other weights), replays every row (table.ts's
// replayRow: a forged or corrupted example is refused) and writes the rows in the list's order.
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../outputs.js';
import { runMeta, type RunMeta } from '../run-meta.js';
import type { Network } from '../network.js';
import type { Dataset } from '../data/dataset.js';
import { imageAt } from '../data/dataset.js';
import { networkHash } from '../sweep/checkpoint.js';
import type { AttackRow, AttackSettings } from '../attack/one-image.js';
import { loadAttackTarget } from '../attack/target.js';
import { replayRow, writeAttackTable, type TableFiles } from '../attack/table.js';
import { shardItems, type Shard } from './shard.js';
import { checkShardSet, sameJson } from './shard-set.js';

export const ATTACK_SHARD_KIND = 'veribound-attack-shard';

export interface AttackShardFile {
  kind: typeof ATTACK_SHARD_KIND;
  version: 1;
  shard: Shard;
  /** Interrupted: not mergeable (run that shard again). */
  partial: boolean;
  netArg: string;
  dataArg: string | null;
  netHash: string;
  data: string;
  count: number;
  settings: AttackSettings;
  indices: number[];
  positions: number[];
  rows: AttackRow[];
  timeS: number;
  meta: RunMeta;
}

export function writeAttackShard(file: string, b: {
  shard: Shard; partial: boolean; netArg: string; dataArg: string | null; net: Network; ds: Dataset;
  settings: AttackSettings; indices: number[]; positions: number[]; rows: AttackRow[]; timeS: number;
}): void {
  const doc: AttackShardFile = {
    kind: ATTACK_SHARD_KIND, version: 1, shard: b.shard, partial: b.partial, netArg: b.netArg, dataArg: b.dataArg, netHash: networkHash(b.net),
    data: b.ds.name, count: b.ds.count, settings: b.settings, indices: b.indices, positions: b.positions, rows: b.rows, timeS: b.timeS, meta: runMeta({}),
  };
  writeFileAtomic(file, JSON.stringify(doc) + '\n', '--out');
}

export function isAttackShard(text: string): boolean {
  return /^\s*\{"kind":"veribound-attack-shard"/.test(text);
}

export async function mergeAttackShards(files: string[], texts: string[], out: TableFiles): Promise<number> {
  const docs = checkShardSet<AttackShardFile>(files, texts, {
    kind: ATTACK_SHARD_KIND, name: 'attack', plural: 'attack tables',
    partialHint: () => 'run that shard again',
    sameJob: (d, f) => sameJson(d.settings, f.settings) && sameJson(d.indices, f.indices) && d.netArg === f.netArg && d.dataArg === f.dataArg &&
      d.netHash === f.netHash && d.data === f.data && d.count === f.count,
  });
  const first = docs[0];
  docs.forEach((d, i) => {
    if (!sameJson(d.positions, shardItems(d.indices.length, d.shard)) || !Array.isArray(d.rows) || d.rows.length !== d.positions.length) {
      throw new UserError(`merge: ${files[i]} does not hold the images of shard ${d.shard.k}/${d.shard.n}`);
    }
  });

  const t0 = performance.now();
  const { net, ds } = loadAttackTarget(first.netArg, first.dataArg ?? undefined);
  if (networkHash(net) !== first.netHash) throw new UserError(`merge: ${first.netArg} is not the network the shards ran (its weights' hash differs)`);
  if (ds.name !== first.data || ds.count !== first.count) throw new UserError(`merge: the images (${ds.count} of ${ds.name}) are not the shards' (${first.count} of ${first.data})`);
  const rows: AttackRow[] = new Array(first.indices.length);
  for (const [f, d] of docs.entries()) {
    for (const [j, p] of d.positions.entries()) {
      const index = first.indices[p];
      try {
        replayRow(net, imageAt(ds, index), index, ds.labels[index], d.rows[j]);
      } catch (err) {
        throw new UserError(`merge: ${files[f]}: ${(err as Error).message}`);
      }
      rows[p] = d.rows[j];
    }
  }
  writeAttackTable({
    net: net.name, data: ds.name, settings: first.settings, indices: first.indices, rows, partial: false,
    seconds: docs.reduce((s, d) => s + d.timeS, 0) + (performance.now() - t0) / 1000,
  }, out);
  return 0;
}
