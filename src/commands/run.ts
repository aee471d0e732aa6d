// `veribound run`: every row of a competition instances CSV (onnx, vnnlib, timeout), each in
// its own child process (`veribound verify`), so that a crash or a runaway instance costs
// only its own row. Results go to a CSV as rows finish (the competition's columns); counts and a
// stage breakdown at the end. Nothing is lost: finished rows stay on Ctrl-C (the running child
// is killed, never orphaned), --resume skips the rows already answered, and an existing results
// CSV is never truncated without --overwrite.
import { RESULTS_HEADER, resultLine, rowLine, runSummaryText, runTally, runDocBody } from '../shard/run-rows.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { parseBackend } from '../engine.js';
import { createProgress } from '../progress.js';
import type { StageRecord } from '../verify/outcome.js';
import { instanceFiles } from '../verify/instance-files.js';
import { parseOptions } from '../cli-args.js';
import { checkJsonOut, jsonDoc, printJson, writeJsonOut } from '../json-doc.js';
import { claimOutput } from '../output-lock.js';
import { installInterruptHandler, onInterrupt } from '../interrupt.js';
import { writeFileAtomic } from '../outputs.js';
import { now } from '../clock.js';

export const summary = 'run a VNN-COMP instances CSV through verify, one process per instance';

export const usage = `
usage: veribound run --instances CSV [--root DIR] [--csv results.csv] [options]

  --instances CSV     rows "onnx,vnnlib,timeout" (paths relative to --root)
  --root DIR          folder the paths are relative to (default: the CSV's folder)
  --csv FILE          results CSV "onnx,vnnlib,result,time_s" (the competition's columns), written
                      as rows finish (default results.csv)
  --resume            keep the rows --csv already answers and run only the others
  --overwrite         start --csv afresh when it already has rows (without --resume or this,
                      an existing results CSV is an error, never silently truncated)
  --filter S          only rows whose onnx or vnnlib path contains S
  --limit N           only the first N rows (after --filter)
  --backend B         auto (default), gpu or cpu, passed to verify
  --results-dir DIR   keep each instance's result file, JSON and stderr log there
                      (named after the instance; veribound check reads them)
  --json              one JSON document on stdout at the end: {"instances", "counts",
                      "decidedBy", "stageTimeS", "rows": [{"onnx", "vnnlib", "result", "timeS",
                      "decidedBy", "error"}], "csv", "resultsDir", "meta"}; progress goes to stderr
  --out FILE.json     write that JSON document to a file
  --shard K/N         only the K-th of N round-robin parts (K = auto: from SLURM_ARRAY_TASK_ID or
                      JOB_COMPLETION_INDEX); --csv is then a shard file for 'veribound merge'
  --queue URL         send the instances to 'veribound worker's on Redis (redis:// or rediss://);
                      with --resume: re-attach to this run's jobs already in the queue

Each instance runs as 'veribound verify' in a child process, killed 10% (at least 10 s) after
its timeout; a killed instance counts as timeout, a crashed one as error. Ctrl-C kills the
running instance and exits with 130; the rows already finished stay in --csv.
`;

export interface Instance { onnx: string; vnnlib: string; timeoutS: number; line: number }

