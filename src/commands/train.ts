// `veribound train`: trains a network on the CPU (Adam, mini-batches, seeded) and writes ONNX.
import path from 'node:path';
import { UserError } from '../errors.js';
import { parameterCount, describeLayer } from '../network.js';
import { loadDataset, DATASET_HELP } from '../data/load.js';
import { saveOnnx } from '../onnx/export.js';
import { createProgress, type Progress } from '../progress.js';
import { ARCH_HELP, buildNetwork } from '../train/arch.js';
import { evaluate, intervalAccuracy, train, type EpochStats } from '../train/trainer.js';
import { parseOptions } from '../cli-args.js';
import { wrap } from '../help-text.js';
import { checkJsonOut, jsonDoc, printJson, writeJsonOut } from '../json-doc.js';
import { claimOutput } from '../output-lock.js';

export const summary = 'train a network on the CPU (MLP, CNN, sigmoid head) and write it as ONNX';

export const usage = `
usage: veribound train --onnx FILE.onnx [options]

  --arch SPEC       layers, ${wrap(ARCH_HELP, 20, 27)}
                    (default 784-50-50-50-10; a 1-unit output adds a Sigmoid and trains with
                    binary cross-entropy)
  --data SPEC       ${wrap(`${DATASET_HELP} (default mnist)`, 20)}
  --epochs N        passes over the training set (default 10)
  --batch-size N    mini-batch size (default 64; --batch before 0.2)
  --lr X            Adam learning rate (default 0.001)
  --lr-schedule S   learning rate schedule: cosine (decays to 0, default) or constant
                    (--schedule before 0.2)
  --seed N          seed of the initial weights and of the shuffling (default 1)
  --limit N         train on the first N training images only
  --onnx FILE       where to write the trained network (written atomically)
  --size N          side length images are resized to (image-folder datasets)
  --channels 1|3    grey or colour (image-folder datasets)
  --ibp-eps X       certified training: also minimise the loss of the interval (IBP) bound over
                    the L-infinity ball of radius X (pixels in [0,1]); off by default
  --ibp-ramp F      fraction of the steps over which the radius and the weight ramp up (default 0.5)
  --ibp-kappa K     final weight of the interval loss against the clean loss (default 0.5)
  --json            one JSON document on stdout at the end: {"arch", "parameters", "data",
                    "epochs": [{"epoch", "loss", "trainAccuracy", "valAccuracy", "seconds", ...}],
                    "testAccuracy", "testLoss", "ibpVerifiedAccuracy", "onnx", "meta"}; the
                    progress lines go to stderr
  --out FILE.json   write that JSON document to a file

Prints the mean training loss and the test accuracy after each epoch. The weights are
rounded to float32 (as stored in ONNX) before the final accuracy is measured. The
IBP-verified fraction is a training statistic (intervals, the loosest bound); use the
verifier to certify the saved network.
`;

function intArg(name: string, v: string | undefined, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < min) throw new UserError(`--${name}: expected an integer >= ${min}, got '${v}'`);
  return n;
}

function pct(x: number): string { return `${(100 * x).toFixed(2)}%`; }

