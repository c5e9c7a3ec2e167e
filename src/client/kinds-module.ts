import { BehaviourRegistry } from '../core/behaviour.js';
import { ErrorCode, TesseraError } from '../core/errors.js';

/** What a kinds module exports: a registry, or a function (sync or async) returning one, as `default` or `kinds`. */
type KindsExport = BehaviourRegistry | (() => BehaviourRegistry | Promise<BehaviourRegistry>);

function isRegistry(x: unknown): x is BehaviourRegistry {
  // Duck-typed: the module may hold another copy of the library (a second bundle of it).
  return x instanceof BehaviourRegistry || (typeof x === 'object' && x !== null && typeof (x as BehaviourRegistry).get === 'function' && typeof (x as BehaviourRegistry).names === 'function' && typeof (x as BehaviourRegistry).has === 'function');
}

/**
 * Loads a world's kinds from a module URL: behaviours are functions, which cannot be posted
 * to a worker, so the worker imports them itself. The module exports, as `default` or `kinds`,
 * a `BehaviourRegistry` or a function returning one. Fails with a clear error otherwise.
 */
export async function loadKindsModule(url: string): Promise<BehaviourRegistry> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(/* @vite-ignore */ url)) as Record<string, unknown>;
  } catch (e) {
    throw new TesseraError(ErrorCode.BadInput, `kinds module ${url} could not be loaded: ${e instanceof Error ? e.message : String(e)}`);
  }
  const exported = (mod['default'] ?? mod['kinds']) as KindsExport | undefined;
  let registry: unknown = exported;
  try {
    if (typeof exported === 'function') registry = await exported();
  } catch (e) {
    throw new TesseraError(ErrorCode.BadInput, `kinds module ${url}: its kinds function threw: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isRegistry(registry)) throw new TesseraError(ErrorCode.BadInput, `kinds module ${url} must export (as default or \`kinds\`) a BehaviourRegistry or a function returning one; it exports ${Object.keys(mod).join(', ') || 'nothing'}`);
  return registry;
}
