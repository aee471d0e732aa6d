// `veribound info`: what a network is (layers, shapes, parameters, load warnings) and, for
// 784-input networks, its clean accuracy on the first N MNIST test images.
import { UserError } from '../errors.js';
import { parseOptions } from '../cli-args.js';
import { wrap } from '../help-text.js';
import { checkJsonOut, jsonDoc, printJson, writeJsonOut } from '../json-doc.js';
import { claimOutput } from '../output-lock.js';
import { dataSpecFor, NO_DATA_SPEC } from '../data/for-network.js';
import { describeLayer, inputSize, logitNetwork, outputShape, parameterCount } from '../network.js';
import type { Network } from '../network.js';
import { bundledModels, loadNetwork } from '../models.js';
import { forward } from '../forward.js';
import { predictedClass } from '../spec/margins.js';
import { DATASET_HELP, loadDataset } from '../data/load.js';
import type { Dataset } from '../data/dataset.js';

export const summary = "show a network's layers, shapes, parameter count and clean MNIST accuracy";

export const usage = `
usage: veribound info --net PATH|NAME [--samples N] [--data SPEC] [--json]

  --net PATH|NAME   an ONNX file or a bundled model:
                    ${wrap(bundledModels().join(', ') || 'none bundled', 20)}
  --samples N       for networks with 784 inputs: clean accuracy on the first N test
                    images (default 1000, 0 to skip)
  --data SPEC       ${wrap(`test images: ${DATASET_HELP}`, 20)}
                    (default mnist; for a one-output network named like *3v5*, mnist:3v5;
                    every command picks a network's dataset this way)
  --json            one JSON document on stdout: {"network", "inputShape", "outputShape",
                    "layers": [{"name", "op", "shape"}], "parameters", "warnings",
                    "cleanAccuracy": {"correct", "total", "data"} or null, "meta"}
  --out FILE.json   write that JSON document to a file
`;

/** The test set accuracy is measured on (data/for-network.ts decides, as for every command). */
function testSet(net: Network, given: string | undefined): Dataset | string {
  const spec = dataSpecFor(net, given);
  if (spec === undefined) return `not measured (${NO_DATA_SPEC})`;
  return loadDataset(spec, { split: 'test' });
}

/** How many of the first n images of ds the network classifies correctly. */
export function cleanAccuracy(net: Network, ds: Dataset, n: number): { correct: number; total: number } {
  const per = ds.images.length / ds.count;
  if (per !== inputSize(net)) throw new UserError(`${ds.name}: images have ${per} values but ${net.name} takes ${inputSize(net)}`);
  const total = Math.min(n, ds.count);
  const logits = logitNetwork(net);
  const outSize = outputShape(logits).reduce((a, b) => a * b, 1);
  const chunk = 500;
  let correct = 0;
  for (let start = 0; start < total; start += chunk) {
    const count = Math.min(chunk, total - start);
    const x = Float64Array.from(ds.images.subarray(start * per, (start + count) * per));
    const y = forward(logits, x, count);
    for (let b = 0; b < count; b++) {
      if (predictedClass(y.subarray(b * outSize, (b + 1) * outSize)) === ds.labels[start + b]) correct++;
    }
  }
  return { correct, total };
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseOptions('info', argv, { net: { type: 'string' }, samples: { type: 'string' }, data: { type: 'string' }, json: { type: 'boolean' }, out: { type: 'string' } });
  checkJsonOut(values.out, 'the table is what stdout shows without --json');
  if (values.out !== undefined) claimOutput(values.out, '--out');
  if (!values.net) throw new UserError(`info: --net PATH|NAME is required (bundled: ${bundledModels().join(', ') || 'none'})`);
  const samplesArg = values.samples ?? '1000';
  const samples = Number(samplesArg);
  if (!/^\d+$/.test(samplesArg)) throw new UserError(`--samples: expected an integer >= 0, got '${samplesArg}'`);

  const net = loadNetwork(values.net);
  const rows = net.layers.map((l, i) => [String(i), l.name, describeLayer(l), `[${l.shape.join(',')}]`]);
  const head = ['#', 'name', 'op', 'output'];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r: string[]) => '  ' + r.map((v, c) => (c === 0 ? v.padStart(widths[c]) : v.padEnd(widths[c]))).join('  ').trimEnd();
  const out = [
    `network: ${net.name}`,
    `input: [${net.inputShape.join(',')}] (${inputSize(net)} values)`,
    `output: [${outputShape(net).join(',')}]`,
    `layers: ${net.layers.length}`,
    line(head),
    ...rows.map(line),
    `parameters: ${parameterCount(net).toLocaleString('en-US')}`,
    `warnings: ${net.warnings.length ? net.warnings.join('; ') : 'none'}`,
  ];
  let accuracy: { correct: number; total: number; data: string } | null = null;
  if (inputSize(net) === 784 && samples > 0) {
    const ds = testSet(net, values.data);
    if (typeof ds === 'string') out.push(`clean accuracy: ${ds}`);
    else {
      const { correct, total } = cleanAccuracy(net, ds, samples);
      accuracy = { correct, total, data: ds.name };
      out.push(`clean accuracy: ${((100 * correct) / total).toFixed(2)}% (${correct}/${total} of the first ${ds.name} images)`);
    }
  } else if (inputSize(net) !== 784) {
    out.push('clean accuracy: not measured (the input is not a 28x28 image)');
  }
  const doc = jsonDoc({
    network: net.name, inputShape: net.inputShape, outputShape: outputShape(net),
    layers: net.layers.map((l) => ({ name: l.name, op: describeLayer(l), shape: l.shape })),
    parameters: parameterCount(net), warnings: net.warnings, cleanAccuracy: accuracy,
  });
  writeJsonOut(values.out, doc);
  if (values.json) printJson(doc);
  else process.stdout.write(out.join('\n') + '\n');
  return 0;
}
