// Engine selection for --backend: cpu is the CPU engine and says nothing; auto picks a hardware
// GPU when the WebGPU module reports one, else the CPU engine, and says which once; gpu takes
// any adapter, the software one included.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseBackend, selectEngine } from '../src/engine.js';
import { hasHardwareGpu } from '../src/kernels/index.js';
import { UserError } from '../src/errors.js';

test('parseBackend accepts auto, gpu, cpu and names anything else', () => {
  assert.equal(['auto', 'gpu', 'cpu'].map(parseBackend), ['auto', 'gpu', 'cpu']);
  assert.is(parseBackend(undefined), 'auto');
  try {
    parseBackend('cuda');
    assert.unreachable();
  } catch (err) {
    assert.instance(err, UserError);
    assert.match((err as Error).message, /--backend 'cuda': expected one of auto, gpu, cpu/);
  }
});

test('cpu: the CPU engine, silently', async () => {
  const lines: string[] = [];
  const e = await selectEngine('cpu', { log: (l) => lines.push(l) });
  assert.is(e.backend, 'cpu');
  assert.equal(lines, []);
  await e.dispose();
});

test('auto: a hardware GPU if there is one, else the CPU engine; one line says which', async () => {
  const lines: string[] = [];
  const e = await selectEngine('auto', { log: (l) => lines.push(l) });
  try {
    assert.is(lines.length, 1);
    if (await hasHardwareGpu()) {
      assert.is(e.backend, 'gpu');
      assert.match(lines[0], /using the GPU engine/);
    } else {
      assert.is(e.backend, 'cpu');
      assert.match(lines[0], /backend auto: no hardware GPU, using the CPU engine/);
    }
  } finally {
    await e.dispose();
  }
});

test('gpu: any adapter, software included (or a clear error when there is none)', async () => {
  const lines: string[] = [];
  try {
    const e = await selectEngine('gpu', { log: (l) => lines.push(l) });
    assert.is(e.backend, 'gpu');
    assert.is(lines.length, 1);
    assert.ok(lines[0].includes(e.describe()));
    await e.dispose();
  } catch (err) {
    assert.instance(err, UserError);
    assert.match((err as Error).message, /--backend gpu: /);
  }
});

test.run();
