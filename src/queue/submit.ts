// The submitter's side of the queue, shared by `run --queue` and `sweep --queue`: upload the files,
// enqueue one BullMQ job per piece of work, hand each result to the caller exactly once as it
// arrives, and clean up. Job ids are the submission's content hash plus the piece's position, so
// the same submission always names the same jobs: BullMQ ignores a job added twice, and a
// submitter that was interrupted re-attaches and collects what finished meanwhile (`run` asks for
// --resume and otherwise refuses to start over jobs that are still there; `sweep`, whose --resume
// belongs to its checkpoints, re-attaches whenever it finds them). A worker killed mid-job
// leaves a stalled job that BullMQ hands to another worker; its result still arrives once here.
import crypto from 'node:crypto';
import { Queue } from 'bullmq';
import { UserError } from '../errors.js';
import { connect, parseQueueUrl, KEY_PREFIX, QUEUE_NAME } from './connection.js';
import { uploadBlobs } from './blobs.js';
import type { Job } from './jobs.js';

export interface Timing {
  /** Enqueued → taken by a worker, and finished → handed to the caller, in seconds. */
  waitS: number;
  collectS: number;
  /** The worker's time on it (taken → finished). */
  workS: number;
}

export interface SubmitOptions<R> {
  queue: string;
  /**
   * Jobs of this very submission already in the queue: true collects them (--resume), false
   * refuses to start (a second submitter waiting on the same jobs), 'auto' collects them.
   */
  resume: boolean | 'auto';
  /** For messages: 'run' or 'sweep'. */
  what: string;
  jobs: Job[];
  blobs: Map<string, Buffer>;
  /** Called once Redis answered and the jobs are in the queue (before any result): outputs start here. */
  onReady?(): void;
  /** Called once per job, in arrival order. */
  onResult(index: number, result: R, timing: Timing): void;
  onFailed(index: number, reason: string): void;
  /** Where the submitter's own lines go (default stdout; `sweep --json` keeps stdout for its document). */
  say?(line: string): void;
  /** Attempts per job before it counts as failed (stalls are BullMQ's own retries on top). */
  attempts?: number;
  pollMs?: number;
}

/** Resolves with 0 once every job has a result, or 130 when interrupted (the jobs stay queued). */
export async function submitJobs<R>(o: SubmitOptions<R>): Promise<number> {
  const target = parseQueueUrl(o.queue);
  const client = await connect(target);
  const queue = new Queue(QUEUE_NAME, { connection: client, prefix: KEY_PREFIX });
  const say = o.say ?? ((line: string) => process.stdout.write(line));
  let interrupted = false;
  const onSigint = () => { interrupted = true; };
  process.on('SIGINT', onSigint);
  try {
    const runId = crypto.createHash('sha256').update(JSON.stringify(o.jobs)).digest('hex').slice(0, 16);
    const ids = o.jobs.map((_, i) => `${o.what}-${runId}-${i}`);
    const present = await Promise.all(ids.map((id) => queue.getJob(id)));
    const there = present.filter(Boolean).length;
    if (there && !o.resume) {
      throw new UserError(`${o.what}: the queue at ${target.display} already holds ${there} job(s) of this very ${o.what} (an interrupted submitter?); add --resume to collect them`);
    }
    if (o.resume === true || there) say(there ? `re-attached to ${there} of ${ids.length} job(s) of this ${o.what}\n` : `nothing of this ${o.what} in the queue yet: submitting it\n`);
    await uploadBlobs(client, o.blobs);
    const missing = ids.flatMap((id, i) => (present[i] ? [] : [i]));
    if (missing.length) {
      await queue.addBulk(missing.map((i) => ({
        name: o.jobs[i].kind, data: o.jobs[i],
        opts: { jobId: ids[i], attempts: o.attempts ?? 2, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: false, removeOnFail: false },
      })));
    }
    say(`${o.what}: ${ids.length} job(s) on ${target.display}; start workers with: veribound worker --queue URL\n`);
    o.onReady?.();
    const pending = new Set(ids.map((_, i) => i));
    while (pending.size && !interrupted) {
      const list = [...pending];
      const states = await Promise.all(list.map((i) => queue.getJobState(ids[i])));
      for (const [j, i] of list.entries()) {
        const state = states[j];
        if (state !== 'completed' && state !== 'failed' && state !== 'unknown') continue;
        pending.delete(i);
        const job = state === 'unknown' ? undefined : await queue.getJob(ids[i]);
        if (state === 'completed' && job) {
          const now = Date.now();
          o.onResult(i, job.returnvalue as R, {
            waitS: ((job.processedOn ?? now) - job.timestamp) / 1000,
            workS: ((job.finishedOn ?? now) - (job.processedOn ?? now)) / 1000,
            collectS: (now - (job.finishedOn ?? now)) / 1000,
          });
        } else {
          o.onFailed(i, job?.failedReason || 'the job disappeared from the queue');
        }
      }
      if (pending.size) await new Promise((r) => setTimeout(r, o.pollMs ?? 200));
    }
    if (interrupted) {
      process.stderr.write(`veribound: interrupted; ${pending.size} of ${ids.length} job(s) stay in the queue: run the same command${o.resume === 'auto' ? ' again' : ' with --resume'} to collect them\n`);
      return 130;
    }
    await Promise.all(ids.map((id) => queue.remove(id).catch(() => 0)));
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    await queue.close().catch(() => {});
    client.disconnect();
  }
}

/** Median, min and max of a list of seconds (null when empty), for the JSON documents. */
export function secondsStats(v: number[]): { median: number; min: number; max: number } | null {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] } : null;
}

/** "median a s, max b s" of a list of seconds. */
export function describeSeconds(v: number[]): string {
  if (!v.length) return '-';
  const s = [...v].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)].toFixed(3)} s, min ${s[0].toFixed(3)} s, max ${s[s.length - 1].toFixed(3)} s`;
}
