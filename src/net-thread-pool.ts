// A pool of worker threads that each keep the networks they were sent: the bounds' box ranges
// (bounds/threads.ts) and the sweep attack's pair parts (sweep/attack-threads.ts) both split a
// batch this way. A network travels to a worker once ({kind: 'net', id, net}); a job is
// {kind: 'job', job, id, ...payload} and its reply {job, ...} is turned into the job's result or
// error by the pool's `answer`. Idle workers are unref'd, so an idle pool never keeps the process
// alive; a worker that dies rejects its pending jobs and leaves the pool.
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { Network } from './network.js';

interface PoolWorker<R> {
  worker: Worker;
  nets: WeakSet<Network>;
  pending: Map<number, { resolve: (r: R) => void; reject: (e: Error) => void }>;
}

export class NetThreadPool<Reply extends { job: number }, Result> {
  private readonly workers: PoolWorker<Result>[] = [];
  private readonly netIds = new WeakMap<Network, number>();
  private nextNetId = 1;
  private nextJob = 1;
  /** Jobs handed to workers so far (tests check the pool was used). */
  jobsSent = 0;

  constructor(private readonly script: URL, private readonly answer: (reply: Reply) => Result | Error, private readonly options: WorkerOptions = {}) {}

  /** Runs one job on worker i (started on first use), sending it the network first if it lacks it. */
  run(i: number, net: Network, payload: object): Promise<Result> {
    const pw = this.workerAt(i);
    let id = this.netIds.get(net);
    if (id === undefined) this.netIds.set(net, (id = this.nextNetId++));
    if (!pw.nets.has(net)) {
      pw.worker.postMessage({ kind: 'net', id, net });
      pw.nets.add(net);
    }
    const job = this.nextJob++;
    this.jobsSent++;
    const done = new Promise<Result>((resolve, reject) => pw.pending.set(job, { resolve, reject }));
    pw.worker.ref();
    pw.worker.postMessage({ kind: 'job', job, id, ...payload });
    return done;
  }

  /** After a batch's jobs settled: workers with nothing pending stop keeping the process alive. */
  release(): void {
    for (const pw of this.workers) if (pw.pending.size === 0) pw.worker.unref();
  }

  private workerAt(i: number): PoolWorker<Result> {
    while (this.workers.length <= i) {
      const worker = new Worker(this.script, this.options);
      worker.unref();
      const pw: PoolWorker<Result> = { worker, nets: new WeakSet(), pending: new Map() };
      worker.on('message', (m: Reply) => {
        const p = pw.pending.get(m.job);
        if (!p) return;
        pw.pending.delete(m.job);
        const r = this.answer(m);
        if (r instanceof Error) p.reject(r);
        else p.resolve(r);
      });
      worker.on('error', (e) => {
        for (const p of pw.pending.values()) p.reject(e);
        pw.pending.clear();
        this.workers.splice(this.workers.indexOf(pw), 1);
      });
      this.workers.push(pw);
    }
    return this.workers[i];
  }
}