export async function run(argv: string[]): Promise<number> {
  const { values } = parseOptions('train', argv, {
    arch: { type: 'string', default: '784-50-50-50-10' },
    data: { type: 'string', default: 'mnist' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    lr: { type: 'string' },
    'lr-schedule': { type: 'string', default: 'cosine' },
    seed: { type: 'string' },
    limit: { type: 'string' },
    onnx: { type: 'string' },
    size: { type: 'string' },
    channels: { type: 'string' },
    'ibp-eps': { type: 'string' },
    'ibp-ramp': { type: 'string' },
    'ibp-kappa': { type: 'string' },
    json: { type: 'boolean', default: false },
    out: { type: 'string' },
  }, { batch: 'batch-size (the mini-batch size)', schedule: 'lr-schedule (the learning rate schedule)' });
  const epochs = intArg('epochs', values.epochs, 10, 1);
  const batchSize = intArg('batch-size', values['batch-size'], 64, 1);
  const seed = intArg('seed', values.seed, 1, 0);
  const limit = values.limit === undefined ? undefined : intArg('limit', values.limit, 0, 1);
  const lr = values.lr === undefined ? 1e-3 : Number(values.lr);
  if (!(Number.isFinite(lr) && lr > 0)) throw new UserError(`--lr: expected a positive number, got '${values.lr}'`);
  const schedule = values['lr-schedule'];
  if (schedule !== 'cosine' && schedule !== 'constant') throw new UserError(`--lr-schedule: expected cosine or constant, got '${schedule}'`);
  const size = values.size === undefined ? undefined : intArg('size', values.size, 0, 1);
  const channels = values.channels === undefined ? undefined : intArg('channels', values.channels, 0, 1);
  if (channels !== undefined && channels !== 1 && channels !== 3) throw new UserError(`--channels: expected 1 or 3, got '${values.channels}'`);
  const fraction = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const x = Number(v);
    if (v.trim() === '' || !(x >= 0 && x <= 1)) throw new UserError(`--${name}: expected a number in [0, 1], got '${v}'`);
    return x;
  };
  const ibpEps = fraction('ibp-eps', values['ibp-eps']);
  const ibpRamp = fraction('ibp-ramp', values['ibp-ramp']);
  const ibpKappa = fraction('ibp-kappa', values['ibp-kappa']);
  if (ibpEps === undefined && (ibpRamp !== undefined || ibpKappa !== undefined)) throw new UserError('--ibp-ramp and --ibp-kappa need --ibp-eps');
  const ibp = ibpEps === undefined ? undefined : { eps: ibpEps, ramp: ibpRamp, kappa: ibpKappa };
  checkJsonOut(values.out, 'the trained network goes to --onnx FILE.onnx');
  const out = values.onnx;
  if (!out) throw new UserError('train: --onnx FILE.onnx is required (where to write the trained network)');
  claimOutput(out, '--onnx');
  if (values.out !== undefined) claimOutput(values.out, '--out');

  const loadOpts = { seed, size, channels: channels as 1 | 3 | undefined };
  const trainSet = loadDataset(values.data, { split: 'train', ...loadOpts });
  const testSet = loadDataset(values.data, { split: 'test', ...loadOpts });
  const net = buildNetwork(values.arch!, trainSet.shape, trainSet.classes, seed);
  net.name = path.basename(out, '.onnx');
  const log = (s: string) => (values.json ? process.stderr : process.stdout).write(`${s}\n`);
  const epochStats: EpochStats[] = [];
  log(`training ${values.arch} (${parameterCount(net)} parameters: ${net.layers.map(describeLayer).join(', ')})`);
  log(`on ${trainSet.name} (${limit ? Math.min(limit, trainSet.count) : trainSet.count} images), testing on ${testSet.name} (${testSet.count}); ` +
    `${epochs} epochs, batch ${batchSize}, lr ${lr} ${schedule}, seed ${seed}` +
    (ibp ? `; IBP training to eps ${ibp.eps} (ramp ${ibp.ramp ?? 0.5}, kappa ${ibp.kappa ?? 0.5})` : ''));

  let bar: Progress | undefined;
  train(net, trainSet, {
    epochs, batchSize, lr, seed, schedule, limit, validation: testSet, ibp,
    onBatch(done, total) {
      if (done === 1) bar = createProgress(total, 'training');
      bar?.tick();
      if (done === total) bar?.stop();
    },
    onEpoch(s: EpochStats) {
      epochStats.push(s);
      log(`epoch ${String(s.epoch).padStart(String(epochs).length)}/${epochs}  loss ${s.loss.toFixed(4)}  train ${pct(s.trainAccuracy)}  test ${pct(s.valAccuracy ?? NaN)}` +
        (s.ibpEps !== undefined ? `  train IBP-verified ${pct(s.ibpVerified ?? 0)} at eps ${+s.ibpEps.toFixed(5)}` : '') + `  (${s.seconds.toFixed(1)} s)`);
    },
  });
  // ONNX stores float32: round now so the accuracy we report is the saved network's.
  for (const layer of net.layers) {
    if (layer.op.kind === 'dense' || layer.op.kind === 'conv2d') {
      for (const arr of [layer.op.weight, layer.op.bias]) for (let i = 0; i < arr.length; i++) arr[i] = Math.fround(arr[i]);
    }
  }
  const final = evaluate(net, testSet);
  saveOnnx(net, out);
  log(`wrote ${out}: test accuracy ${pct(final.accuracy)} (${Math.round(final.accuracy * final.count)}/${final.count}), test loss ${final.loss.toFixed(4)}`);
  const ibpAccuracy = ibp ? intervalAccuracy(net, testSet, ibp.eps) : null;
  if (ibp) log(`IBP-verified test accuracy at eps ${ibp.eps}: ${pct(ibpAccuracy!)}`);
  const doc = jsonDoc({
    arch: values.arch, parameters: parameterCount(net), data: trainSet.name, testData: testSet.name,
    batchSize, lr, lrSchedule: schedule, limit: limit ?? null, ibp: ibp ?? null,
    epochs: epochStats, testAccuracy: final.accuracy, testLoss: final.loss, ibpVerifiedAccuracy: ibpAccuracy, onnx: out,
  }, { seed });
  writeJsonOut(values.out, doc);
  if (values.json) printJson(doc);
  return 0;
}
