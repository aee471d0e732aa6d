// Malformed ONNX files whose sizes used to crash the loader (an internal RangeError from an
// initializer whose dims overflow an allocation, a ConstantOfShape of 10^18 values) or slip
// through it (a billion-pixel input, a Reshape to negative dims), refused through the real CLI
// with exit 2 and one line naming the file, the node or input and the dims. Then a seeded fuzz
// of the bundled models (truncated, bit-flipped, and fields changed after decoding): every file
// either loads and runs or is refused with a UserError, never anything else.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import path from 'node:path';
import pkg from 'onnx-proto';
import { model, node, numbers } from './fixtures-onnx.js';
import { refuses, root, tempDir } from './helpers/cli-contract.js';
import { loadOnnxBytes } from '../src/onnx/load.js';
import { forward } from '../src/forward.js';
import { size } from '../src/network.js';
import { UserError } from '../src/errors.js';

const { onnx } = pkg;
const tmp = tempDir('vb-malformed-onnx-');
const info = (file: string) => ['info', '--net', file, '--samples', '0'];
const refusesNet = (name: string, bytes: Uint8Array, ...says: RegExp[]) =>
  refuses(info(tmp.write(name, bytes)), { says: [new RegExp(name.replace('.', '\\.')), ...says] });

test('an initializer whose dims overflow any allocation', () => {
  const bytes = model({
    input: { name: 'x', dims: [1, 4] },
    nodes: [node('Gemm', ['x', 'W'], ['y'], { transB: 1 }, 'fc')],
    inits: [{ name: 'W', dims: [2 ** 40, 4], data: numbers(1, 12) }],
    output: 'y',
  });
  refusesNet('huge-dims.onnx', bytes, /initializer 'W': tensor has 12 values but its dims \[1099511627776,4\] need 4398046511104/);
  const neg = model({
    input: { name: 'x', dims: [1, 4] },
    nodes: [node('Gemm', ['x', 'W'], ['y'], { transB: 1 }, 'fc')],
    inits: [{ name: 'W', dims: [-3, -4], data: numbers(1, 12) }],
    output: 'y',
  });
  refusesNet('negative-dims.onnx', neg, /initializer 'W': dimension -3 in dims \[-3,-4\] is not a size/);
});

test('a ConstantOfShape, an input and a Pad too large to hold; a Reshape to negative dims', () => {
  refusesNet('constant-of-shape.onnx', model({
    input: { name: 'x', dims: [1, 4] },
    nodes: [node('ConstantOfShape', ['s'], ['c'], {}, 'fill'), node('Add', ['x', 'c'], ['y'])],
    inits: [{ name: 's', dims: [2], data: [1e9, 1e9], type: 'int64' }],
    output: 'y',
  }), /node 'fill' \(ConstantOfShape\): the shape dims \[1000000000,1000000000\] hold 1000000000000000000 values; at most 67108864/);
  refusesNet('huge-input.onnx', model({
    input: { name: 'x', dims: [1, 3, 100000, 100000] },
    nodes: [node('Relu', ['x'], ['y'])],
    output: 'y',
  }), /input 'x': its dims \[1,3,100000,100000\] hold 30000000000 values/);
  refusesNet('huge-pad.onnx', model({
    input: { name: 'x', dims: [1, 1, 4, 4] },
    nodes: [node('Pad', ['x', 'p'], ['y'], {}, 'pad')],
    inits: [{ name: 'p', dims: [8], data: [0, 0, 1e9, 1e9, 0, 0, 1e9, 1e9], type: 'int64' }],
    output: 'y',
  }), /node 'pad' \(Pad\): output 'y' dims \[1,1,2000000004,2000000004\] hold \d+ values/);
  refusesNet('negative-reshape.onnx', model({
    input: { name: 'x', dims: [1, 4] },
    nodes: [node('Reshape', ['x', 's'], ['r'], {}, 'reshape'), node('Relu', ['r'], ['y'])],
    inits: [{ name: 's', dims: [2], data: [-2, -2], type: 'int64' }],
    output: 'y',
  }), /node 'reshape' \(Reshape\): the new shape dims \[-2,-2\] contain -2, which is not a size/);
});

