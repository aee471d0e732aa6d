// A second opinion on every `sat` of a `veribound run`: replays each counterexample with
// onnxruntime-node (float32, another implementation than ours) and checks it the way the
// competition does: the input lies in the property's box (tolerance 1e-4) and the output
// satisfies one unsafe conjunction. Usage (after npx tsc):
//   node scripts/check-sat.mjs --results results.csv --results-dir DIR [--root DIR]
// `--results-dir` is the one given to `veribound run`; row i of results.csv is instance i there.
// Exits 1 if any counterexample fails the check.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { readVnnlib } from '../dist/src/spec/vnnlib.js';

const { values } = parseArgs({ options: { results: { type: 'string' }, 'results-dir': { type: 'string' }, root: { type: 'string' } } });
if (!values.results || !values['results-dir']) {
  process.stderr.write('usage: node scripts/check-sat.mjs --results results.csv --results-dir DIR [--root DIR]\n');
  process.exit(2);
}
const root = values.root ?? path.dirname(values.results);
const rows = fs.readFileSync(values.results, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
let checked = 0, bad = 0;
for (const [i, [onnx, vnnlib, result]] of rows.entries()) {
  if (result !== 'sat') continue;
  const file = path.join(values['results-dir'], `${i}.result`);
  const text = fs.readFileSync(file, 'utf8');
  const x = [...text.matchAll(/\(X_(\d+) ([^)\s]+)\)/g)].sort((a, b) => Number(a[1]) - Number(b[1])).map((m) => Number(m[2]));
  const prop = readVnnlib(path.resolve(root, vnnlib));
  const session = await ort.InferenceSession.create(path.resolve(root, onnx));
  const meta = session.inputMetadata?.[0];
  const dims = meta?.shape ? meta.shape.map((d) => (typeof d === 'number' ? d : 1)) : [1, x.length];
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x), dims) });
  const y = Array.from(out[session.outputNames[0]].data);
  const ok = prop.regions.some((reg) => x.length === reg.lower.length && x.every((v, k) => v >= reg.lower[k] - 1e-4 && v <= reg.upper[k] + 1e-4)
    && reg.unsafe.some((c) => [...Array(c.rows).keys()].every((r) => y.reduce((s, v, k) => s + c.a[r * y.length + k] * v, 0) <= c.b[r])));
  checked++;
  if (!ok) { bad++; process.stdout.write(`FAILS: ${onnx} ${vnnlib} (${file}): output ${y.map((v) => v.toFixed(4)).join(' ')}\n`); }
}
process.stdout.write(`${checked} sat counterexample(s) checked with onnxruntime, ${bad} failed\n`);
process.exit(bad ? 1 : 0);
