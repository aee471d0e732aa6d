// Messages between the page and the CPU engine's Web Worker (cpu-worker.ts, worker-engine.ts).
import type { Network } from '../network.js';
import type { BoundMethod } from '../bounds/types.js';

export type ToCpuWorker =
  | { kind: 'net'; id: number; net: Network }
  | { kind: 'bound'; job: number; net: number; lower: Float64Array; upper: Float64Array; count: number; method: BoundMethod;
      spec?: { c: Float64Array; rows: number; shared: boolean } };

export type FromCpuWorker =
  | { kind: 'log'; line: string }
  | { kind: 'result'; job: number; lower: Float64Array; upper: Float64Array; rows: number }
  | { kind: 'error'; job: number; message: string; user: boolean };
