// Micro-benchmark of the CPU engine's GEMM alone (the product that dominates CROWN): GFLOP per
// CPU-second and per wall-second of the plain JS loop and the WebAssembly SIMD kernel, on one
// thread and on two (each thread multiplies its own half of the rows).
//   node dist/bench/bounds-gemm.js [--rows 512] [--inner 256] [--cols 784] [--seconds 2] [--json F]
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { matmulRows, matmulRowsJs } from '../src/bounds/linalg.js';

type Kernel = 'js' | 'wasm';
interface Job { kernel: Kernel; rows: number; inner: number; cols: number; seconds: number }

/** Runs the product for `seconds`; returns multiply-adds done and the CPU seconds spent. */
function spin({ kernel, rows, inner, cols, seconds }: Job): { macs: number; cpu: number; wall: number } {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const A = Float64Array.from({ length: rows * inner }, rnd);
  const WT = Float64Array.from({ length: cols * inner }, rnd);
  const out = new Float64Array(rows * cols);
  const f = kernel === 'js' ? matmulRowsJs : matmulRows;
  f(A, rows, inner, WT, cols, out); // warm-up (JIT, resident weights)
  const c0 = process.cpuUsage(), t0 = performance.now();
  let reps = 0;
  while (performance.now() - t0 < seconds * 1000) { f(A, rows, inner, WT, cols, out); reps++; }
  const c = process.cpuUsage(c0);
  return { macs: reps * rows * inner * cols, cpu: (c.user + c.system) / 1e6, wall: (performance.now() - t0) / 1000 };
}

if (!isMainThread) {
  parentPort!.postMessage(spin(workerData as Job));
} else {
  const { values } = parseArgs({ options: {
    rows: { type: 'string', default: '512' }, inner: { type: 'string', default: '256' }, cols: { type: 'string', default: '784' },
    seconds: { type: 'string', default: '2' }, json: { type: 'string', default: 'bench-bounds-gemm.json' },
  } });
  const [rows, inner, cols, seconds] = [values.rows, values.inner, values.cols, values.seconds].map(Number);
  const results: { kernel: Kernel; threads: number; gflopPerCpuSecond: number; gflopPerSecond: number }[] = [];
  for (const kernel of ['js', 'wasm'] as Kernel[]) {
    for (const threads of [1, 2]) {
      const job: Job = { kernel, rows: Math.ceil(rows / threads), inner, cols, seconds };
      const t0 = performance.now();
      const parts = await Promise.all(Array.from({ length: threads }, () => new Promise<{ macs: number; cpu: number; wall: number }>((resolve, reject) => {
        const w = new Worker(new URL(import.meta.url), { workerData: job });
        w.once('message', resolve);
        w.once('error', reject);
      })));
      const wall = Math.max(...parts.map((p) => p.wall));
      void t0;
      const macs = parts.reduce((s, p) => s + p.macs, 0), cpu = parts.reduce((s, p) => s + p.cpu, 0);
      const r = { kernel, threads, gflopPerCpuSecond: (2 * macs) / cpu / 1e9, gflopPerSecond: (2 * macs) / wall / 1e9 };
      results.push(r);
      process.stdout.write(`${kernel.padEnd(5)} ${threads} thread${threads > 1 ? 's' : ' '}  ${r.gflopPerSecond.toFixed(2).padStart(7)} GFLOP/s  ${r.gflopPerCpuSecond.toFixed(2).padStart(7)} GFLOP/cpu-s   (${rows}×${inner}·${inner}×${cols})\n`);
    }
  }
  fs.writeFileSync(values.json!, JSON.stringify({ bench: 'bounds-gemm', date: new Date().toISOString(), rows, inner, cols, results }, null, 2) + '\n');
}