export function readInstances(file: string): Instance[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read instances file ${file}: ${(err as Error).message}`);
  }
  const out: Instance[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length !== 3) throw new UserError(`${file}:${i + 1}: expected 'onnx,vnnlib,timeout', got ${cells.length} fields in '${line}'`);
    const timeoutS = Number(cells[2]);
    if (!(timeoutS > 0)) throw new UserError(`${file}:${i + 1}: timeout '${cells[2]}' is not a positive number`);
    out.push({ onnx: cells[0], vnnlib: cells[1], timeoutS, line: i + 1 });
  });
  if (!out.length) throw new UserError(`${file}: no instances`);
  return out;
}

const ANSWERS = ['sat', 'unsat', 'timeout', 'unknown'];

/** Splits one CSV line (quoted cells as csvCell writes them). */
export function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cur = '', quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') quoted = false; else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { cells.push(cur); cur = ''; } else cur += ch;
  }
  cells.push(cur);
  return cells;
}

export interface ResultRow { onnx: string; vnnlib: string; result: string; timeS: number }

/** The rows of a results CSV (header checked). */
export function readResults(file: string): ResultRow[] {
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!lines.length) return [];
  if (lines[0].trim() !== RESULTS_HEADER) throw new UserError(`${file}: not a results CSV (its first line is not '${RESULTS_HEADER}')`);
  return lines.slice(1).map((l, i) => {
    const c = csvCells(l);
    if (c.length !== 4) throw new UserError(`${file}:${i + 2}: expected 4 fields, got ${c.length}`);
    return { onnx: c[0], vnnlib: c[1], result: c[2], timeS: Number(c[3]) };
  });
}

export interface RowResult { result: string; timeS: number; decidedBy: string | null; stages: StageRecord[]; error?: string }

const cliPath = fileURLToPath(new URL('../cli.js', import.meta.url));

export function runOne(inst: Instance, root: string, backend: string, keepDir: string): Promise<RowResult> {
  const files = instanceFiles(keepDir, inst.onnx, inst.vnnlib);
  for (const f of Object.values(files)) fs.rmSync(f, { force: true }); // an earlier attempt's
  const args = [cliPath, 'verify', '--net', path.resolve(root, inst.onnx), '--spec', path.resolve(root, inst.vnnlib),
    '--timeout', String(inst.timeoutS), '--result', files.result, '--out', files.summary, '--backend', backend];
  const started = now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const forget = onInterrupt(() => { child.kill('SIGKILL'); });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    let killed = false;
    const timer = setTimeout(() => { killed = true; child.kill('SIGKILL'); }, (inst.timeoutS + Math.max(10, 0.1 * inst.timeoutS)) * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      forget();
      const timeS = (now() - started) / 1000;
      fs.writeFileSync(files.log, stderr);
      if (killed) return resolve({ result: 'timeout', timeS, decidedBy: null, stages: [], error: 'killed after its timeout' });
      const answer = stdout.split('\n')[0].trim();
      let info: { decidedBy: string | null; stages: StageRecord[] } = { decidedBy: null, stages: [] };
      try { info = JSON.parse(fs.readFileSync(files.summary, 'utf8')); } catch { /* crashed before writing it */ }
      if (code === 0 && ANSWERS.includes(answer)) return resolve({ result: answer, timeS, decidedBy: info.decidedBy, stages: info.stages });
      const last = stderr.trim().split('\n').pop() ?? '';
      resolve({ result: 'error', timeS, decidedBy: null, stages: [], error: `exit ${code}: ${last.slice(0, 300)}` });
    });
  });
}

export const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const csvLine = (r: ResultRow) => `${resultLine(r, r)}\n`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseOptions('run', argv, {
    instances: { type: 'string' },
    root: { type: 'string' },
    csv: { type: 'string', default: 'results.csv' },
    resume: { type: 'boolean', default: false },
    overwrite: { type: 'boolean', default: false },
    filter: { type: 'string' },
    limit: { type: 'string' },
    backend: { type: 'string', default: 'auto' },
    'results-dir': { type: 'string' },
    json: { type: 'boolean', default: false },
    out: { type: 'string' },
    shard: { type: 'string' },
    queue: { type: 'string' },
  });
  // Ctrl-C: --queue handles it itself (its jobs stay queued for --resume); otherwise the common
  // handler kills the running verify child, removes the output locks and exits 130
  if (values.queue === undefined) installInterruptHandler('run');
  if (!values.instances) throw new UserError('run: --instances CSV is required');
  if (values.resume && values.overwrite) throw new UserError('run: --resume keeps the answered rows, --overwrite drops them; give one');
  checkJsonOut(values.out, 'the results CSV is --csv FILE');
  const backend = parseBackend(values.backend);
  const root = values.root ?? path.dirname(values.instances);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new UserError(`run: --root ${root} is not a folder`);
  let rows = readInstances(values.instances);
  if (values.filter) rows = rows.filter((r) => r.onnx.includes(values.filter!) || r.vnnlib.includes(values.filter!));
  if (values.limit !== undefined) {
    const n = Number(values.limit);
    if (!Number.isInteger(n) || n < 1) throw new UserError(`run: --limit '${values.limit}': expected a positive integer`);
    rows = rows.slice(0, n);
  }
  if (!rows.length) throw new UserError(`run: no instance of ${values.instances} matches --filter '${values.filter}'`);
  const csv = values.csv;
  claimOutput(csv, '--csv');
  if (values.out !== undefined) claimOutput(values.out, '--out');

  if (values.shard !== undefined || values.queue !== undefined) {
    // a shard file or a queued run's CSV is written whole; one with rows is kept unless --overwrite
    // (run --queue --resume re-attaches to its jobs and rewrites the CSV it was writing)
    const headerLines = values.shard !== undefined ? 2 : 1;
    const hasRows = fs.existsSync(csv) && fs.readFileSync(csv, 'utf8').split('\n').filter((l) => l.trim() !== '').length > headerLines;
    if (hasRows && !values.overwrite && !(values.queue !== undefined && values.resume)) {
      throw new UserError(`run: --csv ${csv} already exists; add --overwrite to replace it${values.queue !== undefined ? ' or --resume to re-attach to its queued jobs' : ''}`);
    }
    if ((values.json || values.out !== undefined) && values.shard !== undefined) throw new UserError('run: --json and --out are not available with --shard yet (the rows go to --csv)');
    const keepDir = values['results-dir'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'veribound-run-'));
    fs.mkdirSync(keepDir, { recursive: true });
    return (await import('../shard/run-shard.js')).scaleOutRun(rows, { shard: values.shard, queue: values.queue, resume: values.resume, root, backend, keepDir, out: csv, json: values.json, jsonOut: values.out });
  }
  // what --csv already holds: kept with --resume, an error without --resume or --overwrite
  const previous = fs.existsSync(csv) ? readResults(csv) : [];
  if (previous.length && !values.resume && !values.overwrite) {
    throw new UserError(`run: --csv ${csv} already has ${previous.length} row(s); add --resume to skip the answered ones or --overwrite to start over`);
  }
  const key = (onnx: string, vnnlib: string) => `${onnx}\n${vnnlib}`;
  const answered = new Map<string, ResultRow>();
  if (values.resume) for (const r of previous) if (ANSWERS.includes(r.result)) answered.set(key(r.onnx, r.vnnlib), r);
  // rewrite whole: the answered rows stay, errored ones are run again
  writeFileAtomic(csv, RESULTS_HEADER + '\n' + [...answered.values()].map(csvLine).join(''), '--csv');
  const todo = rows.filter((r) => !answered.has(key(r.onnx, r.vnnlib)));

  const keepDir = values['results-dir'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'veribound-run-'));
  fs.mkdirSync(keepDir, { recursive: true });
  const say = (line: string) => (values.json ? process.stderr : process.stdout).write(line);
  if (values.resume) say(`resuming ${csv}: ${rows.length - todo.length} of ${rows.length} instances already answered\n`);

  const done: { inst: Instance; r: RowResult }[] = [];
  const results: RowResult[] = [];
  const t0 = now();
  const bar = createProgress(todo.length, 'instances');
  for (const [i, inst] of todo.entries()) {
    const r = await runOne(inst, root, backend, keepDir);
    fs.appendFileSync(csv, csvLine({ onnx: inst.onnx, vnnlib: inst.vnnlib, result: r.result, timeS: r.timeS }));
    results.push(r);
    done.push({ inst, r });
    bar.tick();
    say(rowLine(i + 1, todo.length, inst, r));
  }
  bar.stop();
  const total = (now() - t0) / 1000;
  const { counts, decided, stageTime } = runTally(results);
  say(runSummaryText(todo.length, total, { counts, decided, stageTime }, csv, keepDir));
  const doc = jsonDoc(runDocBody({ rows: done, resumed: rows.length - todo.length, csv, resultsDir: keepDir, root, timeS: total }), { engine: backend });
  writeJsonOut(values.out, doc);
  if (values.json) printJson(doc);
  return 0;
}
