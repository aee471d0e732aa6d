// A pool worker: holds its own HiGHS runtime and solves the models it is sent, one at a time.
import { parentPort } from 'node:worker_threads';
import type { MilpData } from './builder.js';
import type { SolveOptions } from './highs.js';
import { loadHighs, solveWith } from './highs.js';

interface Job { id: number; data: MilpData; opts: SolveOptions }

const port = parentPort;
if (!port) throw new Error('milp/worker.js is meant to run as a worker thread');
port.on('message', (job: Job) => {
  loadHighs().then(
    (highs) => port.postMessage({ id: job.id, result: solveWith(highs, job.data, job.opts) }),
    (err: unknown) => port.postMessage({ id: job.id, result: { status: 'error', bound: -Infinity, timeS: 0, nodes: 0, message: `HiGHS failed to load: ${String(err)}` } }),
  );
});
