// examples/maxpool-homework end to end: the MILP proves min (x9 − x10) = 0.5, IBP and CROWN give
// sound lower bounds at or below it, and the files it writes say so (and the ONNX reloads).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { maxpoolNetwork, runMaxpoolHomework } from '../examples/maxpool-homework.js';
import { forward } from '../src/forward.js';
import { loadOnnxFile } from '../src/onnx/load.js';

test('the network is the homework\'s (checked pointwise against its definition)', () => {
  const net = maxpoolNetwork();
  for (const [x1, x2] of [[0, 0], [1, 0], [0, 1], [0.3, 0.8], [1, 1], [0.9, 0.2]]) {
    const x7 = Math.max(x1 + x2, x1 - 2), x8 = Math.max(x1 - x2, x2);
    const y = forward(net, new Float64Array([x1, x2]), 1);
    assert.ok(Math.abs(y[0] - x7) < 1e-12 && Math.abs(y[1] - (-x7 + x8 - 0.5)) < 1e-12, `at (${x1}, ${x2})`);
  }
});

test('runMaxpoolHomework: MILP minimum 0.5 at (0, 0), bounds below it, outputs written', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vb-ex-maxpool-'));
  try {
    const r = await runMaxpoolHomework(dir);
    const milp = r.rows.find((x) => x.method.startsWith('MILP'))!;
    assert.is(r.milpStatus, 'optimal');
    assert.ok(milp.exact);
    assert.ok(Math.abs(milp.lowerBound - 0.5) < 1e-6, `MILP min ${milp.lowerBound}`);
    assert.ok(Math.abs(milp.argmin![0]) < 1e-6 && Math.abs(milp.argmin![1]) < 1e-6);
    assert.ok(Math.abs(r.gridMin - 0.5) < 1e-9);
    for (const m of ['IBP', 'CROWN']) {
      const lb = r.rows.find((x) => x.method === m)!.lowerBound;
      assert.ok(lb <= 0.5 + 1e-9, `${m} bound ${lb} above the true minimum`);
    }
    const md = fs.readFileSync(path.join(dir, 'result.md'), 'utf8');
    assert.match(md, /\| MILP \(HiGHS\) \| 0\.5 \| yes \| \(0, 0\)/);
    assert.match(md, /MILP \(HiGHS\): proves x9 > x10/);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8'));
    assert.is(json.rows.length, 3);
    const back = loadOnnxFile(path.join(dir, 'maxpool-homework.onnx'));
    const y = forward(back, new Float64Array([0.4, 0.7]), 1);
    const x7 = 1.1, x8 = 0.7;
    assert.ok(Math.abs(y[0] - x7) < 1e-6 && Math.abs(y[1] - (-x7 + x8 - 0.5)) < 1e-6);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
