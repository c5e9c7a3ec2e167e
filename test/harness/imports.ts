export * from '../../src/index.js';
export type { HarnessClient } from './harness.js';
