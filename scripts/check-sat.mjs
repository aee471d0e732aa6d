// Kept for old command lines: `veribound check` does this now (see `veribound check --help`).
//   node scripts/check-sat.mjs --results results.csv --results-dir DIR [--root DIR]
// is `veribound check --csv results.csv --results-dir DIR [--root DIR]`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
const args = process.argv.slice(2).map((a) => (a === '--results' ? '--csv' : a.startsWith('--results=') ? `--csv=${a.slice(10)}` : a));
const r = spawnSync(process.execPath, [cli, 'check', ...args], { stdio: 'inherit' });
process.exit(r.status ?? 1);
