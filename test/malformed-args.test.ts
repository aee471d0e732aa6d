// Argument values that used to crash or silently mean something else, refused through the
// real CLI with exit 2, one line naming the flag and the value, and no output file written:
// an epsilon count in the billions (V8 out of memory after a minute), `--arch 784--10` (trained
// 784-10 without a word), a layer too large to allocate.
import { test } from 'uvu';
import { refuses, tempDir } from './helpers/cli-contract.js';

const tmp = tempDir('vb-malformed-args-');
const outs = ['r.json', 'r.csv', 'r.svg', 'r.html'].map((f) => tmp.file(f));
const sweepOuts = ['--out', outs[0], '--csv', outs[1], '--plot', outs[2], '--html', outs[3]];

test('sweep --eps with a count in the billions is capped with a clear message', () => {
  refuses(['sweep', '--eps', '0:1:1000000000', '--samples', '5', ...sweepOuts], {
    says: [/--eps: '0:1:1000000000' asks for 1000000000 epsilons; at most 10000 are allowed/], outputs: outs,
  });
  const long = Array.from({ length: 10_001 }, (_, i) => (i / 1e5).toString()).join(',');
  refuses(['sweep', '--eps', long, '--samples', '5', ...sweepOuts], { says: [/--eps: the list has 10001 epsilons; at most 10000/], outputs: outs });
  refuses(['sweep', '--eps', '0:1:99999999999999999999', ...sweepOuts], { says: [/--eps count: '99999999999999999999' is not a whole number/], outputs: outs });
});

test('train --arch with an empty width is refused instead of dropping the layer', () => {
  const onnx = tmp.file('t.onnx');
  for (const [arch, layer] of [['784--10', 2], ['784-50-', 3], ['-784-10', 1]] as const) {
    refuses(['train', `--arch=${arch}`, '--epochs', '1', '--limit', '10', '--out', onnx], {
      says: [new RegExp(`--arch '${arch}': layer ${layer} is empty`)], outputs: [onnx],
    });
  }
});

test('train --arch with a layer too large to allocate names the layer and its size', () => {
  const onnx = tmp.file('t.onnx');
  refuses(['train', '--arch', '784-100000000-10', '--epochs', '1', '--out', onnx], {
    says: [/--arch '784-100000000-10': layer 1 would have 78400000000 weights; at most 100000000/], outputs: [onnx],
  });
  refuses(['train', '--arch', 'conv100000-conv100000-10', '--epochs', '1', '--out', onnx], {
    says: [/layer 2 would have 90000000000 weights/], outputs: [onnx],
  });
});

test.after(() => tmp.remove());
test.run();
