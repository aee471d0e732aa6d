// What a `node:` built-in (or the `webgpu` npm package, Dawn for Node) becomes in the browser
// bundle, for the few shared modules that import one only for a Node-only path the page never
// takes (reading an ONNX file by path, pointing Vulkan at SwiftShader, loading Dawn). Any use
// fails loudly naming the call instead of doing something else silently. scripts/build-web.mjs
// allows it only for the importers it lists; any other `node:` import fails the build.
const stub: Record<string, unknown> = new Proxy({}, {
  get(_target, key) {
    if (key === '__esModule' || key === 'then' || typeof key === 'symbol') return undefined;
    return () => { throw new Error(`${String(key)}() is Node-only and not available in the browser page`); };
  },
});
export default stub;
