// `veribound attack`: the closest input to a test image that changes the network's decision,
// found exactly with a MILP (Fischetti & Jo), in L∞ or L1, optionally capped per value, inside
// a radius, or aimed at a target class; as JSON or text, a PNG, and its effect on another network.
import type { Network } from '../network.js';
import { inputSize, logitNetwork } from '../network.js';
import { UserError } from '../errors.js';
import { imageAt } from '../data/dataset.js';
import { forward } from '../forward.js';
import { predictedClass } from '../spec/margins.js';
import { attackImage, type AttackSettings } from '../attack/one-image.js';
import { loadAttackTarget } from '../attack/target.js';
import { parseIndices } from '../attack/table.js';
import { runAttackTable } from '../attack/run-table.js';
import { parseShard } from '../shard/shard.js';
import type { AdversarialResult } from '../milp/adversarial.js';
import { checkAdversarialFigure, writeAdversarialPng } from '../report/adversarial-png.js';
import { pushWithinBudget } from '../milp/push.js';
import { loadNetwork } from '../models.js';
import { parseOptions } from '../cli-args.js';
import { checkJsonOut, jsonDoc, printJson, writeJsonOut } from '../json-doc.js';
import { claimOutput } from '../output-lock.js';

export const summary = 'find the smallest change to an input that flips the decision (exact MILP)';

export const usage = `
usage: veribound attack [--net PATH|NAME] --index I [options]
       veribound attack [--net PATH|NAME] --indices A:B|i,j,k [--csv F] [--out F.json] [options]

  --net PATH|NAME     ONNX file or bundled network (default mnist-mlp)
  --index I           which test image of --data to attack
  --indices LIST      a table over many images: A:B (A to B-1) or i,j,k; one line per image, a
                      summary; --csv FILE (index, label, originalClass, newClass, status, distance,
                      lowerBound, timeS); --out/--json: {rows: [each image's --index document
                      without meta], summary: {count, byStatus, found, medianDistance}, partial}
  --shard K|auto/N    with --indices: the K-th round-robin part into --out F.json (a shard file;
                      veribound merge joins the N files into what one machine writes)
  --queue URL         with --indices: one job per image on redis://[:PASSWORD@]HOST:PORT (run
                      veribound worker there); the same command again re-attaches
  --data SPEC         mnist, mnist:AvB or folder:PATH (images resized to the network's input);
                      default mnist, or mnist:AvB for a one-output network named like *AvB*
  --norm N            linf (default) or l1: the distance that is minimised
  --max-change C      cap on how much any one value may change (e.g. 0.2)
  --radius R          search only within this L-infinity radius (smaller is faster: tighter big-M);
                      without it, radii 0.01, 0.03, 0.1, 0.3, 1 are tried in turn
  --target J          the example must be classified as J (default: any other class)
  --budget B          instead of the smallest change: push the output as far towards another class
                      as an L-infinity change of at most B allows (with --max-change, the smaller
                      cap holds); reports the most negative margin y_label - y_j reachable
  --delta D           margin by which the new class must win (default 0.001)
  --tolerance T       L-infinity without --target: bisect over the radius with the MILP decision
                      query until the distance is bracketed this tightly (default 1e-4; 0: one
                      distance-minimising MILP instead)
  --timeout S         solver time limit in seconds for the whole attack (default 60)
  --png FILE          write original | adversarial | difference side by side, enlarged
  --transfer FILE     also run the example through this other network
  --json              one JSON document on stdout: {"net", "index", "label", "originalClass",
                      "newClass", "classNames", "status", "distance", "lowerBound", "margins",
                      "adversarial": [the example's values] or null, "solver": {"status", "timeS",
                      "binaries", "solves"}, "transfer", "png", "meta"}; status is optimal,
                      bracketed, "found, not proven minimal" (time ran out after an example was
                      found), infeasible (none within the radius), timeout or unknown
  --out FILE.json     write that JSON document to a file
  --csv FILE          with --indices: the table as CSV

With --indices, --png, --transfer, --budget and --target are not taken; Ctrl-C writes the rows
finished so far (marked partial) and exits 130.

Progress goes to stderr: the best distance found so far and the proven lower bound, as they move.
`;

function number(text: string | undefined, flag: string, min: number, max = Infinity): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < min || v > max) throw new UserError(`${flag} '${text}': expected a number in [${min}, ${max}]`);
  return v;
}

