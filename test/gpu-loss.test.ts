// Device loss in the middle of a run: the WebGPU device is destroyed after the first chunk (a test
// hook, as a driver reset or a lost GPU would end it); the engine must finish the remaining boxes
// on the CPU engine with one warning, keep the chunk the GPU finished (enclosing the CPU bounds),
// return the CPU's own results for the rest, and send later calls to the CPU without new warnings.
import { test as uvuTest } from 'uvu';
import { guard, gpuMissing } from './helpers/requires.js';
import * as assert from 'uvu/assert';
import { createGpuEngine, GpuEngine } from '../src/kernels/index.js';
import { boundNetworkCpu } from '../src/bounds/index.js';
import type { BoundMethod } from '../src/bounds/types.js';
import { marginSpec } from '../src/spec/margins.js';
import { randomMlp, randomBoxes, assertEnclosesCpu } from './gpu-helpers.js';

const test = guard(uvuTest, await gpuMissing());

/** Runs fn while collecting what goes to stderr. */
async function captureStderr<T>(fn: () => Promise<T>): Promise<{ value: T; text: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let text = '';
  process.stderr.write = ((chunk: string | Uint8Array) => { text += String(chunk); return true; }) as typeof process.stderr.write;
  try {
    return { value: await fn(), text };
  } finally {
    process.stderr.write = write;
  }
}

for (const [method, hidden] of [['crown', 25], ['ibp', 26]] as [BoundMethod, number][]) {
  test(`${method}: device lost after the first chunk → the rest finishes on the CPU, one warning`, async () => {
    const chunk = 3;
    let destroyedAt = -1;
    const engine = (await createGpuEngine({
      allowSoftware: true,
      maxChunk: chunk,
      onChunk: (done, e) => {
        if (destroyedAt < 0) { destroyedAt = done; e.rt.device.destroy(); }
      },
    })) as GpuEngine | null;
    if (!engine) throw new Error('no WebGPU adapter (SwiftShader expected)');
    try {
      const net = randomMlp(91, [12, hidden, 25, 7]); // a distinct name per test: warnings are per message
      const boxes = randomBoxes(92, 12, 10, 0.05);
      const spec = marginSpec(net, Array.from({ length: 10 }, (_, b) => b % 7));
      const { value: gpu, text } = await captureStderr(() => engine.bound(net, boxes, { method, spec }));
      const cpu = boundNetworkCpu(net, boxes, { method, spec });
      assert.is(destroyedAt, chunk, 'the hook ran after the first chunk');
      const warnings = text.split('\n').filter((l) => l.includes('warning'));
      assert.is(warnings.length, 1, `one warning, got: ${text}`);
      assert.match(warnings[0], /lost/);
      assert.match(warnings[0], /CPU/);
      const rows = spec.rows;
      // the chunk the GPU finished: its own (enclosing) bounds
      const head = (r: typeof gpu) => ({ lower: r.lower.slice(0, chunk * rows), upper: r.upper.slice(0, chunk * rows), rows });
      assertEnclosesCpu(head(gpu), head(cpu), 1e-3, `${method} first chunk`);
      assert.ok(gpu.lower.slice(0, chunk * rows).some((v, i) => v !== cpu.lower[i]), 'the first chunk came from the GPU');
      // the rest: exactly the CPU engine's results
      assert.equal(Array.from(gpu.lower.slice(chunk * rows)), Array.from(cpu.lower.slice(chunk * rows)));
      assert.equal(Array.from(gpu.upper.slice(chunk * rows)), Array.from(cpu.upper.slice(chunk * rows)));
      // later calls go to the CPU engine, silently
      const again = await captureStderr(() => engine.bound(net, boxes, { method, spec }));
      assert.equal(Array.from(again.value.lower), Array.from(cpu.lower));
      assert.is(again.text, '');
    } finally {
      await engine.dispose();
    }
  });
}

test.run();
