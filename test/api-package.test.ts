// The library as a user installs it: `npm pack` the repository, unpack the tarball into a
// separate folder's node_modules/veribound (no network: its dependencies are symlinked from the
// repository's node_modules), type-check a TypeScript consumer that imports 'veribound' by name
// with the repository's tsc, and run it. The consumer bounds a box around an MNIST image on
// mnist-mlp; its bounds must equal the CPU engine's on the same box, and a consumer that misuses
// the API must fail to type-check (the declarations are real, not `any`).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadNetwork } from '../src/models.js';
import { logitNetwork } from '../src/network.js';
import { loadDataset } from '../src/data/load.js';
import { imageAt } from '../src/data/dataset.js';
import { CpuEngine } from '../src/bounds/index.js';
import { marginSpec } from '../src/spec/margins.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-api-'));
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');

function sh(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const consumer = `
import { loadNetwork, loadDataset, bound, boxesAround, marginSpec, logitNetwork, VERSION } from 'veribound';
import type { BoundResult, Network } from 'veribound';
const net: Network = logitNetwork(loadNetwork('mnist-mlp'));
const ds = loadDataset('mnist', { split: 'test' });
const n = ds.images.length / ds.count;
const x = Array.from(ds.images.subarray(0, n));
const boxes = boxesAround(x, 1, 0.01);
const r: BoundResult = await bound(net, boxes, { method: 'crown', spec: marginSpec(net, [ds.labels[0]]) });
const ibp = await bound(net, boxes, { method: 'ibp' });
process.stdout.write(JSON.stringify({ version: VERSION, rows: r.rows, lower: Array.from(r.lower), upper: Array.from(r.upper), ibpRows: ibp.rows }) + '\\n');
`;

const tsconfig = {
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, outDir: 'dist', types: ['node'] },
  files: ['main.ts'],
};

test('npm pack, install without network, type-check and run a consumer', async () => {
  const pack = sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], root);
  assert.is(pack.code, 0, pack.err);
  const info = JSON.parse(pack.out)[0] as { filename: string; files: { path: string }[] };
  const paths = info.files.map((f) => f.path);
  assert.ok(paths.includes('dist/src/index.d.ts'), 'the declarations are packed');
  assert.ok(paths.includes('models/mnist-mlp.onnx'));
  assert.not.ok(paths.some((p) => p.startsWith('dist/test/')), 'tests are not packed');

  const app = path.join(tmp, 'app');
  const pkgDir = path.join(app, 'node_modules', 'veribound');
  fs.mkdirSync(pkgDir, { recursive: true });
  const untar = sh('tar', ['xzf', path.join(tmp, info.filename), '-C', pkgDir, '--strip-components=1'], tmp);
  assert.is(untar.code, 0, untar.err);
  const deps = Object.keys(JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).dependencies);
  for (const d of [...deps, '@types']) {
    fs.mkdirSync(path.dirname(path.join(app, 'node_modules', d)), { recursive: true });
    fs.symlinkSync(path.join(root, 'node_modules', d), path.join(app, 'node_modules', d));
  }
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', type: 'module', private: true }));
  fs.writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify(tsconfig));
  fs.writeFileSync(path.join(app, 'main.ts'), consumer);

  const built = sh(process.execPath, [tsc, '-p', 'tsconfig.json'], app);
  assert.is(built.code, 0, built.out + built.err);
  const ran = sh(process.execPath, ['dist/main.js'], app);
  assert.is(ran.code, 0, ran.err);
  const doc = JSON.parse(ran.out);
  assert.is(doc.version, JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version);
  assert.is(doc.ibpRows, 10);

  // the same box through the repository's own engine gives the same margins' bounds
  const net = logitNetwork(loadNetwork('mnist-mlp'));
  const x = imageAt(loadDataset('mnist', { split: 'test' }), 0);
  const lower = x.map((v) => Math.max(0, v - 0.01)), upper = x.map((v) => Math.min(1, v + 0.01));
  const label = loadDataset('mnist', { split: 'test' }).labels[0];
  const ref = await new CpuEngine().bound(net, { lower, upper, count: 1 }, { method: 'crown', spec: marginSpec(net, [label]) });
  assert.is(doc.rows, 9);
  doc.lower.forEach((v: number, r: number) => assert.ok(Math.abs(v - ref.lower[r]) <= 1e-9 * (1 + Math.abs(v)), `row ${r}: ${v} vs ${ref.lower[r]}`));
  doc.lower.forEach((v: number, r: number) => assert.ok(v <= doc.upper[r]));

  // the README's library example type-checks against the installed package as it is written
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const block = /## As a library[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, 'the README has a library example');
  fs.writeFileSync(path.join(app, 'main.ts'), block!);
  const example = sh(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit'], app);
  assert.is(example.code, 0, example.out + example.err);

  // a misuse is a type error: the declarations carry the real types
  fs.writeFileSync(path.join(app, 'main.ts'), [
    "import { bound, boxesAround, loadNetwork } from 'veribound';",
    "import type { Boxes } from 'veribound';",
    "await bound(loadNetwork('mnist-mlp'), boxesAround([0.5], 1, 0.1), { method: 'deepz' });",
    'const b: Boxes = { lower: [0], upper: [1], count: 1 };',
    'console.log(b);',
  ].join('\n'));
  const bad = sh(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit'], app);
  assert.is.not(bad.code, 0);
  assert.match(bad.out, /deepz/, bad.out);
  assert.match(bad.out, /Float64Array/);
});

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
test.run();
