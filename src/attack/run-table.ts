// `attack --indices` on this machine, whole or as one `--shard K/N` (round-robin over the image
// list, shard/shard.ts), or through a queue (queue/submit-attack.ts). Every image goes through
// one-image.ts's attackImage, as `attack --index` does. Ctrl-C (or SIGTERM) writes the rows
// finished so far, marked partial (a partial shard file, which merge refuses), and exits 130.
import type { Network } from '../network.js';
import type { Dataset } from '../data/dataset.js';
import { imageAt } from '../data/dataset.js';
import { onInterrupt } from '../interrupt.js';
import { createProgress } from '../progress.js';
import { shardItems, type Shard } from '../shard/shard.js';
import { writeAttackShard } from '../shard/attack-shard.js';
import { attackImage, tableRow, type AttackRow, type AttackSettings } from './one-image.js';
import { rowLine, writeAttackTable, type TableFiles } from './table.js';

export interface TableRun {
  /** --net and --data as given (a shard file keeps them for merge). */
  netArg: string;
  dataArg?: string;
  net: Network;
  ds: Dataset;
  indices: number[];
  settings: AttackSettings;
  files: TableFiles;
  shard?: Shard;
  queue?: string;
}

export async function runAttackTable(o: TableRun): Promise<number> {
  if (o.queue !== undefined) {
    const { submitAttack } = await import('../queue/submit-attack.js');
    return submitAttack({ ...o, queue: o.queue });
  }
  const positions = o.shard ? shardItems(o.indices.length, o.shard) : o.indices.map((_, j) => j);
  const say = (line: string) => (o.files.json ? process.stderr : process.stdout).write(line);
  if (o.shard) say(`shard ${o.shard.k}/${o.shard.n}: ${positions.length} of ${o.indices.length} images\n`);
  const rows: AttackRow[] = [];
  const t0 = performance.now();
  const finish = (partial: boolean) => {
    const seconds = (performance.now() - t0) / 1000;
    if (o.shard) writeAttackShard(o.files.out!, { shard: o.shard, partial, netArg: o.netArg, dataArg: o.dataArg ?? null, net: o.net, ds: o.ds, settings: o.settings, indices: o.indices, positions, rows, timeS: seconds });
    else writeAttackTable({ net: o.net.name, data: o.ds.name, settings: o.settings, indices: o.indices, rows, partial, seconds }, o.files);
  };
  const forget = onInterrupt(() => finish(true));
  const bar = createProgress(positions.length, `attack ${o.net.name}`);
  try {
    for (const [j, p] of positions.entries()) {
      const index = o.indices[p];
      const one = await attackImage(o.net, imageAt(o.ds, index), { net: o.net.name, data: o.ds.name, index, label: o.ds.labels[index], classNames: o.ds.classNames ?? null }, o.settings);
      rows.push(tableRow(one));
      bar.tick();
      say(rowLine(j + 1, positions.length, rows[j]));
    }
  } finally {
    bar.stop();
    forget();
  }
  finish(false);
  if (o.shard) say(`wrote shard ${o.shard.k}/${o.shard.n} to ${o.files.out}; merge the ${o.shard.n} shard files with: veribound merge --csv F.csv --out F.json SHARD_FILES...\n`);
  return 0;
}
