// `veribound info`: what a network is (layers, shapes, parameters, load warnings) and, for
// 784-input networks, its clean accuracy on the first N MNIST test images.
import { parseArgs } from 'node:util';
import { UserError } from '../errors.js';
import { describeLayer, inputSize, logitNetwork, outputShape, parameterCount } from '../network.js';
import type { Network } from '../network.js';
import { bundledModels, loadNetwork } from '../models.js';
import { forward } from '../forward.js';
import { predictedClass } from '../spec/margins.js';
import { loadMnist } from '../data/mnist.js';

export const summary = "show a network's layers, shapes, parameter count and clean MNIST accuracy";

export const usage = `
usage: veribound info --net PATH|NAME [--samples N]

  --net PATH|NAME   an ONNX file or a bundled model (${bundledModels().join(', ') || 'none bundled'})
  --samples N       for networks with 784 inputs: clean accuracy on the first N MNIST
                    test images (default 1000, 0 to skip, at most 10000)
`;

/** Fraction of the first n MNIST test images the network classifies correctly. */
export function mnistAccuracy(net: Network, n: number): { correct: number; total: number } {
  const ds = loadMnist('test');
  const total = Math.min(n, ds.count);
  const logits = logitNetwork(net);
  const outSize = outputShape(logits).reduce((a, b) => a * b, 1);
  const chunk = 500;
  let correct = 0;
  for (let start = 0; start < total; start += chunk) {
    const count = Math.min(chunk, total - start);
    const x = Float64Array.from(ds.images.subarray(start * 784, (start + count) * 784));
    const y = forward(logits, x, count);
    for (let b = 0; b < count; b++) {
      if (predictedClass(y.subarray(b * outSize, (b + 1) * outSize)) === ds.labels[start + b]) correct++;
    }
  }
  return { correct, total };
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { net: { type: 'string' }, samples: { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  if (!values.net) throw new UserError(`info: --net PATH|NAME is required (bundled: ${bundledModels().join(', ') || 'none'})`);
  const samplesArg = values.samples ?? '1000';
  const samples = Number(samplesArg);
  if (!/^\d+$/.test(samplesArg) || samples > 10000) throw new UserError(`--samples: expected an integer from 0 to 10000, got '${samplesArg}'`);

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
  if (inputSize(net) === 784 && samples > 0) {
    const { correct, total } = mnistAccuracy(net, samples);
    out.push(`clean accuracy: ${((100 * correct) / total).toFixed(2)}% (${correct}/${total} of the first MNIST test images)`);
  } else if (inputSize(net) !== 784) {
    out.push('clean accuracy: not measured (the input is not a 28x28 MNIST image)');
  }
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}
