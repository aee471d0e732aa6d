// `attack --indices`: the minimal-distance table over many images. Each row is the single-image
// report of one-image.ts (what `attack --index I --json` prints, without meta); this file parses
// the image list, prints one line per image, and writes the table as --csv (one line per image),
// --out/--json (one document: the rows in the list's order and a summary) — the one writer that
// the local loop, `merge` of shard files and the queue's submitter all call, so each writes the
// same files. Rows computed elsewhere (a shard file, a worker) are replayed here before they are
// written: their image must be the one the list names, the network must classify it as the row
// says, and a reported example must be a valid input that the network classifies as the row's
// new class (soundness: a forged or corrupted row is refused, never written).
import type { Network } from '../network.js';
import { UserError } from '../errors.js';
import { forward } from '../forward.js';
import { predictedClass } from '../spec/margins.js';
import { jsonDoc, printJson, writeJsonOut } from '../json-doc.js';
import { writeFileAtomic } from '../outputs.js';
import type { AttackRow, AttackSettings } from './one-image.js';

/** "A:B" (A, A+1, …, B-1) or "i,j,k": image indices, each in [0, count), no repeats. */
export function parseIndices(text: string, count: number): number[] {
  const bad = (why: string) => new UserError(`--indices '${text}': ${why}`);
  const whole = (t: string) => {
    if (!/^\s*\d+\s*$/.test(t)) throw bad(`'${t}' is not a whole number (expected A:B or i,j,k)`);
    const v = Number(t);
    if (v >= count) throw bad(`image ${v} does not exist (the test set has ${count} images, 0..${count - 1})`);
    return v;
  };
  let out: number[];
  const range = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(text);
  if (range) {
    const a = Number(range[1]), b = Number(range[2]);
    if (!(b > a)) throw bad('A:B needs B > A (images A to B-1)');
    if (b > count) throw bad(`image ${b - 1} does not exist (the test set has ${count} images, 0..${count - 1})`);
    out = Array.from({ length: b - a }, (_, k) => a + k);
  } else out = text.split(',').map(whole);
  if (new Set(out).size !== out.length) throw bad('an image is listed twice');
  return out;
}

export interface AttackTable {
  net: string;
  data: string;
  settings: AttackSettings;
  indices: number[];
  /** The rows in the list's order (a prefix of it, or fewer when partial). */
  rows: AttackRow[];
  partial: boolean;
  seconds: number;
  /** Only in a queue's document. */
  queue?: unknown;
}

export interface TableFiles {
  csv?: string;
  out?: string;
  json: boolean;
}

const fmt = (v: number | null) => (v === null ? '' : String(v));
const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

export const CSV_HEADER = 'index,label,originalClass,newClass,status,distance,lowerBound,timeS';

export function csvLine(r: AttackRow): string {
  return [r.index, r.label, r.originalClass, fmt(r.newClass), quote(r.status), fmt(r.distance), r.lowerBound, r.solver.timeS].join(',');
}

/** One line of the stdout table. */
export function rowLine(j: number, n: number, r: AttackRow): string {
  const d = r.distance === null ? '-' : r.distance.toPrecision(6);
  return `[${j}/${n}] image ${r.index}: label ${r.label}, classified ${r.originalClass}` +
    `${r.newClass !== null ? ` -> ${r.newClass}` : ''}: ${r.status}, ${r.norm} distance ${d} (>= ${r.lowerBound.toPrecision(4)}), ${r.solver.timeS.toFixed(2)} s\n`;
}

export function tableSummary(rows: AttackRow[]) {
  const byStatus: Record<string, number> = {};
  for (const r of rows) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
  const found = rows.flatMap((r) => (r.distance !== null ? [r.distance] : [])).sort((a, b) => a - b);
  const mid = found.length >> 1;
  const median = found.length === 0 ? null : found.length % 2 ? found[mid] : (found[mid - 1] + found[mid]) / 2;
  return { count: rows.length, byStatus, found: found.length, medianDistance: median };
}

