// veribound's job kinds on the queue, and the check every job passes before a worker touches it.
// A job carries its arguments and, for files, only their sha256: the bytes travel once per
// submission as Redis keys named by that hash (blobs.ts), so a worker on any machine computes
// on exactly the bytes the submitter read, and never on a path it was handed. A worker runs
// nothing but these kinds: anything else, or any field of the wrong type or out of range, is
// refused (a failed job, not retried) with a line naming the field.
import type { Backend } from '../engine.js';

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

// (sweep blocks are not available yet with the new sweep: a 'sweep-block' job is refused)
export type Job = VerifyJob;
export const JOB_KINDS = ['verify'] as const;

const EXTS: Record<string, readonly string[]> = { net: ['.onnx'], spec: ['.vnnlib'] };
const BACKENDS = ['auto', 'gpu', 'cpu'];

class Bad extends Error {}
const fail = (msg: string): never => { throw new Bad(msg); };
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown, what: string, lo: number, hi: number): number =>
  (typeof v === 'number' && Number.isFinite(v) && v >= lo && v <= hi ? v : fail(`${what}: expected a number in [${lo}, ${hi}], got ${JSON.stringify(v)?.slice(0, 40)}`));

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

/** The job as veribound's own kind with checked fields, or an Error saying what is wrong. */
export function validateJob(name: string, data: unknown): Job {
  try {
    if (!isObj(data)) fail('data: expected an object');
    const d = data as Record<string, unknown>;
    if (name !== d.kind || !(JOB_KINDS as readonly string[]).includes(name)) fail(`kind '${String(name).slice(0, 40)}': not a veribound job kind (${JOB_KINDS.join(', ')})`);
    const allowed = ['kind', 'onnx', 'vnnlib', 'timeoutS', 'backend'];
    const extra = Object.keys(d).filter((k) => !allowed.includes(k));
    if (extra.length) fail(`unknown field ${extra[0]}`);
    return { kind: 'verify', onnx: blob(d.onnx, 'onnx', 'net'), vnnlib: blob(d.vnnlib, 'vnnlib', 'spec'), timeoutS: num(d.timeoutS, 'timeoutS', 1e-3, 1e6), backend: backend(d.backend) };
  } catch (err) {
    if (err instanceof Bad) throw new Error(`refused job: ${err.message}`);
    throw err;
  }
}
