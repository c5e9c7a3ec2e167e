import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const page = (name: string): string => fileURLToPath(new URL(`./demo/${name}.html`, import.meta.url));

// The demo is served from demo/; it imports the library from src/ and the worker from workers/.
export default defineConfig({
  root: 'demo',
  server: {
    host: '127.0.0.1',
    port: Number(process.env['TESSERA_DEMO_PORT'] ?? 5173),
    fs: { allow: ['..'] },
    // Cross-origin isolation gives workers a 5 µs performance.now() (100 µs without), for the bench.
    headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
  },
  preview: { host: '127.0.0.1' },
  worker: { format: 'es' },
  build: {
    outDir: '../dist-demo',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: { input: { main: page('index'), check: page('check'), bench: page('bench') } },
  },
  optimizeDeps: { include: ['three', 'comlink', '@dimforge/rapier3d-deterministic-compat', 'simple-peer/simplepeer.min.js'] },
});
