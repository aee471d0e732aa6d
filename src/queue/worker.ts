// `veribound worker`: a BullMQ worker on the veribound queue. Each job is validated (jobs.ts) before
// anything runs, its files come from Redis by sha256 into --work-dir, and it runs through the
// local commands' own code: a verify job through `run`'s runOne (a `veribound verify` child killed
// after its timeout), a sweep block through the local sweep's sweepBlock in a block-child.js
// process killed after the block's time limit. Every job runs in a child, so this process's event loop stays
// free to renew the job's lock; a worker that dies (even SIGKILLed) stops renewing it, and after
// --stall-s BullMQ's stall check hands the job to another worker.
//
// Outcomes: a verify instance that fails on bad input is that row's `error` result (a completed
// job: the same row a local run writes); a sweep block on bad input (its child exits 2) or past its
// time limit, and a job that is not veribound's or has bad fields, fail at once without retries
// (UnrecoverableError); a block child that crashes otherwise is retried once (attempts: 2).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UnrecoverableError, Worker, type Job as BullJob } from 'bullmq';
import { runOne } from '../commands/run.js';
import { instanceFiles } from '../verify/instance-files.js';
import { connect, parseQueueUrl, KEY_PREFIX, QUEUE_NAME } from './connection.js';
import { fetchBlob } from './blobs.js';
import { validateJob, type SweepBlockJob, type VerifyJob } from './jobs.js';
import type { VerifyJobResult } from './submit-run.js';
import type { BlockResult } from '../sweep/block-result.js';
import type { BlockChildInput } from './block-child.js';

const blockChild = fileURLToPath(new URL('./block-child.js', import.meta.url));

/** What a worker sends back for a sweep block. */
export interface SweepBlockJobResult {
  result: BlockResult;
  worker: string;
}

export interface WorkerOptions {
  queue: string;
  concurrency: number;
  workDir: string;
  /** Lock duration and stall-check interval, in seconds. */
  stallS: number;
}

const tail = (s: string, n: number) => (s.length > n ? s.slice(s.length - n) : s);

export async function runWorker(o: WorkerOptions): Promise<number> {
  const target = parseQueueUrl(o.queue);
  const client = await connect(target);
  const blobDir = path.join(o.workDir, 'blobs');
  const jobsDir = path.join(o.workDir, 'jobs');
  fs.mkdirSync(blobDir, { recursive: true });
  fs.mkdirSync(jobsDir, { recursive: true });
  const me = `${os.hostname()}:${process.pid}`;
  let stopping = false;

  const processor = async (job: BullJob): Promise<VerifyJobResult | SweepBlockJobResult> => {
    let data;
    try {
      data = validateJob(job.name, job.data);
    } catch (err) {
      throw new UnrecoverableError((err as Error).message);
    }
    const dir = path.join(jobsDir, `${String(job.id).replace(/[^A-Za-z0-9_-]/g, '_')}-${crypto.randomBytes(4).toString('hex')}`);
    fs.mkdirSync(dir);
    try {
      return data.kind === 'verify' ? await verifyJob(data, dir) : await sweepBlockJob(data, dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  const blob = async (ref: VerifyJob['onnx']) => {
    try {
      return await fetchBlob(client, ref, blobDir);
    } catch (err) {
      throw new UnrecoverableError((err as Error).message);
    }
  };

  const verifyJob = async (d: VerifyJob, dir: string): Promise<VerifyJobResult> => {
    const onnx = await blob(d.onnx), vnnlib = await blob(d.vnnlib);
    const row = await runOne({ onnx, vnnlib, timeoutS: d.timeoutS, line: 0 }, dir, d.backend, dir);
    // Ctrl-C reaches the verify child too: its error row is the interrupt's, not the instance's
    if (stopping && row.result === 'error') throw new Error('the worker was interrupted during the instance');
    const read = (f: string) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : null);
    const files = instanceFiles(dir, onnx, vnnlib);
    return { row, resultText: read(files.result), summaryText: read(files.summary), log: tail(read(files.log) ?? '', 64 * 1024), worker: me };
  };

  const sweepBlockJob = async (d: SweepBlockJob, dir: string): Promise<SweepBlockJobResult> => {
    const input: BlockChildInput = { netFile: await blob(d.net), job: d };
    const inFile = path.join(dir, 'block.json'), outFile = path.join(dir, 'result.json');
    fs.writeFileSync(inFile, JSON.stringify(input));
    const { code, signal, stderr, killed } = await new Promise<{ code: number | null; signal: string | null; stderr: string; killed: boolean }>((resolve) => {
      const child = spawn(process.execPath, [blockChild, inFile, outFile], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      let stderr = '', killed = false;
      child.stderr!.on('data', (b) => { stderr = tail(stderr + b, 64 * 1024); });
      const timer = setTimeout(() => { killed = true; child.kill('SIGKILL'); }, d.timeoutS * 1000);
      child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stderr, killed }); });
    });
    const last = stderr.trim().split('\n').pop() ?? '';
    if (killed) throw new UnrecoverableError(`the block ran past its time limit of ${d.timeoutS} s`);
    if (code === 2) throw new UnrecoverableError(last.replace(/^veribound: /, '').slice(0, 500));
    if (code !== 0 || !fs.existsSync(outFile)) throw new Error(`the block's process ${signal ? `was killed (${signal})` : `exited ${code}`}: ${last.slice(0, 500)}`);
    return { result: JSON.parse(fs.readFileSync(outFile, 'utf8')) as BlockResult, worker: me };
  };

  const worker = new Worker(QUEUE_NAME, processor, {
    connection: client, prefix: KEY_PREFIX, concurrency: o.concurrency,
    lockDuration: o.stallS * 1000, stalledInterval: o.stallS * 1000, maxStalledCount: 2,
  });
  const name = (job: BullJob) => {
    const d = job.data as { onnx?: { name?: string }; vnnlib?: { name?: string }; labels?: unknown[] } | undefined;
    return `${job.id} (${String(job.name).slice(0, 40)}${d?.onnx ? ` ${String(d.onnx.name)} ${String(d.vnnlib?.name)}` : Array.isArray(d?.labels) ? ` ${d!.labels!.length} input(s)` : ''})`;
  };
  worker.on('active', (job) => process.stdout.write(`worker ${me}: started ${name(job)}\n`));
  worker.on('completed', (job, r) => process.stdout.write(`worker ${me}: finished ${job.id}${(r as VerifyJobResult)?.row ? `: ${(r as VerifyJobResult).row.result}` : ''}\n`));
  worker.on('failed', (job, err) => process.stdout.write(`worker ${me}: failed ${job?.id}: ${err.message}\n`));
  worker.on('error', (err) => process.stderr.write(`veribound: worker: ${err.message}\n`));
  process.stdout.write(`worker ${me}: taking jobs from ${target.display} (concurrency ${o.concurrency}, work dir ${o.workDir})\n`);

  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      if (stopping) { process.exit(130); }
      stopping = true;
      process.stderr.write(`veribound: worker: ${signal}: finishing the job(s) in hand, then stopping (again to stop at once)\n`);
      worker.close().finally(() => { client.disconnect(); resolve(130); });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
