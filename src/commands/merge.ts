// `veribound merge`: the N shard files of a `run --shard` or `sweep --shard` array job into what one
// machine would have written — results.csv in the instances' order, or the sweep's JSON, CSV, plot
// and HTML page. It refuses shard sets that are incomplete, duplicated or from different runs.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { UserError } from '../errors.js';
import { checkWritable, writeFileAtomic } from '../outputs.js';
import { RESULTS_HEADER } from '../shard/run-rows.js';
import { RUN_SHARD_MAGIC } from '../shard/run-shard.js';
import { shardItems } from '../shard/shard.js';
import { mergeSweepShards, SWEEP_SHARD_KIND, type SweepShardFile } from '../shard/sweep-shard.js';

export const summary = 'merge the shard files of run --shard or sweep --shard into one run\'s outputs';

export const usage = `
usage: veribound merge --out FILE [--csv FILE --plot FILE.svg --html FILE.html] SHARD_FILE...

  SHARD_FILE...       every shard's file (run --shard K/N --out F, or sweep --shard K/N --out F),
                      in any order
  --out FILE          run shards: the results CSV (default results.csv); sweep shards: the JSON
  --csv, --plot, --html   sweep shards: the sweep's CSV, SVG plot and HTML page

The output equals what one machine running the whole set would have written (times aside).
Per-instance files of run shards are named by row, so shards that share --results-dir need no merging.
`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { out: { type: 'string' }, csv: { type: 'string' }, plot: { type: 'string' }, html: { type: 'string' } },
    allowPositionals: true,
  });
  if (!positionals.length) throw new UserError('merge: give the shard files to merge (see veribound merge --help)');
  const texts = positionals.map((f) => {
    try {
      return fs.readFileSync(f, 'utf8');
    } catch (err) {
      throw new UserError(`merge: cannot read ${f} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  });
  for (const [flag, f] of Object.entries({ '--out': values.out, '--csv': values.csv, '--plot': values.plot, '--html': values.html })) {
    if (f !== undefined) checkWritable(f, flag);
  }
  const isRun = texts.map((t) => t.startsWith(RUN_SHARD_MAGIC));
  if (isRun.every(Boolean)) {
    if (values.csv !== undefined || values.plot !== undefined || values.html !== undefined) throw new UserError('merge: run shards merge into one results CSV (--out); --csv, --plot and --html are for sweep shards');
    return mergeRunShards(positionals, texts, values.out ?? 'results.csv');
  }
  if (isRun.some(Boolean)) throw new UserError(`merge: ${positionals[isRun.indexOf(false)]} is not a run shard file, ${positionals[isRun.indexOf(true)]} is`);
  const docs = texts.map((t, i) => {
    let doc: SweepShardFile;
    try {
      doc = JSON.parse(t);
    } catch {
      throw new UserError(`merge: ${positionals[i]} is neither a run shard file nor a sweep shard file (not JSON)`);
    }
    if (doc?.kind !== SWEEP_SHARD_KIND) throw new UserError(`merge: ${positionals[i]} is not a sweep shard file (no "kind": "${SWEEP_SHARD_KIND}")`);
    return doc;
  });
  if (values.out === undefined && values.csv === undefined && values.plot === undefined && values.html === undefined) {
    throw new UserError('merge: sweep shards need at least one of --out, --csv, --plot, --html');
  }
  return mergeSweepShards(positionals, docs, { out: values.out, csv: values.csv, plot: values.plot, html: values.html });
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
  writeFileAtomic(out, `${RESULTS_HEADER}\n${body}`, '--out');
  const counts: Record<string, number> = {};
  for (const l of lines.values()) {
    const result = l.split(',').at(-2)!;
    counts[result] = (counts[result] ?? 0) + 1;
  }
  process.stdout.write(`merged ${n} shard(s), ${total} instances: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}; results: ${out}\n`);
  return 0;
}
