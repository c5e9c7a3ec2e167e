/** Every error code Tessera raises, as a closed table (`as const` with a derived type). */
export const ErrorCode = {
  /** An argument, message or config is malformed or out of range. */
  BadInput: 'bad-input',
  /** A kind name is not registered in the `BehaviourRegistry`. */
  UnknownKind: 'unknown-kind',
  /** An entity id is not held where it was looked up. */
  UnknownEntity: 'unknown-entity',
  /** An entity id is already in use. */
  DuplicateEntity: 'duplicate-entity',
  /** A tile snapshot or world snapshot does not decode (truncated, wrong magic or version, invalid). */
  BadSnapshot: 'bad-snapshot',
  /** An entity or operation belongs to another tile than the one asked. */
  WrongTile: 'wrong-tile',
  /** Something was used before its setup ran (e.g. physics before `initPhysics()`). */
  NotInitialised: 'not-initialised',
  /** The caller's role does not allow it (a player editing the layout). */
  Forbidden: 'forbidden',
  /** A bug in Tessera: a state its own invariants rule out. */
  Internal: 'internal',
  /** The relay could not be reached, or dropped the connection before it opened: trying again may help. */
  Unreachable: 'unreachable',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The one error type Tessera throws: a stable `code` to branch on plus a readable message. */
export class TesseraError extends Error {
  /** What went wrong, as a stable code (see `ErrorCode`). */
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TesseraError';
    this.code = code;
  }
}

/** Throws `TesseraError(code, message)` unless `cond` holds. On hot paths pass the message as a function, so it is built only on failure. */
export function assert(cond: unknown, code: ErrorCode, message: string | (() => string)): asserts cond {
  if (!cond) throw new TesseraError(code, typeof message === 'function' ? message() : message);
}

/** Marks a branch the type system proves unreachable; throws if it is reached anyway. */
export function unexpectedCase(value: never, what: string): never {
  throw new TesseraError(ErrorCode.Internal, `unexpected ${what}: ${String(value)}`);
}
