// `npm start`: the relay and the demo's dev server together, on localhost.
import { createServer } from 'vite';
import { startRelay } from './server.js';

const relayPort = Number(process.env['TESSERA_PORT'] ?? 8787);
const demoPort = Number(process.env['TESSERA_DEMO_PORT'] ?? 5173);
const relay = await startRelay({ port: relayPort, dataDir: process.env['TESSERA_DATA_DIR'] ?? 'tessera-data', log: (e) => (e.level !== 'info' || e.msg !== 'refused' ? console.log(JSON.stringify(e)) : undefined) });
process.env['VITE_TESSERA_RELAY_PORT'] = String(relay.port);
const vite = await createServer({ configFile: new URL('../vite.config.ts', import.meta.url).pathname, server: { port: demoPort, strictPort: true } });
await vite.listen();
console.log(`\n  Tessera demo:   http://127.0.0.1:${demoPort}/   (open it in several tabs: each tab is a player)`);
console.log(`  offline demo:   http://127.0.0.1:${demoPort}/?offline`);
console.log(`  relay:          ${relay.url}   health http://127.0.0.1:${relay.port}/healthz   metrics http://127.0.0.1:${relay.port}/metrics\n`);
const stop = async (): Promise<void> => {
  await vite.close();
  await relay.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
