// `run --instances CSV --queue URL`: one `verify` job per row; the workers run each through the
// local run's own runOne (a `veribound verify` child with the row's timeout), and send back the
// row, the result file and the log. They are written where the local run writes them: results.csv
// in the instances' order, and --results-dir's .result, .json and .log named after the instance
// (instance-files.ts), as the local run names them. --out/--json: the local run's JSON document
// (rows in the instances' order) plus `queue`, the overhead per job: enqueued → taken by a worker
// (waitS), finished → written here (collectS), the worker's time beyond the instance's (workS).
import fs from 'node:fs';
import path from 'node:path';
import type { Instance, RowResult } from '../commands/run.js';
import type { Backend } from '../engine.js';
import { createProgress } from '../progress.js';
import { OrderedResults, rowLine, runDocBody, runSummaryText, runTally } from '../shard/run-rows.js';
import { jsonDoc, printJson, writeJsonOut } from '../json-doc.js';
import { instanceFiles } from '../verify/instance-files.js';
import { readBlob } from './blobs.js';
import type { BlobRef, VerifyJob } from './jobs.js';
import { describeSeconds, secondsStats, submitJobs, type Timing } from './submit.js';
import { now } from '../clock.js';

/** What a worker sends back for a verify job. */
export interface VerifyJobResult {
  row: RowResult;
  /** The verify child's result file and --summary JSON (null where it wrote none), and its stderr. */
  resultText: string | null;
  summaryText: string | null;
  log: string;
  worker: string;
}

export async function submitRun(rows: Instance[], o: { queue: string; resume: boolean; root: string; backend: string; keepDir: string; out: string; json?: boolean; jsonOut?: string }): Promise<number> {
  const say = (line: string) => (o.json ? process.stderr : process.stdout).write(line);
  const blobs = new Map<string, Buffer>();
  const refs = new Map<string, BlobRef>();
  const ref = (rel: string, ext: string) => {
    const file = path.resolve(o.root, rel);
    if (!refs.has(file)) {
      const { ref, bytes } = readBlob(file, ext, rel);
      blobs.set(ref.sha256, bytes);
      refs.set(file, ref);
    }
    return { ...refs.get(file)!, name: rel };
  };
  const jobs: VerifyJob[] = rows.map((r) => ({ kind: 'verify', onnx: ref(r.onnx, '.onnx'), vnnlib: ref(r.vnnlib, '.vnnlib'), timeoutS: r.timeoutS, backend: o.backend as Backend }));
  let results: OrderedResults | undefined; // created once Redis answered: an unreachable queue leaves no file
  const all: RowResult[] = [];
  const byIndex: RowResult[] = new Array(rows.length);
  const timings: Timing[] = [];
  const t0 = now();
  const bar = createProgress(rows.length, 'instances (queue)');
  const keep = (i: number, ext: 'result' | 'summary' | 'log', text: string | null) => { if (text !== null) fs.writeFileSync(instanceFiles(o.keepDir, rows[i].onnx, rows[i].vnnlib)[ext], text); };
  const code = await submitJobs<VerifyJobResult>({
    queue: o.queue, resume: o.resume, what: 'run', jobs, blobs, say,
    onReady() { results = new OrderedResults(o.out, rows); },
    onResult(i, r, timing) {
      keep(i, 'result', r.resultText);
      keep(i, 'summary', r.summaryText);
      keep(i, 'log', r.log);
      results!.add(i, r.row);
      all.push(r.row);
      byIndex[i] = r.row;
      timings.push({ ...timing, workS: timing.workS - r.row.timeS });
      bar.tick();
      say(rowLine(all.length, rows.length, rows[i], r.row).replace(/\n$/, ` [row ${i}, ${r.worker}]\n`));
    },
    onFailed(i, reason) {
      const row: RowResult = { result: 'error', timeS: 0, decidedBy: null, stages: [], error: `job failed: ${reason.slice(0, 300)}` };
      keep(i, 'log', `${row.error}\n`);
      results!.add(i, row);
      all.push(row);
      byIndex[i] = row;
      bar.tick();
      say(rowLine(all.length, rows.length, rows[i], row).replace(/\n$/, ` [row ${i}]\n`));
    },
  });
  bar.stop();
  if (code !== 0) return code;
  const timeS = (now() - t0) / 1000;
  say(runSummaryText(all.length, timeS, runTally(all), o.out, o.keepDir));
  say(`queue: enqueued → taken ${describeSeconds(timings.map((t) => t.waitS))}; finished → written ${describeSeconds(timings.map((t) => t.collectS))}; ` +
    `worker's job time beyond the instance's ${describeSeconds(timings.map((t) => t.workS))}\n`);
  if (o.json || o.jsonOut !== undefined) {
    const doc = jsonDoc({
      ...runDocBody({ rows: byIndex.map((r, i) => ({ inst: rows[i], r })), resumed: 0, csv: o.out, resultsDir: o.keepDir, root: o.root, timeS }),
      queue: { jobs: jobs.length, waitS: secondsStats(timings.map((t) => t.waitS)), collectS: secondsStats(timings.map((t) => t.collectS)), workS: secondsStats(timings.map((t) => t.workS)) },
    }, { engine: o.backend });
    writeJsonOut(o.jsonOut, doc);
    if (o.json) printJson(doc);
  }
  return 0;
}
