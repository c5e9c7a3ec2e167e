/** Every error code Tessera raises, as a closed table (`as const` with a derived type). */
export const ErrorCode = {
  BadInput: 'bad-input',
  UnknownKind: 'unknown-kind',
  UnknownEntity: 'unknown-entity',
  DuplicateEntity: 'duplicate-entity',
  BadSnapshot: 'bad-snapshot',
  WrongTile: 'wrong-tile',
  NotInitialised: 'not-initialised',
  /** The caller's role does not allow it (a player editing the layout). */
  Forbidden: 'forbidden',
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The one error type Tessera throws: a stable `code` to branch on plus a readable message. */
export class TesseraError extends Error {
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
