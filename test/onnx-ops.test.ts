// The importer on hand-built ONNX graphs, one feature each: every graph runs in
// onnxruntime-node too and the forward passes must agree; folding (bias, BatchNorm,
// consecutive constants) is checked on the resulting layer list.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadOnnxBytes } from '../src/onnx/load.js';
import { forward } from '../src/forward.js';
import { inputSize } from '../src/network.js';
import type { Network } from '../src/network.js';
import { UserError } from '../src/errors.js';
import { maxAbsDiff, model, node, numbers, runOrt } from './fixtures-onnx.js';
import type { Init, ModelSpec } from './fixtures-onnx.js';

const init = (name: string, dims: number[], seed: number, extra: Partial<Init> = {}): Init =>
  ({ name, dims, data: numbers(seed, dims.reduce((a, b) => a * b, 1)), ...extra });

/** Loads the model, runs both implementations on random inputs in [0,1], returns the network. */
async function matchesOrt(spec: ModelSpec, seed = 1): Promise<Network> {
  const bytes = model(spec);
  const net = loadOnnxBytes(bytes, 'fixture.onnx');
  const batch = 3;
  const x = Float64Array.from(numbers(seed, batch * inputSize(net)), (v) => (v + 1) / 2);
  const ref = await runOrt(bytes, x, batch);
  const d = maxAbsDiff(forward(net, x, batch), ref);
  assert.ok(d <= 1e-5, `differs from onnxruntime by ${d}`);
  return net;
}

const kinds = (net: Network) => net.layers.map((l) => l.op.kind).join(',');

test('MatMul + Add folds into one dense layer; float_data weights; [1,784,1] input', async () => {
  const net = await matchesOrt({
    input: { name: 'x', dims: [1, 784, 1] },
    nodes: [node('Flatten', ['x'], ['f']), node('MatMul', ['f', 'W'], ['m']), node('Add', ['m', 'b'], ['a']), node('Relu', ['a'], ['y'])],
    inits: [init('W', [784, 5], 1, { storage: 'field' }), init('b', [5], 2)],
    output: 'y',
  });
  assert.is(kinds(net), 'reshape,dense,relu');
  assert.equal(net.inputShape, [784, 1]);
});

test('Gemm with alpha, beta, transA=0/transB=0 and a [1,n] bias; symbolic batch dim', async () => {
  const net = await matchesOrt({
    input: { name: 'x', dims: ['N', 6] },
    nodes: [node('Gemm', ['x', 'B', 'C'], ['y'], { alpha: { f: 0.5 }, beta: { f: 2 } })],
    inits: [init('B', [6, 4], 3), init('C', [1, 4], 4)],
    output: 'y',
  });
  assert.is(kinds(net), 'dense');
});

test('Conv + BatchNormalization fold into the conv; SAME_UPPER padding and strides', async () => {
  const net = await matchesOrt({
    input: { name: 'x', dims: [1, 2, 7, 7] },
    nodes: [
      node('Conv', ['x', 'W', 'B'], ['c'], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }),
      node('BatchNormalization', ['c', 's', 'bb', 'mu', 'var'], ['n'], { epsilon: { f: 1e-3 } }),
      node('Relu', ['n'], ['y']),
    ],
    inits: [init('W', [3, 2, 3, 3], 5), init('B', [3], 6), init('s', [3], 7), init('bb', [3], 8), init('mu', [3], 9),
      { name: 'var', dims: [3], data: [0.5, 1.5, 2] }],
    output: 'y',
  });
  assert.is(kinds(net), 'conv2d,relu');
});

test('consecutive per-channel Sub/Div/Mul/Add merge into one affine; Add after Gemm folds into its bias', async () => {
  const net = await matchesOrt({
    input: { name: 'x', dims: [1, 3, 2, 2] },
    nodes: [
      node('Sub', ['x', 'mean'], ['a']), node('Div', ['a', 'std'], ['b']), node('Mul', ['b', 'two'], ['c']), node('Add', ['c', 'one'], ['d']),
      node('Flatten', ['d'], ['f']), node('Gemm', ['f', 'W'], ['g'], { transB: 1 }), node('Add', ['g', 'bias'], ['y']),
    ],
    inits: [{ name: 'mean', dims: [1, 3, 1, 1], data: [0.1, 0.2, 0.3] }, { name: 'std', dims: [3, 1, 1], data: [0.5, 0.25, 2] },
      { name: 'two', dims: [], data: [2] }, init('one', [1, 2], 10), init('W', [4, 12], 11), init('bias', [4], 12)],
    output: 'y',
  });
  assert.is(kinds(net), 'affine,reshape,dense');
});

