// `veribound bounds`: lower bounds of the margins y_label - y_j over [x - eps, x + eps] ∩ [0, 1]
// for each input, and whether they prove the decision cannot change. marginLower is given for
// every input, misclassified ones too (their bounds are then not positive at the point itself);
// a misclassified input is never "verified".
import { inputSize } from '../network.js';
import { UserError } from '../errors.js';
import { parseBackend, selectEngine } from '../engine.js';
import { marginSpec } from '../spec/margins.js';
import { buildBoxes } from '../sweep/boxes.js';
import { parseCount, parseEpsList } from '../sweep/eps.js';
import { predict } from '../sweep/classify.js';
import { verifiedAt } from '../sweep/scheduler.js';
import { loadTarget, parseMethods } from '../sweep/setup.js';
import { parseOptions } from '../cli-args.js';
import { checkJsonOut, jsonDoc, printJson, writeJsonOut } from '../json-doc.js';
import { claimOutput } from '../output-lock.js';

export const summary = 'bound the margins of inputs in an L-infinity ball (IBP or CROWN)';

export const usage = `
usage: veribound bounds [--net PATH|NAME] --eps E (--samples N | --inputs FILE.json) [options]

  --net PATH|NAME     ONNX file or bundled network (default mnist-mlp)
  --eps LIST          radii of the L-infinity ball (>= 0), as in sweep: one value (0.02), a comma
                      list (0.01,0.02) or start:stop:count (0.01:0.1:10); boxes are
                      [x - E, x + E] clipped to [0, 1]
  --samples N         the first N test images of --data
  --data SPEC         dataset for --samples: mnist, mnist:AvB or folder:PATH (one sub-folder of
                      images per class, resized to the network's input size and channels); default
                      mnist, or mnist:AvB for a one-output network named like *AvB*
  --inputs FILE.json  {"inputs": [[...], ...], "labels": [...]} instead of --samples
  --method M          ibp or crown (default crown)
  --backend B         auto (default: a hardware GPU, else the CPU), gpu or cpu
  --batch N           boxes per engine call (default 4096)
  --json              one JSON document on stdout: {"method", "eps": [E...], "backend", "engine",
                      "net", "data", "results": [{"eps", "verified", "samples": [{"index", "label",
                      "predicted", "marginLower", "verified"}]}], "meta"}; marginLower has one
                      value per class j != label in order of j, for misclassified inputs too
  --out FILE.json     write that JSON document to a file
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseOptions('bounds', argv, {
    net: { type: 'string', default: 'mnist-mlp' },
    eps: { type: 'string' },
    samples: { type: 'string' },
    data: { type: 'string' },
    inputs: { type: 'string' },
    method: { type: 'string', default: 'crown' },
    backend: { type: 'string', default: 'auto' },
    batch: { type: 'string', default: '4096' },
    json: { type: 'boolean', default: false },
    out: { type: 'string' },
  });
  if (values.eps === undefined) throw new UserError('bounds: --eps is required (the radius of the L-infinity ball)');
  const epsList = parseEpsList(values.eps);
  const [method] = parseMethods(values.method, false);
  const backend = parseBackend(values.backend);
  const batch = parseCount(values.batch, '--batch');
  if ((values.samples === undefined) === (values.inputs === undefined)) throw new UserError('bounds: give either --samples N or --inputs FILE.json');
  const samples = values.samples !== undefined ? parseCount(values.samples, '--samples') : undefined;
  checkJsonOut(values.out, 'the table is what stdout shows without --json');
  if (values.out !== undefined) claimOutput(values.out, '--out');
  const { net, data } = await loadTarget({ net: values.net, data: values.data, samples, inputsFile: values.inputs });
  const { predicted } = predict(net, data.inputs, data.count);
  const engine = await selectEngine(backend);
  try {
    const size = inputSize(net);
    const results: { eps: number; verified: number; samples: BoundsRow[] }[] = [];
    for (const eps of epsList) {
      const lower: number[][] = [];
      const verified: boolean[] = [];
      for (let start = 0; start < data.count; start += batch) {
        const which = Array.from({ length: Math.min(batch, data.count - start) }, (_, k) => start + k);
        const boxes = buildBoxes(data.inputs, size, which, which.map(() => eps));
        const spec = marginSpec(net, which.map((i) => data.labels[i]));
        const r = await engine.bound(net, boxes, { method, spec });
        which.forEach((i, k) => {
          lower[i] = Array.from(r.lower.subarray(k * r.rows, (k + 1) * r.rows));
          verified[i] = predicted[i] === data.labels[i] && verifiedAt(r, k);
        });
      }
      const rows = data.indices.map((index, i) => ({ index, label: data.labels[i], predicted: predicted[i], marginLower: lower[i], verified: verified[i] }));
      results.push({ eps, verified: verified.filter(Boolean).length, samples: rows });
    }
    const doc = jsonDoc({ method, eps: epsList, backend: engine.backend, engine: engine.describe(), net: net.name, data: data.source, results }, { engine: engine.describe() });
    writeJsonOut(values.out, doc);
    if (values.json) printJson(doc);
    else {
      const tables = results.map((r) => formatBoundsTable(r.samples, { method, eps: r.eps, engine: engine.describe(), net: net.name, source: data.source }));
      process.stdout.write(tables.join('\n\n') + '\n');
    }
  } finally {
    await engine.dispose();
  }
  return 0;
}

interface BoundsRow { index: number; label: number; predicted: number; marginLower: number[]; verified: boolean }

function formatBoundsTable(rows: BoundsRow[], info: { method: string; eps: number; engine: string; net: string; source: string }): string {
  const head = ['index', 'label', 'pred', 'min margin lb', 'argmin j', 'verified'];
  const body = rows.map((r) => {
    let k = 0;
    r.marginLower.forEach((v, j) => { if (v < r.marginLower[k]) k = j; });
    const j = r.marginLower.length === 1 ? 1 - r.label : k >= r.label ? k + 1 : k; // row k is class j != label
    return [String(r.index), String(r.label), String(r.predicted), r.marginLower[k].toFixed(5), String(j), r.verified ? 'yes' : r.predicted !== r.label ? 'no (misclassified)' : 'no'];
  });
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells: string[]) => cells.map((s, c) => (c === 5 ? s : s.padStart(widths[c]))).join('  ');
  const n = rows.filter((r) => r.verified).length;
  return [
    `${info.net}, ${info.source}, eps ${info.eps}, ${info.method}, engine ${info.engine}`,
    line(head),
    ...body.map(line),
    `verified ${n} of ${rows.length} (${((100 * n) / rows.length).toFixed(2)}%)`,
  ].join('\n');
}
