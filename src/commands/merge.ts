// `veribound merge`: the N shard files of a `run --shard` array job into what one machine would have
// written: results.csv in the instances' order. It refuses shard sets that are incomplete,
// duplicated or from different runs. (Sweep shards are not available yet with the new sweep.)
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { UserError } from '../errors.js';
import { checkWritable, writeFileAtomic } from '../outputs.js';
import { claimOutput } from '../output-lock.js';
import { RESULTS_HEADER } from '../shard/run-rows.js';
import { RUN_SHARD_MAGIC } from '../shard/run-shard.js';
import { shardItems } from '../shard/shard.js';

export const summary = 'merge the shard files of run --shard into one results CSV';

export const usage = `
usage: veribound merge [--csv results.csv] SHARD_FILE...

  SHARD_FILE...       every shard's file (run --shard K/N --csv F), in any order
  --csv FILE          the merged results CSV (default results.csv)

The output equals what one machine running the whole set would have written (times aside).
Per-instance files of run shards are named after the instance, so shards that share
--results-dir need no merging. (sweep --shard is not available yet.)
`;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { csv: { type: 'string', default: 'results.csv' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UserError(`merge: ${(err as Error).message.split('\n')[0]}; see veribound merge --help`);
  }
  const { values, positionals } = parsed;
  if (!positionals.length) throw new UserError('merge: give the shard files to merge (see veribound merge --help)');
  const texts = positionals.map((f) => {
    try {
      return fs.readFileSync(f, 'utf8');
    } catch (err) {
      throw new UserError(`merge: cannot read ${f} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  });
  checkWritable(values.csv, '--csv');
  claimOutput(values.csv, '--csv');
  const notRun = texts.findIndex((t) => !t.startsWith(RUN_SHARD_MAGIC));
  if (notRun >= 0) {
    const sweepish = texts[notRun].trimStart().startsWith('{');
    throw new UserError(`merge: ${positionals[notRun]} is not a run shard file${sweepish ? ' (merging sweep shards is not available yet)' : ''}`);
  }
  return mergeRunShards(positionals, texts, values.csv);
}

function mergeRunShards(files: string[], texts: string[], out: string): number {
  const head = /^# veribound run shard (\d+)\/(\d+) of (\d+) rows; list ([0-9a-f]+)$/;
  const lines = new Map<number, string>();
  let total = -1, n = -1, list = '';
  const seen = new Map<number, string>();
  texts.forEach((text, f) => {
    const rows = text.split('\n').filter((l) => l !== '');
    const m = head.exec(rows[0]);
    if (!m || rows[1] !== `row,${RESULTS_HEADER}`) throw new UserError(`merge: ${files[f]}: not a run shard file (bad header)`);
    const [k, N, M] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (total < 0) { total = M; n = N; list = m[4]; }
    if (N !== n || M !== total || m[4] !== list) throw new UserError(`merge: ${files[f]} is a shard of another run than ${files[0]} (shard count, row count or instance list differ)`);
    if (seen.has(k)) throw new UserError(`merge: ${files[f]} and ${seen.get(k)} are both shard ${k}/${n}`);
    seen.set(k, files[f]);
    const expect = new Set(shardItems(M, { k, n: N }));
    for (const line of rows.slice(2)) {
      const comma = line.indexOf(',');
      const i = Number(line.slice(0, comma));
      if (!expect.has(i)) throw new UserError(`merge: ${files[f]}: row ${line.slice(0, comma)} does not belong to shard ${k}/${N}`);
      expect.delete(i);
      lines.set(i, line.slice(comma + 1));
    }
    if (expect.size) throw new UserError(`merge: ${files[f]} (shard ${k}/${N}) lacks ${expect.size} of its rows (first: row ${[...expect][0]}); was that shard interrupted?`);
  });
  const missing = Array.from({ length: n }, (_, k) => k + 1).filter((k) => !seen.has(k));
  if (missing.length) throw new UserError(`merge: shard(s) ${missing.join(', ')} of ${n} are missing`);
  const body = Array.from({ length: total }, (_, i) => lines.get(i)! + '\n').join('');
  writeFileAtomic(out, `${RESULTS_HEADER}\n${body}`, '--csv');
  const counts: Record<string, number> = {};
  for (const l of lines.values()) {
    const result = l.split(',').at(-2)!;
    counts[result] = (counts[result] ?? 0) + 1;
  }
  process.stdout.write(`merged ${n} shard(s), ${total} instances: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}; results: ${out}\n`);
  return 0;
}
