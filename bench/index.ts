// `npm run bench`: the IBP + CROWN throughput benchmark of the cpu and gpu backends (bench/gpu.ts;
// the CPU-only details are in bench/bounds.ts). Arguments pass through, e.g. --sizes 1000,100000.
import { main } from './gpu.js';

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