function integer(text: string | undefined, flag: string, max: number): number | undefined {
  const v = number(text, flag, 0, max);
  if (v !== undefined && !Number.isInteger(v)) throw new UserError(`${flag} '${text}': expected a whole number`);
  return v;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseOptions('attack', argv, {
    net: { type: 'string', default: 'mnist-mlp' },
    index: { type: 'string' },
    indices: { type: 'string' },
    csv: { type: 'string' },
    shard: { type: 'string' },
    queue: { type: 'string' },
    data: { type: 'string' },
    norm: { type: 'string', default: 'linf' },
    'max-change': { type: 'string' },
    radius: { type: 'string' },
    target: { type: 'string' },
    budget: { type: 'string' },
    delta: { type: 'string', default: '0.001' },
    tolerance: { type: 'string', default: '1e-4' },
    timeout: { type: 'string', default: '60' },
    png: { type: 'string' },
    transfer: { type: 'string' },
    json: { type: 'boolean', default: false },
    out: { type: 'string' },
  });
  if (values.norm !== 'linf' && values.norm !== 'l1') throw new UserError(`--norm '${values.norm}': expected linf or l1`);
  if (values.index !== undefined && values.indices !== undefined) throw new UserError('attack: give --index I (one image) or --indices LIST (a table), not both');
  if (values.index === undefined && values.indices === undefined) throw new UserError('attack: --index I is required (which test image to attack), or --indices A:B|i,j,k for a table');
  const table = values.indices !== undefined;
  for (const flag of (table ? ['png', 'transfer', 'budget', 'target'] : ['csv', 'shard', 'queue']) as (keyof typeof values)[]) {
    if (values[flag] !== undefined) throw new UserError(table ? `attack: --${flag} is for one image (--index I), not --indices` : `attack: --${flag} is for a table (--indices LIST)`);
  }
  if (values.shard !== undefined && values.queue !== undefined) throw new UserError('attack: --shard and --queue are two ways to split a table; give one');
  const shard = values.shard !== undefined ? parseShard(values.shard) : undefined;
  if (shard && values.out === undefined) throw new UserError('attack: --shard K/N writes its shard file to --out FILE.json; give --out');
  if (shard && (values.csv !== undefined || values.json)) throw new UserError('attack: a shard writes only its shard file (--out); --csv and --json belong to veribound merge');
  const maxChange = number(values['max-change'], '--max-change', 0, 1);
  const radius = number(values.radius, '--radius', 0, 1);
  const delta = number(values.delta, '--delta', 0)!;
  const tolerance = number(values.tolerance, '--tolerance', 0, 1)!;
  const timeout = number(values.timeout, '--timeout', 0.001)!;
  checkJsonOut(values.out, 'the picture is --png FILE');
  if (values.out !== undefined) claimOutput(values.out, '--out');
  if (values.png !== undefined) claimOutput(values.png, '--png');
  if (values.csv !== undefined) claimOutput(values.csv, '--csv');
  const { net, ds } = loadAttackTarget(values.net, values.data);
  if (table) {
    const indices = parseIndices(values.indices!, ds.count);
    const size = imageAt(ds, indices[0]).length;
    if (size !== inputSize(net)) throw new UserError(`${net.name} takes ${inputSize(net)} inputs ([${net.inputShape}]), ${ds.name} images have ${size} ([${ds.shape}])`);
    const settings: AttackSettings = { norm: values.norm, maxChange, radius, delta, tolerance, timeoutS: timeout };
    return runAttackTable({
      netArg: values.net, dataArg: values.data, net, ds, indices, settings, shard, queue: values.queue,
      files: { csv: values.csv, out: values.out, json: values.json },
    });
  }
  const index = integer(values.index, '--index', ds.count - 1)!;
  const x = imageAt(ds, index);
  if (x.length !== inputSize(net)) throw new UserError(`${net.name} takes ${inputSize(net)} inputs ([${net.inputShape}]), ${ds.name} images have ${x.length} ([${ds.shape}])`);
  const other = values.transfer !== undefined ? loadNetwork(values.transfer) : undefined;
  if (other && inputSize(other) !== x.length) throw new UserError(`--transfer ${values.transfer}: takes ${inputSize(other)} inputs, the images have ${x.length}`);
  const classes = ds.classes;
  const target = integer(values.target, '--target', classes - 1);

  const label = ds.labels[index];
  const original = predictedClass(forward(net, x, 1));
  if (target === original) throw new UserError(`--target ${target}: the network already classifies image ${index} as ${target}`);
  if (values.png !== undefined) checkAdversarialFigure(values.png, ds.shape, x.length);
  const budget = number(values.budget, '--budget', 0, 1);
  if (budget !== undefined) {
    return pushMode(net, x, { index, label, original, budget, maxChange, target, timeout, json: values.json, png: values.png, out: values.out, shape: ds.shape, other, otherFile: values.transfer });
  }
  const settings: AttackSettings = { norm: values.norm, maxChange, radius, delta, target, tolerance, timeoutS: timeout };
  const one = await attackImage(net, x, { net: net.name, data: ds.name, index, label, classNames: ds.classNames ?? null }, settings,
    (line) => process.stderr.write(`veribound: attack: ${line}\n`));
  const result = one.result;
  const transfer = other && result.adversarial ? transferResult(other, values.transfer!, x, result.adversarial) : undefined;
  let png: string | undefined;
  if (values.png !== undefined) {
    if (result.adversarial) { writeAdversarialPng(values.png, x, result.adversarial, ds.shape, { caption: { originalClass: original, newClass: result.newClass, norm: values.norm as 'linf' | 'l1' } }); png = values.png; }
    else process.stderr.write(`veribound: no adversarial example (${result.status}), ${values.png} not written\n`);
  }
  const report = { ...one.report, transfer: transfer ?? null, png: png ?? null, messages: one.messages };
  const doc = jsonDoc(report);
  writeJsonOut(values.out, doc);
  if (values.json) printJson(doc);
  else process.stdout.write(text(report, result));
  return 0;
}

