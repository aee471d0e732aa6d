// The modes of shaders/relax.wgsl (its MODE constant), by name: the relaxations the GPU builds
// on the device, one thread per (box, output).
export const RELAX = { maxpool: 0, sigmoid: 1 } as const;
