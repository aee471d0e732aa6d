// The network and test images `attack` works on, from --net and --data as given: one loader for
// `attack --index`, `--indices`, and `merge` of attack shards (which loads them again from the
// same arguments and checks the weights' hash, so a merge replays rows on the shards' network).
import { logitNetwork } from '../network.js';
import { UserError } from '../errors.js';
import { loadNetwork } from '../models.js';
import { loadDataset } from '../data/load.js';
import { datasetShapeFor } from '../sweep/setup.js';
import { dataSpecFor, NO_DATA_SPEC } from '../data/for-network.js';

export function loadAttackTarget(netArg: string, dataArg: string | undefined) {
  const full = loadNetwork(netArg);
  const net = logitNetwork(full);
  const spec = dataSpecFor(net, dataArg);
  if (spec === undefined) throw new UserError(`${net.name}: ${NO_DATA_SPEC}`);
  const ds = loadDataset(spec, { split: 'test', ...datasetShapeFor(spec, net) });
  return { full, net, ds };
}
