// A synchronous call from the relay's thread into a worker thread that holds an asynchronous
// connection (Redis): the relay's thread posts a numbered request and waits (Atomics.wait) until
// the worker has posted the answer on a MessagePort, then takes it off the port at once
// (receiveMessageOnPort). Used by the lease table and the world store, which the relay core calls
// synchronously and which must not act before Redis answered.
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

/** The worker's end of a `SyncCaller`: pass it in `workerData`, and its `port` in the transfer list. */
export interface SyncCallEnd {
  /** One Int32 word: `-seq` while the caller waits for request `seq`, `seq` once answered, 0 when it gave up. */
  readonly shared: SharedArrayBuffer;
  /** Where answers go, `{ seq, answer }`. */
  readonly port: MessagePort;
}

/** The answer to one call, or that none came in time. */
export type SyncAnswer<A> = { readonly answered: true; readonly answer: A } | { readonly answered: false };

/** What a worker behind a `SyncCaller` tells the relay's thread outside answers (its own events may be added). */
export type WorkerStatusEvent = { readonly type: 'ready' } | { readonly type: 'failed' | 'down'; readonly reason: string };

/** The relay thread's end: one call at a time, each waited for at most its timeout. */
export class SyncCaller {
  private readonly word: Int32Array;
  private seq = 0;

  private constructor(
    /** The worker's end, to hand to it. */
    readonly end: SyncCallEnd,
    private readonly port: MessagePort,
  ) {
    this.word = new Int32Array(end.shared, 0, 1);
  }

  /** A caller and the end to give the worker. */
  static create(): SyncCaller {
    const { port1, port2 } = new MessageChannel();
    port1.unref();
    return new SyncCaller({ shared: new SharedArrayBuffer(4), port: port2 }, port1);
  }

  /**
   * Sends request number `seq` (through `send`) and waits for its answer, at most `timeoutMs`:
   * `answered: false` when none came in time (should it come later, the worker learns it was late).
   */
  call<A>(send: (seq: number) => void, timeoutMs: number): SyncAnswer<A> {
    const seq = ++this.seq;
    Atomics.store(this.word, 0, -seq);
    send(seq);
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (Atomics.load(this.word, 0) === seq) break;
      const left = deadline - performance.now();
      if (left <= 0) {
        // Withdraw; should the answer have landed meanwhile, take it.
        if (Atomics.compareExchange(this.word, 0, -seq, 0) === -seq) return { answered: false };
        break;
      }
      Atomics.wait(this.word, 0, -seq, left);
    }
    // The answer was posted before the word changed; older, late answers are still on the port.
    for (;;) {
      const m = receiveMessageOnPort(this.port) as { message: { seq: number; answer: A } } | undefined;
      if (!m) throw new Error(`answer ${seq} missing from the worker's port`);
      if (m.message.seq === seq) return { answered: true, answer: m.message.answer };
    }
  }

  /** The number of the last request sent. */
  get lastSeq(): number {
    return this.seq;
  }

  /** Closes the caller's port. */
  close(): void {
    this.port.close();
  }
}

/**
 * The worker's side: posts the answer to request `seq` and wakes the waiting thread; false when
 * that thread had stopped waiting for it (the answer is late, and thrown away by the caller).
 */
export function answerSyncCall(end: SyncCallEnd, seq: number, answer: unknown, word = new Int32Array(end.shared, 0, 1)): boolean {
  if (Atomics.load(word, 0) !== -seq) return false;
  end.port.postMessage({ seq, answer });
  const won = Atomics.compareExchange(word, 0, -seq, seq) === -seq;
  Atomics.notify(word, 0);
  return won;
}

/**
 * Starts worker module `name` (a sibling of the module at `base`, usually `import.meta.url`): the
 * built JavaScript, or the TypeScript source when run with tsx (development, tests).
 */
export function startWorker(base: string, name: string, workerData: unknown, transferList: readonly MessagePort[] = []): Worker {
  const options = { workerData, transferList: [...transferList] };
  if (!base.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, base), options);
  // Worker threads do not inherit tsx's loader: register it first, then load the worker module.
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL(`./${name}.ts`, base).href;
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { ...options, eval: true });
}

/**
 * Waits for a freshly started worker's first `ready` (resolves) or `failed` (rejects with
 * `Redis at <url> is unreachable: <reason>` and ends the worker).
 */
export function workerReady(worker: Worker, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const first = (e: WorkerStatusEvent): void => {
      if (e.type === 'ready') {
        worker.off('message', first);
        resolve();
      } else if (e.type === 'failed') {
        worker.off('message', first);
        void worker.terminate();
        reject(new Error(`Redis at ${url} is unreachable: ${e.reason}`));
      }
    };
    worker.on('message', first);
    worker.once('error', reject);
  });
}

/** Ends a worker that was asked to close: waits for it to exit, terminating it after `graceMs`. */
export function workerExit(worker: Worker, graceMs = 1000): Promise<void> {
  return new Promise<void>((resolve) => {
    worker.once('exit', () => resolve());
    setTimeout(() => void worker.terminate(), graceMs).unref();
  });
}
