// The dataset a network is judged on when the user names none, decided in one place for every
// command (info, bounds, sweep, attack, bench) and the library: MNIST, except for a one-output
// network (a binary logit or a sigmoid head) whose name carries a digit pair, e.g.
// `mnist-3v5-sigmoid` -> `mnist:3v5` (digit 3 is class 0, digit 5 class 1, as it was trained).
import type { Network } from '../network.js';
import { outputSize } from '../network.js';

/** The --data spec to use for `net`: the one given, else the default above (undefined: cannot tell). */
export function dataSpecFor(net: Network, given?: string): string | undefined {
  if (given !== undefined && given.trim() !== '') return given;
  if (outputSize(net) !== 1) return 'mnist';
  const pair = /(\d)v(\d)/.exec(net.name.split(/[\\/]/).pop() ?? '');
  return pair ? `mnist:${pair[1]}v${pair[2]}` : undefined;
}

/** The line said when dataSpecFor gives undefined. */
export const NO_DATA_SPEC = 'a one-output network whose name names no digit pair: say which digits with --data mnist:AvB';
