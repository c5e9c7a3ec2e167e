import { defineConfig, type Plugin } from 'vite';

/**
 * Emits src/kinds.ts as `dist/kinds.js`, a module of its own with its exports kept. joinWorld's
 * `kinds` is a URL that the simulation imports at run time (in the player worker, or on the
 * page), so the kinds cannot be inlined into the app's bundle; an extra entry in
 * `rolldownOptions.input` would lose its exports (Vite drops an app entry's exports), and
 * `new URL('./kinds.ts', import.meta.url)` would copy the TypeScript file as it is. `vite` (dev)
 * needs none of this: it serves src/kinds.ts compiled.
 */
function kindsModule(): Plugin {
  let root = '';
  return {
    name: 'starter:kinds-module',
    apply: 'build',
    configResolved(config) {
      root = config.root;
    },
    buildStart() {
      this.emitFile({ type: 'chunk', id: `${root}/src/kinds.ts`, fileName: 'kinds.js', preserveSignature: 'strict' });
    },
  };
}

// Not needed, so not here: anything for the package's Web Worker (Vite bundles the
// `new Worker(new URL('../../workers/player.worker.js', import.meta.url), { type: 'module' })` in
// node_modules/tessera-engine on `vite build`, and its dependency optimizer rewrites that URL in
// `vite` dev), anything for WebAssembly (Rapier's is embedded in its JavaScript as base64), and
// cross-origin isolation headers (the package uses no SharedArrayBuffer).
export default defineConfig({
  plugins: [kindsModule()],
  resolve: {
    // simple-peer's package entry, which tessera-engine imports, is written for browserify: it
    // reads Node's `global` as it loads ("global is not defined" in a browser) and needs Node's
    // `process` and `events`. Its prebuilt bundle carries its own shims.
    alias: [{ find: /^simple-peer$/, replacement: 'simple-peer/simplepeer.min.js' }],
  },
});