test('Reshape target computed by Shape/Gather/Unsqueeze/Concat/Cast and Constant nodes (opset 11 and 13)', async () => {
  for (const opset of [11, 13]) {
    const unsq = (i: string, o: string) => (opset < 13 ? node('Unsqueeze', [i], [o], { axes: [0] }) : node('Unsqueeze', [i, 'ax0'], [o]));
    const net = await matchesOrt({
      opset,
      input: { name: 'x', dims: [1, 2, 3, 3] },
      nodes: [
        node('Constant', [], ['ax0'], { value: { t: { name: '', dims: [1], data: [0], type: 'int64' } } }),
        node('Constant', [], ['idx'], { value: { t: { name: '', dims: [], data: [0], type: 'int64' } } }),
        node('Constant', [], ['minus1'], { value: { t: { name: '', dims: [1], data: [-1], type: 'int64' } } }),
        node('Constant', [], ['W'], { value: { t: init('', [18, 4], 13) } }),
        node('Shape', ['x'], ['s']), node('Gather', ['s', 'idx'], ['n'], { axis: 0 }), unsq('n', 'n1'),
        node('Concat', ['n1', 'minus1'], ['shape'], { axis: 0 }), node('Cast', ['shape'], ['shape64'], { to: 7 }),
        node('Reshape', ['x', 'shape64'], ['flat']), node('MatMul', ['flat', 'W'], ['y']),
      ],
      output: 'y',
    });
    assert.is(kinds(net), 'reshape,dense', `opset ${opset}`);
  }
});

test('zero Pad (attribute form opset 9, input form opset 13), padded max and average pools', async () => {
  for (const opset of [9, 13]) {
    for (const cip of [0, 1]) {
      const pad = opset < 11 ? node('Pad', ['x'], ['p'], { pads: [0, 0, 1, 0, 0, 0, 0, 2] }) : node('Pad', ['x', 'pads'], ['p']);
      const net = await matchesOrt({
        opset,
        input: { name: 'x', dims: [1, 2, 5, 5] },
        nodes: [
          pad,
          node('Relu', ['p'], ['pr']), // keeps onnxruntime from fusing the Pad into the pool's pads (it then rejects pads ≥ kernel)
          node('MaxPool', ['pr'], ['m'], { kernel_shape: [2, 3], strides: [1, 2], pads: [1, 1, 0, 1] }),
          node('AveragePool', ['m'], ['a'], { kernel_shape: [2, 2], strides: [2, 1], pads: [1, 0, 1, 1], count_include_pad: cip }),
          node('GlobalAveragePool', ['a'], ['y']),
        ],
        inits: opset < 11 ? [] : [{ name: 'pads', dims: [8], data: [0, 0, 1, 0, 0, 0, 0, 2], type: 'int64' }],
        output: 'y',
      }, opset + cip);
      assert.is(kinds(net), 'pad,relu,maxpool2d,avgpool2d,avgpool2d');
    }
  }
});

test('residual Add and Sub of two tensors; Identity, Dropout, Squeeze, Unsqueeze, Transpose', async () => {
  const net = await matchesOrt({
    opset: 12,
    input: { name: 'x', dims: [1, 4] },
    nodes: [
      node('Gemm', ['x', 'W1', 'b1'], ['h'], { transB: 1 }), node('Relu', ['h'], ['r']),
      node('Identity', ['r'], ['i']), node('Dropout', ['i'], ['d']),
      node('Gemm', ['d', 'W2'], ['g'], { transB: 1 }), node('Add', ['g', 'r'], ['s']), node('Sub', ['s', 'h'], ['t']),
      node('Unsqueeze', ['t'], ['u'], { axes: [2] }), node('Transpose', ['u'], ['tr'], { perm: [0, 2, 1] }), node('Squeeze', ['tr'], ['q'], { axes: [1] }),
      node('Sigmoid', ['q'], ['y']),
    ],
    inits: [init('W1', [4, 4], 14), init('b1', [4], 15), init('W2', [4, 4], 16)],
    output: 'y',
  });
  assert.ok(kinds(net).includes('add'));
  assert.is(net.layers.filter((l) => l.op.kind === 'add').length, 2);
});

