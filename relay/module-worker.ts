import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

interface EsbuildLike {
  buildSync(options: Record<string, unknown>): { outputFiles?: { contents: Uint8Array }[] };
}

/**
 * Starts the worker module `name` that sits next to the calling module (`callerUrl`): its built
 * `.js` in the package; run from the TypeScript sources (development, tests), the `.ts` bundled
 * once with esbuild (a dev dependency) into `node_modules/.cache/tessera-workers/`, packages left
 * as imports. Why not tsx inside the worker: under Node 20, two workers registering tsx at once
 * (the audit worker and the relay's tiles) hung loading the sources, and one took seconds.
 */
export function startModuleWorker(callerUrl: string, name: string, workerData: unknown): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), { workerData });
  const entry = fileURLToPath(new URL(`./${name}.ts`, callerUrl));
  const esbuild = createRequire(import.meta.url)('esbuild') as EsbuildLike;
  const built = esbuild.buildSync({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'node', target: 'node20', packages: 'external', write: false, logLevel: 'silent' });
  const code = built.outputFiles?.[0]?.contents;
  if (!code) throw new Error(`could not bundle worker ${entry}`);
  const dir = join(repoRoot(dirname(entry)), 'node_modules', '.cache', 'tessera-workers');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${name}-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(out)) {
    // Written whole, then renamed: relays starting at once never load a half-written file.
    const tmp = `${out}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, code);
    renameSync(tmp, out);
  }
  return new Worker(out, { workerData, execArgv: [] });
}

/** The nearest folder upwards with a `node_modules` (where the bundle's package imports resolve). */
function repoRoot(from: string): string {
  for (let d = from; ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) return d;
    if (dirname(d) === d) throw new Error(`no node_modules above ${from}`);
  }
}
