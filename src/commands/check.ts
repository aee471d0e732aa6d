// `veribound check`: a second opinion on every `sat` of a `veribound run`, as the competition
// checks it: the counterexample's X lies in the property's box (tolerance 1e-4), the network's
// real output on X satisfies one unsafe conjunction, and the Y the result file reports is that
// output. The real output comes from onnxruntime when it is installed (another implementation,
// float32) and from veribound's float64 forward pass otherwise. Every problem is a line naming
// the row and the file; a counterexample that fails makes the exit code 1.
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import { loadOnnxFile } from '../onnx/load.js';
import { forward } from '../forward.js';
import { readVnnlib } from '../spec/vnnlib.js';
import { insideBox, unsafeDisjunct } from '../spec/property.js';
import type { Property } from '../spec/property.js';
import { parseResult } from '../verify/result-file.js';
import { instanceFiles } from '../verify/instance-files.js';
import { readResults } from './run.js';
import { parseOptions } from '../cli-args.js';
import { checkJsonOut, jsonDoc, printJson, writeJsonOut } from '../json-doc.js';
import { claimOutput } from '../output-lock.js';

export const summary = "replay every sat counterexample of a run on the network (onnxruntime if installed)";

export const usage = `
usage: veribound check --csv results.csv --results-dir DIR (--instances CSV | --root DIR) [options]

  --csv FILE          the results CSV of veribound run (its --csv)
  --results-dir DIR   the per-instance files of that run (its --results-dir)
  --instances CSV     the instances file given to run: relative onnx/vnnlib paths are resolved
                      against its folder, as run resolved them
  --root DIR          or the --root given to run (wins over --instances)
  --engine E          auto (default: onnxruntime-node when installed, else float64), ort or float64
  --json              one JSON document on stdout: {"checked", "failed", "engine", "rows": [{"onnx",
                      "vnnlib", "ok", "problem", "maxYDiff"}], "meta"}
  --out FILE.json     write that JSON document to a file

A sat passes when its X lies in the property's box (within 1e-4), the network's output on X
satisfies one unsafe conjunction, and the reported Y is that output (within 1e-3 relative).
Exit code 0 when every sat passes, 1 when one fails, 2 for bad arguments or files.
`;

type Runner = (onnx: string, x: number[]) => Promise<number[]>;

async function ortRunner(): Promise<Runner | undefined> {
  const name = 'onnxruntime-node';
  let ort: { InferenceSession: { create(p: string): Promise<OrtSession> }; Tensor: new (t: string, d: Float32Array, dims: number[]) => unknown };
  try {
    ort = (await import(name)).default;
  } catch {
    return undefined;
  }
  const sessions = new Map<string, Promise<OrtSession>>();
  return async (onnx, x) => {
    if (!sessions.has(onnx)) sessions.set(onnx, ort.InferenceSession.create(onnx));
    const s = await sessions.get(onnx)!;
    const dims = s.inputMetadata?.[0]?.shape?.map((d) => (typeof d === 'number' ? d : 1)) ?? [1, x.length];
    const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x), dims) });
    return Array.from(out[s.outputNames[0]].data as ArrayLike<number>);
  };
}
interface OrtSession {
  inputNames: string[]; outputNames: string[];
  inputMetadata?: { shape?: (number | string)[] }[];
  run(feeds: Record<string, unknown>): Promise<Record<string, { data: unknown }>>;
}

