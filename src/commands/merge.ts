// `veribound merge`: the N shard files of a `run --shard` or `sweep --shard` array job into what one
// machine would have written: for run, results.csv in the instances' order; for sweep, the sweep's
// table, JSON, CSV, per-pair CSV, plot and page (shard/sweep-shard.ts). It refuses shard sets that
// are incomplete, duplicated, interrupted or from different runs.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { UserError } from '../errors.js';
import { checkWritable, writeFileAtomic } from '../outputs.js';
import { claimOutput } from '../output-lock.js';
import { RESULTS_HEADER } from '../shard/run-rows.js';
import { RUN_SHARD_MAGIC } from '../shard/run-shard.js';
import { shardItems } from '../shard/shard.js';
import { isSweepShard } from '../shard/sweep-shard.js';
import { checkPlotPath } from '../sweep/output.js';
import { checkJsonOut } from '../json-doc.js';

export const summary = 'merge the shard files of run --shard or sweep --shard into one result';

export const usage = `
usage: veribound merge [--csv FILE] SHARD_FILE...                          (run shards)
       veribound merge [--out F.json --csv F --pairs F --plot F --html F] SHARD_FILE...  (sweep)

  SHARD_FILE...       every shard's file (run --shard K/N --csv F, or sweep --shard K/N --out F),
                      in any order
  --csv FILE          run: the merged results CSV (default results.csv);
                      sweep: one row per (method, eps), as sweep --csv writes it
  --out FILE.json     sweep: the sweep's JSON document
  --pairs FILE.csv    sweep: one row per (input, eps)
  --plot FILE.svg     sweep: the robust-accuracy curve (.png: rasterised)
  --html FILE.html    sweep: the report page
  --json              sweep: the JSON document on stdout instead of the table

The output equals what one machine running the whole set would have written (times and the
fields docs/scale-out.md lists aside). Per-instance files of run shards are named after the
instance, so shards that share --results-dir need no merging. A sweep merge loads the network
and the inputs again (from the paths the shards were given) and checks they are the same.
`;

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { csv: { type: 'string' }, out: { type: 'string' }, pairs: { type: 'string' }, plot: { type: 'string' }, html: { type: 'string' }, json: { type: 'boolean', default: false } },
      allowPositionals: true, strict: true,
    });
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
  if (isSweepShard(texts[0])) {
    const bad = texts.findIndex((t) => !isSweepShard(t));
    if (bad >= 0) throw new UserError(`merge: ${positionals[bad]} is not a sweep shard file (${positionals[0]} is)`);
    checkPlotPath(values.plot);
    checkJsonOut(values.out, 'the per-(method, eps) CSV is --csv FILE');
    for (const flag of ['out', 'csv', 'pairs', 'plot', 'html'] as const) if (values[flag] !== undefined) claimOutput(values[flag]!, `--${flag}`);
    const { mergeSweepShards } = await import('../shard/sweep-shard.js');
    return mergeSweepShards(positionals, texts, { out: values.out, csv: values.csv, pairs: values.pairs, plot: values.plot, html: values.html, json: values.json });
  }
  const sweepOnly = (['out', 'pairs', 'plot', 'html'] as const).find((f) => values[f] !== undefined) ?? (values.json ? 'json' : undefined);
  if (sweepOnly) throw new UserError(`merge: --${sweepOnly} is for sweep shards; run shards merge into --csv`);
  const csv = values.csv ?? 'results.csv';
  checkWritable(csv, '--csv');
  claimOutput(csv, '--csv');
  const notRun = texts.findIndex((t) => !t.startsWith(RUN_SHARD_MAGIC));
  if (notRun >= 0) throw new UserError(`merge: ${positionals[notRun]} is not a run shard file${isSweepShard(texts[notRun]) ? ` (it is a sweep shard; ${positionals[0]} is not)` : ''}`);
  return mergeRunShards(positionals, texts, csv);
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
