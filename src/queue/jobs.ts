// veribound's job kinds on the queue, and the check every job passes before a worker touches it.
// A job carries its arguments and, for files, only their sha256: the bytes travel once per
// submission as Redis keys named by that hash (blobs.ts), so a worker on any machine computes
// on exactly the bytes the submitter read, and never on a path it was handed. A worker runs
// nothing but these kinds: anything else, or any field of the wrong type or out of range, is
// refused (a failed job, not retried) with a line naming the field.
import type { Backend } from '../engine.js';
import type { SweepSettings } from '../shard/sweep-blocks.js';

export interface BlobRef {
  sha256: string;
  /** How the file's name ends (the loaders tell formats by it). */
  ext: string;
  /** The submitter's name for it, for messages only. */
  name: string;
}

export interface VerifyJob {
  kind: 'verify';
  onnx: BlobRef;
  vnnlib: BlobRef;
  timeoutS: number;
  backend: Backend;
}

export interface SweepBlockJob {
  kind: 'sweep-block';
  net: BlobRef;
  /** count × inputSize(net), every value in [0, 1]. */
  inputs: number[];
  labels: number[];
  settings: SweepSettings;
  backend: Backend;
  /** The worker kills the block after this long (the job fails). */
  timeoutS: number;
}

export type Job = VerifyJob | SweepBlockJob;
export const JOB_KINDS = ['verify', 'sweep-block'] as const;

const EXTS: Record<string, readonly string[]> = { net: ['.onnx'], spec: ['.vnnlib'] };
const BACKENDS = ['auto', 'gpu', 'cpu'];

class Bad extends Error {}
const fail = (msg: string): never => { throw new Bad(msg); };
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown, what: string, lo: number, hi: number): number =>
  (typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi ? v : fail(`${what}: expected a number in [${lo}, ${hi}], got ${JSON.stringify(v)?.slice(0, 40)}`));
const int = (v: unknown, what: string, lo: number, hi: number): number => (Number.isInteger(num(v, what, lo, hi)) ? (v as number) : fail(`${what}: expected an integer`));

function blob(v: unknown, what: string, kind: keyof typeof EXTS): BlobRef {
  if (!isObj(v)) return fail(`${what}: expected {sha256, ext, name}`);
  if (typeof v.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(v.sha256)) fail(`${what}.sha256: expected 64 hex digits`);
  if (typeof v.ext !== 'string' || !EXTS[kind].includes(v.ext)) fail(`${what}.ext: expected ${EXTS[kind].join(' or ')}`);
  if (typeof v.name !== 'string' || v.name.length > 500) fail(`${what}.name: expected a short string`);
  return { sha256: v.sha256 as string, ext: v.ext as string, name: v.name as string };
}

function backend(v: unknown): Backend {
  return (typeof v === 'string' && BACKENDS.includes(v) ? v : fail(`backend: expected ${BACKENDS.join(', ')}`)) as Backend;
}

function settings(v: unknown): SweepSettings {
  if (!isObj(v)) return fail('settings: expected an object');
  const methods = Array.isArray(v.methods) && v.methods.length >= 1 && v.methods.length <= 2 && v.methods.every((m) => m === 'ibp' || m === 'crown')
    ? (v.methods as SweepSettings['methods']) : fail('settings.methods: expected a list of ibp, crown');
  if (!Array.isArray(v.eps) || v.eps.length < 1 || v.eps.length > 10000) fail('settings.eps: expected a list of 1 to 10000 epsilons');
  const eps = (v.eps as unknown[]).map((e, k) => num(e, `settings.eps[${k}]`, 0, 1e6));
  for (let k = 1; k < eps.length; k++) if (!(eps[k] > eps[k - 1])) fail('settings.eps: expected ascending, distinct epsilons');
  if (!['adaptive', 'bisect', 'all'].includes(v.schedule as string)) fail('settings.schedule: expected adaptive, bisect or all');
  const out: SweepSettings = { methods, eps, schedule: v.schedule as SweepSettings['schedule'], batch: int(v.batch, 'settings.batch', 1, 1 << 20) };
  if (v.milpTimeoutS !== undefined) out.milpTimeoutS = num(v.milpTimeoutS, 'settings.milpTimeoutS', 1e-3, 1e6);
  const extra = Object.keys(v).filter((k) => !['methods', 'eps', 'schedule', 'batch', 'milpTimeoutS'].includes(k));
  if (extra.length) fail(`settings: unknown field ${extra[0]}`);
  return out;
}

/** The job as veribound's own kind with checked fields, or an Error saying what is wrong. */
export function validateJob(name: string, data: unknown): Job {
  try {
    if (!isObj(data)) fail('data: expected an object');
    const d = data as Record<string, unknown>;
    if (name !== d.kind || !(JOB_KINDS as readonly string[]).includes(name)) fail(`kind '${String(name).slice(0, 40)}': not a veribound job kind (${JOB_KINDS.join(', ')})`);
    const allowed = d.kind === 'verify' ? ['kind', 'onnx', 'vnnlib', 'timeoutS', 'backend'] : ['kind', 'net', 'inputs', 'labels', 'settings', 'backend', 'timeoutS'];
    const extra = Object.keys(d).filter((k) => !allowed.includes(k));
    if (extra.length) fail(`unknown field ${extra[0]}`);
    if (d.kind === 'verify') {
      return { kind: 'verify', onnx: blob(d.onnx, 'onnx', 'net'), vnnlib: blob(d.vnnlib, 'vnnlib', 'spec'), timeoutS: num(d.timeoutS, 'timeoutS', 1e-3, 1e6), backend: backend(d.backend) };
    }
    const s = settings(d.settings);
    if (!Array.isArray(d.labels) || d.labels.length < 1 || d.labels.length > 100000) fail('labels: expected a list of 1 to 100000 labels');
    const labels = (d.labels as unknown[]).map((l, i) => int(l, `labels[${i}]`, 0, 1 << 20));
    if (!Array.isArray(d.inputs) || d.inputs.length % labels.length !== 0) fail('inputs: expected labels.length × input size numbers');
    const inputs = d.inputs as unknown[];
    for (let i = 0; i < inputs.length; i++) num(inputs[i], `inputs[${i}]`, 0, 1);
    return { kind: 'sweep-block', net: blob(d.net, 'net', 'net'), inputs: inputs as number[], labels, settings: s, backend: backend(d.backend), timeoutS: num(d.timeoutS, 'timeoutS', 1e-3, 1e7) };
  } catch (err) {
    if (err instanceof Bad) throw new Error(`refused job: ${err.message}`);
    throw err;
  }
}