// ---- seeded fuzz of the bundled models ----------------------------------------------------

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WEIRD = [0, -1, -7, 1, 3, 2 ** 31, 2 ** 40, 1e9, -1e9, 2 ** 53, 65536];
const OPS = ['Relu', 'Gemm', 'MatMul', 'Add', 'Conv', 'MaxPool', 'Reshape', 'Flatten', 'Transpose', 'Gather', 'Concat',
  'ConstantOfShape', 'Unsqueeze', 'Squeeze', 'Sigmoid', 'AveragePool', 'Pad', 'BatchNormalization', 'Sub', 'Mul', 'Div', 'Slice'];

/** One structural change to a decoded model: a dim, an op, an attribute, a wire, a data type. */
function mutate(m: InstanceType<typeof onnx.ModelProto>, r: () => number): void {
  const g = m.graph!;
  const pick = <T>(a: T[]): T => a[Math.floor(r() * a.length)];
  const inits = g.initializer ?? [];
  const nodes = g.node ?? [];
  switch (Math.floor(r() * 7)) {
    case 0: { const t = pick(inits); if (t?.dims?.length) t.dims[Math.floor(r() * t.dims.length)] = pick(WEIRD); break; }
    case 1: { const d = g.input![0].type!.tensorType!.shape!.dim!; pick(d).dimValue = pick(WEIRD); break; }
    case 2: pick(nodes).opType = pick(OPS); break;
    case 3: pick(nodes).attribute!.push({ name: pick(['axis', 'perm', 'kernel_shape', 'strides', 'pads', 'transB', 'group']), type: 7, ints: [pick(WEIRD), pick(WEIRD)] }); break;
    case 4: { const n = pick(nodes); n.input!.splice(Math.floor(r() * n.input!.length), 1); break; }
    case 5: { const t = pick(inits); if (t) t.dataType = Math.floor(r() * 17); break; }
    default: { const a = pick(nodes), b = pick(nodes); if (a.input?.length && b.output?.length) a.input[0] = b.output[0]; }
  }
}

/** Loads (and, when it loads, runs once); returns 'ok', 'refused' or throws what is neither. */
function tryLoad(bytes: Uint8Array, name: string): 'ok' | 'refused' {
  try {
    const net = loadOnnxBytes(bytes, name);
    forward(net, new Float64Array(size(net.inputShape)), 1);
    return 'ok';
  } catch (e) {
    if (e instanceof UserError) return 'refused';
    throw new Error(`${name}: not a UserError: ${(e as Error).stack}`);
  }
}

const bundled = ['mnist-mlp', 'mnist-cnn', 'mnist-3v5-sigmoid'].map((m) => fs.readFileSync(path.join(root, 'models', `${m}.onnx`)));

test('fuzz: 300 truncated and bit-flipped bundled models load or are refused cleanly', () => {
  const r = rng(14);
  const tally = { ok: 0, refused: 0 };
  for (let k = 0; k < 300; k++) {
    const b = Uint8Array.from(bundled[k % bundled.length]);
    let bytes: Uint8Array = b;
    if (k % 2 === 0) bytes = b.subarray(0, Math.floor(r() * b.length));
    else for (let f = 0; f < 4; f++) b[Math.floor(r() * Math.min(b.length, 2048))] ^= 1 << Math.floor(r() * 8);
    tally[tryLoad(bytes, `bytes-${k}`)]++;
  }
  assert.ok(tally.refused >= 150, `the truncated half is refused: ${JSON.stringify(tally)}`);
});

test('fuzz: 600 structurally changed bundled models load or are refused cleanly', () => {
  const r = rng(1414);
  const tally = { ok: 0, refused: 0 };
  let kept: Uint8Array | undefined;
  for (let k = 0; k < 600; k++) {
    const m = onnx.ModelProto.decode(bundled[k % bundled.length]);
    const n = 1 + Math.floor(r() * 3);
    for (let j = 0; j < n; j++) mutate(m, r);
    const bytes = onnx.ModelProto.encode(m).finish();
    const got = tryLoad(bytes, `struct-${k}`);
    tally[got]++;
    if (got === 'refused' && k % 100 === 7) kept = bytes;
  }
  assert.ok(tally.refused > 300 && tally.ok > 0, JSON.stringify(tally));
  // and one of the refused ones through the real CLI: the same one-line contract
  refusesNet('fuzzed.onnx', kept!, /fuzzed\.onnx/);
});

test.after(() => tmp.remove());
test.run();
