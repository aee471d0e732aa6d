// What `bounds` and `sweep` share before any bounding: argument helpers (methods, negative
// values), and the network (judged on its logits) with its labelled inputs.
import type { Network } from '../network.js';
import { inputSize, logitNetwork } from '../network.js';
import type { BoundMethod } from '../bounds/types.js';
import { UserError } from '../errors.js';
import { loadNetwork } from '../models.js';
import type { LoadOptions } from '../data/load.js';
import { loadDataset } from '../data/load.js';
import { dataSpecFor, NO_DATA_SPEC } from '../data/for-network.js';
import type { LabelledInputs } from './inputs.js';
import { inputsFromDataset, readInputsFile } from './inputs.js';

export const METHODS: readonly BoundMethod[] = ['ibp', 'crown'];

/** "crown", "ibp" or a comma list "ibp,crown" (kept in the given order, duplicates dropped). */
export function parseMethods(text: string, allowList = true): BoundMethod[] {
  const parts = text.split(',').map((s) => s.trim());
  if (!allowList && parts.length > 1) throw new UserError(`--method '${text}': give one method (${METHODS.join(' or ')})`);
  const out: BoundMethod[] = [];
  for (const p of parts) {
    if (!(METHODS as readonly string[]).includes(p)) throw new UserError(`--method '${p}': unknown bound method (expected ${METHODS.join(', ')})`);
    if (!out.includes(p as BoundMethod)) out.push(p as BoundMethod);
  }
  return out;
}

export interface TargetOptions {
  net: string;
  /** --data spec (default mnist); used with samples. */
  data?: string;
  samples?: number;
  /** --inputs FILE.json (instead of samples). */
  inputsFile?: string;
}

export interface Target {
  /** The network margins are taken on. */
  net: Network;
  data: LabelledInputs;
}

export async function loadTarget(opts: TargetOptions): Promise<Target> {
  const net = logitNetwork(await loadNetwork(opts.net));
  if (opts.inputsFile !== undefined) return { net, data: readInputsFile(opts.inputsFile, net) };
  const spec = dataSpecFor(net, opts.data); // the same default as every command (data/for-network.ts)
  if (spec === undefined) throw new UserError(`${net.name}: ${NO_DATA_SPEC}`);
  const ds = loadDataset(spec, { split: 'test', ...datasetShapeFor(spec, net) });
  return { net, data: inputsFromDataset(ds, opts.samples ?? 1, net) };
}

/**
 * For `--data folder:PATH`, the image size and channels the network takes, so that a folder of
 * images of any size feeds it (they are resized): a CHW input [C, S, S] with C = 1 or 3, or a
 * flat one of S² (grey) or 3·S² (RGB) values (never both: 3 is not a square). Other datasets: {}.
 */
export function datasetShapeFor(spec: string | undefined, net: Network): Pick<LoadOptions, 'size' | 'channels'> {
  if (!spec?.trim().startsWith('folder:')) return {};
  const shape = net.inputShape;
  const where = `${spec.trim()}: ${net.name} takes inputs of shape [${shape}]`;
  if (shape.length === 3) {
    const [c, h, w] = shape;
    if ((c === 1 || c === 3) && h === w) return { size: h, channels: c };
    throw new UserError(`${where}; image folders give square images with 1 or 3 channels ([1, S, S] or [3, S, S])`);
  }
  const n = inputSize(net);
  const grey = Math.round(Math.sqrt(n));
  if (grey * grey === n) return { size: grey, channels: 1 };
  const rgb = Math.round(Math.sqrt(n / 3));
  if (3 * rgb * rgb === n) return { size: rgb, channels: 3 };
  throw new UserError(`${where} (${n} values), which is not a square grey or RGB image`);
}

/**
 * `--eps -0.1` would make parseArgs complain (over three lines) that the value looks like an
 * option; joining a negative number to its flag lets the value check say what is wrong with it.
 */
export function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i], next = argv[i + 1];
    if (/^--[a-z-]+$/.test(a) && next !== undefined && /^-(\d|\.\d|inf)/i.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}
