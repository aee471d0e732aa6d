// The bundled networks in models/: small enough to ship, load through the ONNX importer,
// and reach the accuracy they were trained for on the MNIST test set.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import { modelsDir } from '../src/paths.js';
import { loadOnnxFile } from '../src/onnx/load.js';
import { loadDataset } from '../src/data/load.js';
import { evaluate } from '../src/train/trainer.js';
import { outputShape, type OpKind } from '../src/network.js';

const cases: { file: string; data: string; minAccuracy: number; kinds: OpKind[]; dense: number[] }[] = [
  { file: 'mnist-mlp.onnx', data: 'mnist', minAccuracy: 0.97, kinds: ['dense', 'relu'], dense: [50, 50, 50, 10] },
  { file: 'mnist-mlp-200x2.onnx', data: 'mnist', minAccuracy: 0.975, kinds: ['dense', 'relu'], dense: [200, 200, 10] },
  { file: 'mnist-cnn.onnx', data: 'mnist', minAccuracy: 0.98, kinds: ['conv2d', 'relu', 'maxpool2d', 'dense'], dense: [10] },
  { file: 'mnist-3v5-sigmoid.onnx', data: 'mnist:3v5', minAccuracy: 0.95, kinds: ['dense', 'relu', 'sigmoid'], dense: [32, 32, 1] },
];

for (const c of cases) {
  test(`${c.file}: under 1 MB, expected layers, test accuracy >= ${c.minAccuracy}`, () => {
    const file = path.join(modelsDir, c.file);
    assert.ok(fs.existsSync(file), `${file} is missing`);
    assert.ok(fs.statSync(file).size < 1024 * 1024, `${c.file} is ${fs.statSync(file).size} bytes`);
    const net = loadOnnxFile(file);
    assert.equal([...net.inputShape], [1, 28, 28]);
    const kinds = new Set(net.layers.map((l) => l.op.kind));
    for (const k of c.kinds) assert.ok(kinds.has(k), `${c.file} has no ${k} layer`);
    const dense = net.layers.flatMap((l) => (l.op.kind === 'dense' ? [l.op.outFeatures] : []));
    assert.equal(dense, c.dense);
    const data = loadDataset(c.data, { split: 'test' });
    assert.equal([...outputShape(net)], [c.dense[c.dense.length - 1]]);
    const { accuracy } = evaluate(net, data);
    assert.ok(accuracy >= c.minAccuracy, `${c.file}: accuracy ${accuracy} on ${data.name}`);
  });
}

test.run();
