// veribound's job kinds on the queue, and the check every job passes before a worker touches it.
// A job carries its arguments and, for files, only their sha256: the bytes travel once per
// submission as Redis keys named by that hash (blobs.ts), so a worker on any machine computes
// on exactly the bytes the submitter read, and never on a path it was handed. A worker runs
// nothing but these kinds: anything else, or any field of the wrong type or out of range, is
// refused (a failed job, not retried) with a line naming the field.
import type { Backend } from '../engine.js';
import type { BlockSettings } from '../sweep/block.js';
import { MAX_EPS } from '../sweep/eps.js';
import { SCHEDULES } from '../sweep/scheduler.js';
import { METHODS } from '../sweep/setup.js';

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

/** A block of a sweep's inputs with all their epsilons (queue/submit-sweep.ts). */
export interface SweepBlockJob {
  kind: 'sweep-block';
  net: BlobRef;
  /** labels.length × the network's input size values, each in [0, 1]. */
  inputs: number[];
  labels: number[];
  /** Each input's position in the whole sweep (the attack's start points are drawn from it). */
  ids: number[];
  settings: BlockSettings;
  backend: Backend;
  /** The worker kills the block after this long (the job fails). */
  timeoutS: number;
}

export type Job = VerifyJob | SweepBlockJob;
export const JOB_KINDS = ['verify', 'sweep-block'] as const;

/** Most inputs in one sweep block. */
export const MAX_BLOCK = 100_000;

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

const int = (v: unknown, what: string, lo: number, hi: number): number => (Number.isInteger(num(v, what, lo, hi)) ? (v as number) : fail(`${what}: expected an integer`));
const bool = (v: unknown, what: string): boolean => (typeof v === 'boolean' ? v : fail(`${what}: expected true or false`));
const list = (v: unknown, what: string, lo: number, hi: number): unknown[] => (Array.isArray(v) && v.length >= lo && v.length <= hi ? v : fail(`${what}: expected a list of ${lo} to ${hi} entries`));
const only = (o: Record<string, unknown>, keys: string[], what: string) => {
  const extra = Object.keys(o).filter((k) => !keys.includes(k));
  if (extra.length) fail(`${what}unknown field ${extra[0].slice(0, 40)}`);
};

function settings(v: unknown): BlockSettings {
  if (!isObj(v)) return fail('settings: expected an object');
  only(v, ['eps', 'methods', 'schedule', 'batch', 'attack', 'complete', 'timeoutS', 'seed'], 'settings: ');
  const methods = list(v.methods, 'settings.methods', 1, METHODS.length).map((m) => (METHODS.includes(m as never) ? m : fail(`settings.methods: expected ${METHODS.join(', ')}`)));
  if (new Set(methods).size !== methods.length) fail('settings.methods: a method twice');
  const eps = list(v.eps, 'settings.eps', 1, MAX_EPS).map((e, k) => num(e, `settings.eps[${k}]`, 0, 1e6));
  for (let k = 1; k < eps.length; k++) if (!(eps[k] > eps[k - 1])) fail('settings.eps: expected ascending, distinct epsilons');
  if (!SCHEDULES.includes(v.schedule as never)) fail(`settings.schedule: expected ${SCHEDULES.join(', ')}`);
  return {
    eps, methods: methods as BlockSettings['methods'], schedule: v.schedule as BlockSettings['schedule'], batch: int(v.batch, 'settings.batch', 1, 1 << 20),
    attack: bool(v.attack, 'settings.attack'), complete: bool(v.complete, 'settings.complete'), timeoutS: num(v.timeoutS, 'settings.timeoutS', 1e-3, 1e6), seed: int(v.seed, 'settings.seed', 0, 2 ** 31),
  };
}

function sweepBlock(d: Record<string, unknown>): SweepBlockJob {
  only(d, ['kind', 'net', 'inputs', 'labels', 'ids', 'settings', 'backend', 'timeoutS'], '');
  const labels = list(d.labels, 'labels', 1, MAX_BLOCK).map((l, i) => int(l, `labels[${i}]`, 0, 1 << 20));
  const ids = list(d.ids, 'ids', labels.length, labels.length).map((l, i) => int(l, `ids[${i}]`, 0, 2 ** 31));
  if (!Array.isArray(d.inputs) || d.inputs.length === 0 || d.inputs.length % labels.length !== 0) fail('inputs: expected labels.length × input size numbers');
  const inputs = d.inputs as unknown[];
  for (let i = 0; i < inputs.length; i++) num(inputs[i], `inputs[${i}]`, 0, 1);
  return { kind: 'sweep-block', net: blob(d.net, 'net', 'net'), inputs: inputs as number[], labels, ids, settings: settings(d.settings), backend: backend(d.backend), timeoutS: num(d.timeoutS, 'timeoutS', 1e-3, 1e8) };
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
    if (d.kind === 'sweep-block') return sweepBlock(d);
    only(d, ['kind', 'onnx', 'vnnlib', 'timeoutS', 'backend'], '');
    return { kind: 'verify', onnx: blob(d.onnx, 'onnx', 'net'), vnnlib: blob(d.vnnlib, 'vnnlib', 'spec'), timeoutS: num(d.timeoutS, 'timeoutS', 1e-3, 1e6), backend: backend(d.backend) };
  } catch (err) {
    if (err instanceof Bad) throw new Error(`refused job: ${err.message}`);
    throw err;
  }
}
