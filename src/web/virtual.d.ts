// Modules that exist only inside the browser bundle (made by scripts/build-web.mjs).
declare module 'veribound:shaders' {
  /** shaders/<name>.wgsl by name. */
  const shaders: Record<string, string>;
  export default shaders;
}
