// The ERAN sigmoid net (6 hidden sigmoid layers of 200) with one of its competition properties:
// the MILP takes it (relaxed), a disjunct query ends in a sound status, and `verify` answers
// unsat / timeout / unknown with exit 0 (it used to exit 2: "sigmoid is not supported by the MILP").
import { test as baseTest } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { benchDir, guard, root, sharedMissing } from './helpers/requires.js';
import { loadOnnxFile } from '../src/onnx/load.js';
import { readVnnlib } from '../src/spec/vnnlib.js';
import { milpSupport } from '../src/milp/encode/ops/index.js';
import { milpFindInSet } from '../src/milp/index.js';
import { crownLayerBounds } from '../src/bounds/index.js';
import { forward } from '../src/forward.js';
import { conjunctionViolation } from '../src/spec/property.js';

const test = guard(baseTest, sharedMissing());
const net = () => path.join(benchDir, 'eran/nets/ffnnSIGMOID__Point_6x200.onnx');
const spec = () => path.join(benchDir, 'eran/specs/mnist/mnist_spec_idx_7167_eps_0.01200.vnnlib');

test('eran sigmoid 6x200: the MILP relaxes it, and a disjunct query ends soundly', async () => {
  const n = loadOnnxFile(net());
  assert.is(milpSupport(n).support, 'relaxed');
  const prop = readVnnlib(spec());
  const region = prop.regions[0];
  const box = { lower: region.lower, upper: region.upper };
  const layerBounds = crownLayerBounds(n, { lower: region.lower, upper: region.upper, count: 1 });
  const res = await milpFindInSet(n, box, [region.unsafe[0]], { timeLimitS: 15, layerBounds });
  assert.ok(['infeasible', 'found', 'timeout', 'unknown'].includes(res.status), res.status);
  if (res.status === 'found') assert.ok(conjunctionViolation(region.unsafe[0], forward(n, res.witness!.input, 1)) <= 0);
});

test('eran sigmoid 6x200: verify answers (never exit 2)', () => {
  const out = spawnSync(process.execPath, [path.join(root, 'dist/src/cli.js'), 'verify', '--net', net(), '--spec', spec(), '--timeout', '20'], { encoding: 'utf8' });
  assert.is(out.status, 0, out.stderr);
  assert.ok(['unsat', 'timeout', 'unknown'].includes(out.stdout.trim().split('\n')[0]), out.stdout);
});

test.run();
