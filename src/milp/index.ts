// The exact MILP fallback: what the verification cascade, the sweep and the attack command use.
export { milpVerify, milpMinimizeLinear, marginVector } from './verify.js';
export type { VerifyResult, VerifyOptions, VerifyStatus, ClassResult, MinimizeResult } from './verify.js';
export { milpFindInSet } from './findset.js';
export type { FindResult } from './findset.js';
export { minimalAdversarial } from './adversarial.js';
export type { AdversarialOptions, AdversarialResult } from './adversarial.js';
export { MilpPool } from './pool.js';
export type { MilpSolver, QueryOptions } from './problem.js';
export type { Box } from './encode/input.js';
export { encodeNetwork } from './encode/network.js';
export { milpSupport } from './encode/ops/index.js';
export type { MilpSupport } from './encode/ops/index.js';
