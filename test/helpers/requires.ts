// Tests whose real part may be absent on a user's machine: the VNN-COMP files in ../shared, a
// WebGPU adapter (SwiftShader comes from Debian's chromium, which only .ci/run installs), a
// redis-server. Where that part is absent, a test file's tests are registered as skipped and
// one line says why; VERIBOUND_TEST_REQUIRE_ALL=1 (set by .ci/run after it installed everything)
// turns each such skip into a failure, so CI still runs every one of them.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { Test } from 'uvu';

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
export const sharedDir = path.resolve(root, '../shared');
export const benchDir = path.join(sharedDir, 'benchmarks');

/** Why the VNN-COMP files are missing, or undefined when ../shared/benchmarks is there. */
export function sharedMissing(): string | undefined {
  return fs.existsSync(benchDir) ? undefined : `${benchDir} is absent (VNN-COMP networks and properties)`;
}

let gpuReason: Promise<string | undefined> | undefined;
/** Why no WebGPU adapter (hardware or software) can be had, or undefined when one can. */
export function gpuMissing(): Promise<string | undefined> {
  gpuReason ??= import('../../src/kernels/device.js').then(
    async ({ findAdapter }) => ((await findAdapter(true)) ? undefined : 'no WebGPU adapter (install Debian\'s chromium for the SwiftShader one)'),
    (e: unknown) => `WebGPU unavailable (${String(e)})`,
  );
  return gpuReason;
}

/** Why redis-server cannot be started, or undefined when it is on the PATH. */
export function redisMissing(): string | undefined {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'no redis-server on the PATH (apt-get install redis-server)';
  }
}

const required = () => process.env.VERIBOUND_TEST_REQUIRE_ALL === '1';

/** A hook that does nothing (the skipped or failing stand-in runs no setup that needs the missing part). */
const noHook = Object.assign(() => {}, { each: () => {} });

/**
 * `test` itself when `reason` is undefined; otherwise a stand-in that registers every test as
 * skipped (printing one line for the file), or as failing under VERIBOUND_TEST_REQUIRE_ALL=1.
 */
export function guard(test: Test, reason: string | undefined): Test {
  if (reason === undefined) return test;
  let stand: (name: string, fn: () => void | Promise<void>) => void;
  if (required()) {
    stand = (name) => test(name, () => { throw new Error(`required by VERIBOUND_TEST_REQUIRE_ALL=1, but ${reason}`); });
  } else {
    process.stdout.write(`skip: ${reason}\n`);
    stand = (name, fn) => test.skip(name, fn);
  }
  return Object.assign(stand, { only: stand, skip: stand, before: noHook, after: noHook, run: test.run }) as unknown as Test;
}

/** The Chromium the web page's test drives (Debian's; $CHROMIUM overrides). */
export const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Why there is no Chromium to drive, or undefined when there is. */
export function chromiumMissing(): string | undefined {
  return fs.existsSync(chromiumPath) ? undefined : `no ${chromiumPath} (apt-get install chromium, or set $CHROMIUM)`;
}
