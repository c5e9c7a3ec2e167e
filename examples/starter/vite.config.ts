import { defineConfig } from 'vite';

// The one thing Vite is told for tessera-engine: build the kinds module (src/kinds.ts) as a file
// of its own, dist/kinds.js, exports kept. joinWorld's `kinds` is a URL that the simulation
// imports at run time (in the player's Web Worker, or on the page), so the kinds cannot be
// inlined into the page's bundle, and `new URL('./kinds.ts', import.meta.url)` would not do:
// `vite build` copies that file as an asset, uncompiled. `vite` (dev) needs none of this: it
// serves src/kinds.ts compiled (src/main.ts picks the URL).
export default defineConfig({
  build: {
    rolldownOptions: {
      // Two entries: the page, and the kinds module (listing inputs replaces the default index.html).
      input: { index: 'index.html', kinds: 'src/kinds.ts' },
      // Vite drops its entries' exports by default: keep them for an entry that has some.
      preserveEntrySignatures: 'exports-only',
      // dist/kinds.js, the name main.ts knows; everything else named as Vite names it.
      output: { entryFileNames: (chunk) => (chunk.name === 'kinds' ? 'kinds.js' : 'assets/[name]-[hash].js') },
    },
  },
});