/** The document of `--out`/`--json`. */
export function tableDoc(t: AttackTable) {
  const s = t.settings;
  return jsonDoc({
    net: t.net, data: t.data, norm: s.norm, maxChange: s.maxChange ?? null, radius: s.radius ?? null, target: s.target ?? null,
    delta: s.delta, tolerance: s.tolerance, timeoutS: s.timeoutS, indices: t.indices, partial: t.partial,
    summary: tableSummary(t.rows), timeS: Math.round(t.seconds * 1000) / 1000, rows: t.rows, ...(t.queue !== undefined ? { queue: t.queue } : {}),
  });
}

/** Writes --csv, --out and --json (the paths were claimed before the work), and the summary line. */
export function writeAttackTable(t: AttackTable, files: TableFiles): void {
  if (files.csv !== undefined) writeFileAtomic(files.csv, `${CSV_HEADER}\n${t.rows.map((r) => csvLine(r) + '\n').join('')}`, '--csv');
  const doc = tableDoc(t);
  writeJsonOut(files.out, doc);
  if (files.json) printJson(doc);
  const s = tableSummary(t.rows);
  const say = files.json ? process.stderr : process.stdout;
  say.write(`${t.partial ? 'partial (interrupted): ' : ''}${s.count} of ${t.indices.length} image(s): ` +
    `${Object.entries(s.byStatus).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}; ` +
    `median ${t.settings.norm} distance over the ${s.found} found ${s.medianDistance === null ? '-' : s.medianDistance.toPrecision(6)}; ` +
    `${t.seconds.toFixed(1)} s${files.csv ? `; ${files.csv}` : ''}${files.out ? `; ${files.out}` : ''}\n`);
}

/**
 * A row computed elsewhere, checked against the image and the network here: same image and
 * label, same original class, and an example (if any) that is an input in [0, 1] the network
 * classifies as the row's new class, within the row's distance. Throws an Error naming the row.
 */
export function replayRow(net: Network, x: Float64Array, index: number, label: number, r: AttackRow): void {
  const no = (why: string): never => { throw new Error(`the row of image ${index}: ${why}`); };
  if (r.index !== index || r.label !== label) no(`it is for image ${r.index} (label ${r.label})`);
  const original = predictedClass(forward(net, x, 1));
  if (r.originalClass !== original) no(`original class ${r.originalClass}, the network says ${original}`);
  if (r.adversarial === null) {
    if (r.distance !== null || r.newClass !== null) no('a distance or new class without an example');
    return;
  }
  const adv = Float64Array.from(r.adversarial);
  if (adv.length !== x.length || !adv.every((v) => v >= 0 && v <= 1)) no('its example is not an input of the network in [0, 1]');
  const cls = predictedClass(forward(net, adv, 1));
  if (cls !== r.newClass || cls === original) no(`its example is classified ${cls}, the row says ${r.newClass}`);
  let d = 0;
  for (let i = 0; i < x.length; i++) d = r.norm === 'l1' ? d + Math.abs(adv[i] - x[i]) : Math.max(d, Math.abs(adv[i] - x[i]));
  if (r.distance === null || d > r.distance * (1 + 1e-9) + 1e-9) no(`its example is at ${r.norm} distance ${d}, the row says ${r.distance}`);
}

/** A table's document or CSV without what differs between two runs of the same table (times, meta, queue). */
export function stableAttackJson(doc: Record<string, unknown>): unknown {
  const { meta: _m, timeS: _t, queue: _q, ...rest } = doc;
  return { ...rest, rows: (rest.rows as AttackRow[]).map((r) => ({ ...r, solver: { ...r.solver, timeS: 0, solves: r.solver.solves.map((v) => ({ ...v, timeS: 0 })) } })) };
}

export function stableAttackCsv(text: string): string {
  return text.split('\n').map((l) => l.replace(/,[^,]*$/, ',')).join('\n');
}
