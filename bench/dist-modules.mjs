// The engine modules of a built tree (its dist/ folder, e.g. another worktree's), for the plain
// bench scripts that compare two builds (crown-bits.mjs, crown-sweep-cpu.mjs): one place that
// checks the folder and loads what they bound with.
import fs from 'node:fs';
import path from 'node:path';

export async function distModules(distRoot, fail) {
  const dist = path.resolve(distRoot);
  if (!fs.existsSync(path.join(dist, 'src', 'bounds', 'bound.js'))) fail(`${dist}: not a built dist folder (no src/bounds/bound.js)`);
  const I = (p) => import(path.join(dist, 'src', p));
  const [{ boundNetworkCpu }, { loadNetwork }, { loadOnnxFile }, { inputSize, logitNetwork }, { loadDataset }, { marginSpec }, { buildBoxes }] = await Promise.all(
    ['bounds/bound.js', 'models.js', 'onnx/load.js', 'network.js', 'data/load.js', 'spec/margins.js', 'sweep/boxes.js'].map(I));
  return { boundNetworkCpu, loadNetwork, loadOnnxFile, inputSize, logitNetwork, loadDataset, marginSpec, buildBoxes };
}