interface PushArgs {
  index: number; label: number; original: number; budget: number; maxChange?: number; target?: number; timeout: number;
  json: boolean; png?: string; out?: string; shape: readonly number[]; other?: Network; otherFile?: string;
}

/** --budget: the strongest push towards another class within a fixed distortion budget. */
async function pushMode(net: Network, x: Float64Array, a: PushArgs): Promise<number> {
  const r = await pushWithinBudget(net, x, a.original, { budget: a.budget, maxChange: a.maxChange, target: a.target, timeLimitS: a.timeout });
  const transfer = a.other && r.input ? transferResult(a.other, a.otherFile!, x, r.input) : undefined;
  if (a.png !== undefined && r.input) writeAdversarialPng(a.png, x, r.input, a.shape, { caption: { originalClass: a.original, newClass: r.newClass, norm: 'linf' } });
  const exact = r.perClass.every((p) => p.status === 'optimal' || p.status === 'infeasible');
  const report = {
    net: net.name, index: a.index, label: a.label, originalClass: a.original, mode: 'push', budget: a.budget,
    maxChange: a.maxChange ?? null, target: a.target ?? null, exact, margin: r.margin ?? null, bestClass: r.bestClass ?? null,
    newClass: r.newClass ?? null, marginLowerBound: Math.min(...r.perClass.map((p) => p.bound)),
    perClass: r.perClass.map((p) => ({ j: p.j, status: p.status, margin: p.margin ?? null, bound: p.bound, timeS: round(p.timeS) })),
    input: r.input ? Array.from(r.input) : null,
    solver: { timeS: round(r.timeS), binaries: r.binaries }, transfer: transfer ?? null, png: a.png && r.input ? a.png : null,
  };
  const doc = jsonDoc(report);
  writeJsonOut(a.out, doc);
  if (a.json) printJson(doc);
  else {
    const lines = [`${net.name}, test image ${a.index} (label ${a.label}, classified ${a.original}), L-infinity budget ${a.budget}${a.maxChange !== undefined ? `, cap ${a.maxChange}` : ''}`];
    if (r.margin !== undefined) lines.push(`${exact ? 'strongest' : 'best found'} push: margin y_${a.original} - y_${r.bestClass} = ${r.margin.toFixed(5)}, classified ${r.newClass}${r.margin < 0 ? ' (decision changed)' : ' (decision holds)'}`);
    else lines.push('no point found within the time limit');
    lines.push(`${r.perClass.length} MILP solve(s), ${r.binaries} binaries, ${r.timeS.toFixed(2)} s`);
    if (transfer) lines.push(`on ${transfer.net}: classified ${transfer.originalClass} before, ${transfer.adversarialClass} after (${transfer.fooled ? 'fooled' : 'not fooled'})`);
    process.stdout.write(lines.join('\n') + '\n');
  }
  return 0;
}

function transferResult(other: Network, file: string, x: Float64Array, adv: Float64Array) {
  const o = logitNetwork(other);
  const before = predictedClass(forward(o, x, 1));
  const after = predictedClass(forward(o, adv, 1));
  return { net: file, originalClass: before, adversarialClass: after, fooled: after !== before };
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

function text(r: { net: string; index: number; label: number; originalClass: number; norm: string; transfer: ReturnType<typeof transferResult> | null; png: string | null }, a: AdversarialResult): string {
  const lines = [`${r.net}, test image ${r.index} (label ${r.label}, classified ${r.originalClass})`];
  const solved = `${a.solves.length} MILP solve(s), ${a.binaries} binaries, ${a.timeS.toFixed(2)} s`;
  if (a.distance !== undefined) {
    const exact = a.status === 'optimal' ? 'minimal'
      : a.status === 'bracketed' ? `minimal to within ${(a.distance - a.lowerBound).toPrecision(2)} (the minimum is >= ${a.lowerBound.toPrecision(6)})`
        : `found, not proven minimal (${a.status === 'timeout' ? 'time ran out' : a.status}; the minimum is >= ${a.lowerBound.toPrecision(4)})`;
    lines.push(`${exact} ${r.norm} distance ${a.distance.toPrecision(6)}: classified ${a.newClass} (margins ${a.margins!.map((m) => m.toFixed(4)).join(' ')})`);
  } else if (a.status === 'infeasible') lines.push(`no input within ${a.radius} (${r.norm === 'linf' ? 'L-infinity' : 'per value'}) changes the decision`);
  else lines.push(`no example found: ${a.status}; the ${r.norm} distance is >= ${a.lowerBound.toPrecision(4)}`);
  lines.push(solved);
  if (r.transfer) lines.push(`on ${r.transfer.net}: classified ${r.transfer.originalClass} before, ${r.transfer.adversarialClass} after (${r.transfer.fooled ? 'fooled' : 'not fooled'})`);
  if (r.png) lines.push(`wrote ${r.png}`);
  return lines.join('\n') + '\n';
}