test('an NHWC Transpose before Flatten becomes a permute that matches onnxruntime', async () => {
  const net = await matchesOrt({
    input: { name: 'x', dims: [1, 2, 3, 4] },
    nodes: [node('Transpose', ['x'], ['t'], { perm: [0, 2, 3, 1] }), node('Flatten', ['t'], ['f']), node('Gemm', ['f', 'W'], ['y'], { transB: 1 })],
    inits: [init('W', [3, 24], 17)],
    output: 'y',
  });
  assert.is(kinds(net), 'permute,reshape,dense');
  assert.equal(net.layers[0].shape, [3, 4, 2]);
});

test('an output Softmax is dropped with a warning; the scores before it are kept', async () => {
  const spec: ModelSpec = {
    input: { name: 'x', dims: [1, 5] },
    nodes: [node('Gemm', ['x', 'W'], ['z'], { transB: 1 }), node('Softmax', ['z'], ['y'], { axis: 1 })],
    inits: [init('W', [3, 5], 18)],
    output: 'y',
  };
  const bytes = model(spec);
  const net = loadOnnxBytes(bytes, 'soft.onnx');
  assert.is(kinds(net), 'dense');
  assert.is(net.warnings.length, 1);
  assert.match(net.warnings[0], /Softmax/);
  const x = Float64Array.from(numbers(19, 10), (v) => (v + 1) / 2);
  const z = forward(net, x, 2);
  const ref = await runOrt(bytes, x, 2);
  const soft = Array.from(z).map((_, i) => {
    const row = Array.from(z.subarray(Math.floor(i / 3) * 3, Math.floor(i / 3) * 3 + 3));
    const mx = Math.max(...row);
    return Math.exp(z[i] - mx) / row.reduce((s, v) => s + Math.exp(v - mx), 0);
  });
  assert.ok(maxAbsDiff(soft, ref) < 1e-5);
});

test('double_data and raw float64 weights load exactly', () => {
  for (const storage of ['raw', 'field'] as const) {
    const w = [0.1, -0.2, 1 / 3, 1e-300];
    const net = loadOnnxBytes(model({
      input: { name: 'x', dims: [1, 2] },
      nodes: [node('MatMul', ['x', 'W'], ['y'])],
      inits: [{ name: 'W', dims: [2, 2], data: w, type: 'double', storage }],
      output: 'y',
    }), 'f64.onnx');
    const op = net.layers[0].op;
    assert.ok(op.kind === 'dense');
    if (op.kind === 'dense') assert.equal(Array.from(op.weight), [w[0], w[2], w[1], w[3]]); // [in][out] → [out][in]
  }
});

test('unsupported attributes and ops are UserErrors naming the node and the value', () => {
  const conv = (attrs: Record<string, number[] | number>) => model({
    input: { name: 'x', dims: [1, 1, 5, 5] },
    nodes: [node('Conv', ['x', 'W'], ['y'], attrs, 'conv_a')],
    inits: [init('W', [1, 1, 2, 2], 20)],
    output: 'y',
  });
  const err = (bytes: Uint8Array) => {
    try { loadOnnxBytes(bytes, 'bad.onnx'); } catch (e) { assert.instance(e, UserError); return (e as Error).message; }
    assert.unreachable('no error');
    return '';
  };
  assert.match(err(conv({ dilations: [2, 2] })), /bad\.onnx: node 'conv_a' \(Conv\): dilations \[2,2\] are not supported/);
  assert.match(err(conv({ group: 2 })), /group=2 is not supported/);
  const leaky = model({ input: { name: 'x', dims: [1, 3] }, nodes: [node('LeakyRelu', ['x'], ['y'], {}, 'lr1')], output: 'y' });
  assert.match(err(leaky), /unsupported operator 'LeakyRelu' \(node 'lr1'\); supported: .*Conv.*Gemm/);
  const midSoftmax = model({ input: { name: 'x', dims: [1, 3] }, nodes: [node('Softmax', ['x'], ['s']), node('Relu', ['s'], ['y'])], output: 'y' });
  assert.match(err(midSoftmax), /Softmax is only supported as the network's last op/);
  const reflect = model({ input: { name: 'x', dims: [1, 1, 3, 3] }, nodes: [node('Pad', ['x'], ['y'], { mode: 'reflect', pads: [0, 0, 1, 1, 0, 0, 1, 1] })], output: 'y', opset: 9 });
  assert.match(err(reflect), /mode 'reflect' is not supported/);
  const mismatch = model({ input: { name: 'x', dims: [1, 5] }, nodes: [node('Gemm', ['x', 'W'], ['y'], { transB: 1 }, 'fc')], inits: [init('W', [3, 4], 21)], output: 'y' });
  assert.match(err(mismatch), /node 'fc' \(Gemm\): weight B \[3,4\] \(transB\) does not fit the input \[1,5\]/);
});

test.run();
