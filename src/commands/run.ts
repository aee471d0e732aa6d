// `veribound run`: every row of a competition instances CSV (onnx, vnnlib, timeout), each in
// its own child process (`veribound verify`), so that a crash or a runaway instance costs
// only its own row. Results go to a CSV as rows finish; counts and a stage breakdown at the end.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { UserError } from '../errors.js';
import { parseBackend } from '../engine.js';
import { createProgress } from '../progress.js';
import { STAGES, type StageRecord } from '../verify/outcome.js';

export const summary = 'run a VNN-COMP instances CSV through verify, one process per instance';

export const usage = `
usage: veribound run --instances CSV [--root DIR] [--out results.csv] [options]

  --instances CSV     rows "onnx,vnnlib,timeout" (paths relative to --root)
  --root DIR          folder the paths are relative to (default: the CSV's folder)
  --out FILE          results CSV "onnx,vnnlib,result,time_s", written as rows finish
                      (default results.csv)
  --filter S          only rows whose onnx or vnnlib path contains S
  --limit N           only the first N rows (after --filter)
  --backend B         auto (default), gpu or cpu, passed to verify
  --results-dir DIR   keep each instance's result file and stderr log there
  --shard K/N         only the K-th of N round-robin parts (K = auto: from SLURM_ARRAY_TASK_ID or
                      JOB_COMPLETION_INDEX); --out is then a shard file for 'veribound merge'
  --queue URL         send the instances to 'veribound worker's on Redis (redis:// or rediss://)
  --resume            with --queue: re-attach to this run's jobs already in the queue

Each instance runs as 'veribound verify' in a child process, killed 10% (at least 10 s) after
its timeout; a killed instance counts as timeout, a crashed one as error.
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

export interface RowResult { result: string; timeS: number; decidedBy: string | null; stages: StageRecord[]; error?: string }

const cliPath = fileURLToPath(new URL('../cli.js', import.meta.url));

export function runOne(inst: Instance, root: string, backend: string, keepDir: string, index: number): Promise<RowResult> {
  const resultFile = path.join(keepDir, `${index}.result`);
  const summaryFile = path.join(keepDir, `${index}.json`);
  const logFile = path.join(keepDir, `${index}.log`);
  const args = [cliPath, 'verify', '--net', path.resolve(root, inst.onnx), '--spec', path.resolve(root, inst.vnnlib),
    '--timeout', String(inst.timeoutS), '--out', resultFile, '--summary', summaryFile, '--backend', backend];
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    let killed = false;
    const timer = setTimeout(() => { killed = true; child.kill('SIGKILL'); }, (inst.timeoutS + Math.max(10, 0.1 * inst.timeoutS)) * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const timeS = (Date.now() - started) / 1000;
      fs.writeFileSync(logFile, stderr);
      if (killed) return resolve({ result: 'timeout', timeS, decidedBy: null, stages: [], error: 'killed after its timeout' });
      const answer = stdout.split('\n')[0].trim();
      let info: { decidedBy: string | null; stages: StageRecord[] } = { decidedBy: null, stages: [] };
      try { info = JSON.parse(fs.readFileSync(summaryFile, 'utf8')); } catch { /* crashed before writing it */ }
      if (code === 0 && ['sat', 'unsat', 'timeout', 'unknown'].includes(answer)) return resolve({ result: answer, timeS, ...info });
      const last = stderr.trim().split('\n').pop() ?? '';
      resolve({ result: 'error', timeS, decidedBy: null, stages: [], error: `exit ${code}: ${last.slice(0, 300)}` });
    });
  });
}

export const csvCell = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      instances: { type: 'string' },
      root: { type: 'string' },
      out: { type: 'string', default: 'results.csv' },
      filter: { type: 'string' },
      limit: { type: 'string' },
      backend: { type: 'string', default: 'auto' },
      'results-dir': { type: 'string' },
      shard: { type: 'string' },
      queue: { type: 'string' },
      resume: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  if (!values.instances) throw new UserError('run: --instances CSV is required');
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
  const keepDir = values['results-dir'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'veribound-run-'));
  fs.mkdirSync(keepDir, { recursive: true });
  const out = values.out!;
  if (values.shard !== undefined || values.queue !== undefined) {
    return (await import('../shard/run-shard.js')).scaleOutRun(rows, { shard: values.shard, queue: values.queue, resume: values.resume!, root, backend, keepDir, out });
  }
  try {
    fs.writeFileSync(out, 'onnx,vnnlib,result,time_s\n');
  } catch (err) {
    throw new UserError(`run: cannot write ${out}: ${(err as Error).message}`);
  }

  const counts: Record<string, number> = { unsat: 0, sat: 0, timeout: 0, unknown: 0, error: 0 };
  const decided: Record<string, number> = {};
  const stageTime: Record<string, number> = {};
  const t0 = Date.now();
  const bar = createProgress(rows.length, 'instances');
  for (const [i, inst] of rows.entries()) {
    const r = await runOne(inst, root, backend, keepDir, i);
    fs.appendFileSync(out, `${csvCell(inst.onnx)},${csvCell(inst.vnnlib)},${r.result},${r.timeS.toFixed(2)}\n`);
    counts[r.result]++;
    if (r.decidedBy) decided[r.decidedBy] = (decided[r.decidedBy] ?? 0) + 1;
    for (const s of r.stages) stageTime[s.stage] = (stageTime[s.stage] ?? 0) + s.timeS;
    bar.tick();
    process.stdout.write(`[${i + 1}/${rows.length}] ${inst.onnx} ${inst.vnnlib}: ${r.result}${r.decidedBy ? ` (${r.decidedBy})` : ''} ${r.timeS.toFixed(1)}s${r.error ? ` — ${r.error}` : ''}\n`);
  }
  bar.stop();
  const total = (Date.now() - t0) / 1000;
  process.stdout.write(`\n${rows.length} instances in ${total.toFixed(1)}s: ` +
    Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ') + '\n');
  process.stdout.write('stage        decided  time_s\n');
  for (const s of STAGES) process.stdout.write(`${s.padEnd(12)} ${String(decided[s] ?? 0).padStart(7)}  ${(stageTime[s] ?? 0).toFixed(1).padStart(6)}\n`);
  process.stdout.write(`results: ${out}; per-instance result files and logs: ${keepDir}\n`);
  return 0;
}
