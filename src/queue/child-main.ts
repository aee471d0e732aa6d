// How a job's child process (block-child.ts, attack-child.ts) runs its one job and ends: it exits
// when its worker is gone (the IPC channel closes: nothing computes for nobody), bad input is one
// line on stderr and exit 2 (the worker fails the job without retrying), anything else exit 1
// with the stack (the job is retried).
import { UserError } from '../errors.js';

export function runChild(main: (inFile: string, outFile: string) => Promise<void>): void {
  process.on('disconnect', () => process.exit(1));
  process.channel?.unref();
  main(process.argv[2], process.argv[3]).then(
    () => { process.exitCode = 0; },
    (err: unknown) => {
      if (err instanceof UserError) {
        process.stderr.write(`veribound: ${err.message}\n`);
        process.exitCode = 2;
      } else {
        process.stderr.write(`veribound: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
        process.exitCode = 1;
      }
    },
  );
}