function float64Runner(): Runner {
  const nets = new Map<string, ReturnType<typeof loadOnnxFile>>();
  return async (onnx, x) => {
    if (!nets.has(onnx)) nets.set(onnx, loadOnnxFile(onnx));
    return Array.from(forward(nets.get(onnx)!, Float64Array.from(x), 1));
  };
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseOptions('check', argv, {
    csv: { type: 'string' },
    'results-dir': { type: 'string' },
    instances: { type: 'string' },
    root: { type: 'string' },
    engine: { type: 'string', default: 'auto' },
    json: { type: 'boolean', default: false },
    out: { type: 'string' },
  }, { results: 'csv (the results CSV of veribound run)' });
  if (!values.csv) throw new UserError('check: --csv results.csv is required (the results CSV of veribound run)');
  const dir = values['results-dir'];
  if (!dir) throw new UserError('check: --results-dir DIR is required (the per-instance files of veribound run)');
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UserError(`check: --results-dir ${dir} is not a folder`);
  if (!fs.existsSync(values.csv)) throw new UserError(`check: --csv ${values.csv} does not exist`);
  if (!['auto', 'ort', 'float64'].includes(values.engine)) throw new UserError(`check: --engine '${values.engine}': expected auto, ort or float64`);
  checkJsonOut(values.out, 'the table is what stdout shows without --json');
  if (values.out !== undefined) claimOutput(values.out, '--out');
  const root = values.root ?? (values.instances !== undefined ? path.dirname(values.instances) : undefined);
  if (root !== undefined && (!fs.existsSync(root) || !fs.statSync(root).isDirectory())) throw new UserError(`check: --root ${root} is not a folder`);
  const rows = readResults(values.csv);
  const resolve = (p: string): string => (path.isAbsolute(p) ? p : path.resolve(root ?? '.', p));
  const relative = rows.find((r) => r.result === 'sat' && !(path.isAbsolute(r.onnx) && path.isAbsolute(r.vnnlib)));
  if (relative && root === undefined) {
    throw new UserError(`check: ${values.csv} names relative paths (${relative.onnx}); give --instances CSV or --root DIR, as given to run`);
  }

  const ort = values.engine === 'float64' ? undefined : await ortRunner();
  if (values.engine === 'ort' && !ort) throw new UserError('check: --engine ort: onnxruntime-node is not installed (npm install onnxruntime-node)');
  const runNet = ort ?? float64Runner();
  const engine = ort ? 'onnxruntime-node (float32)' : 'veribound float64 forward pass';
  const say = (line: string) => (values.json ? process.stderr : process.stdout).write(`${line}\n`);
  const report: { onnx: string; vnnlib: string; ok: boolean; problem: string | null; maxYDiff: number | null }[] = [];
  for (const [i, row] of rows.entries()) {
    if (row.result !== 'sat') continue;
    const r = await checkRow(row, i, dir, resolve, runNet);
    report.push({ onnx: row.onnx, vnnlib: row.vnnlib, ...r });
    say(`${r.ok ? 'ok   ' : 'FAILS'} ${row.onnx} ${row.vnnlib}${r.problem ? `: ${r.problem}` : ''}`);
  }
  const failed = report.filter((r) => !r.ok).length;
  say(`${report.length} sat counterexample(s) checked with ${engine}, ${failed} failed`);
  const doc = jsonDoc({ csv: values.csv, resultsDir: dir, checked: report.length, failed, engine, rows: report });
  writeJsonOut(values.out, doc);
  if (values.json) printJson(doc);
  return failed ? 1 : 0;
}

async function checkRow(row: { onnx: string; vnnlib: string }, index: number, dir: string, resolve: (p: string) => string, runNet: Runner) {
  const fail = (problem: string, maxYDiff: number | null = null) => ({ ok: false, problem, maxYDiff });
  let file = instanceFiles(dir, row.onnx, row.vnnlib).result;
  if (!fs.existsSync(file) && fs.existsSync(path.join(dir, `${index}.result`))) file = path.join(dir, `${index}.result`); // runs before 0.2
  if (!fs.existsSync(file)) return fail(`no result file ${file}`);
  const res = parseResult(fs.readFileSync(file, 'utf8'));
  if (res.answer !== 'sat') return fail(`${file} answers '${res.answer}', the CSV says sat`);
  let prop: Property;
  let y: number[];
  try {
    prop = readVnnlib(resolve(row.vnnlib));
    const onnx = resolve(row.onnx);
    if (!fs.existsSync(onnx)) return fail(`network ${onnx} does not exist`);
    if (res.x.length !== prop.numInputs || res.x.some((v) => !Number.isFinite(v))) return fail(`${file} gives ${res.x.length} X values, the property declares ${prop.numInputs}`);
    y = await runNet(onnx, res.x);
  } catch (err) {
    return fail(err instanceof Error ? err.message.split('\n')[0] : String(err));
  }
  if (res.y.length !== y.length) return fail(`${file} reports ${res.y.length} Y values, the network has ${y.length} outputs`);
  const maxYDiff = Math.max(0, ...y.map((v, j) => Math.abs(v - res.y[j]) / Math.max(1, Math.abs(v))));
  const region = prop.regions.find((reg) => insideBox(reg, res.x, 1e-4));
  if (!region) return fail('X lies outside every input box of the property', maxYDiff);
  if (!prop.regions.some((reg) => insideBox(reg, res.x, 1e-4) && unsafeDisjunct(reg, y) >= 0)) return fail(`the network's output on X (${y.map((v) => v.toPrecision(5)).join(' ')}) satisfies no unsafe conjunction`, maxYDiff);
  if (!(maxYDiff <= 1e-3)) return fail(`the reported Y differs from the network's output by ${maxYDiff.toPrecision(3)} (relative)`, maxYDiff);
  return { ok: true, problem: null, maxYDiff };
}
