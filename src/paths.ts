// Locations inside the installed package (works from dist/src and from a clean clone).
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'shaders'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('veribound: cannot find the package root');
    dir = up;
  }
}

export const packageRoot = findRoot();
export const modelsDir = path.join(packageRoot, 'models');
export const shadersDir = path.join(packageRoot, 'shaders');
