import { createHmac, timingSafeEqual } from 'node:crypto';

/** Claims of a join token. */
export interface TokenClaims {
  /** The world the token admits to; the relay refuses it for any other. */
  readonly world: string;
  /** Expiry, seconds since the Unix epoch. */
  readonly exp: number;
  /** Subject: who the token was issued to (free text, for logs). */
  readonly sub?: string;
  /**
   * What the holder may do to the world's document: `creator` edits the layout, `player` (the
   * default) writes only its profile and chat, `viewer` the same and owns no tiles.
   */
  readonly role?: 'creator' | 'player' | 'viewer';
}

const b64 = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** Makes an HMAC-SHA256 signed join token: `base64url(claims).base64url(mac)`. */
export function makeToken(secret: string, claims: TokenClaims): string {
  const body = b64(JSON.stringify(claims));
  return `${body}.${b64(createHmac('sha256', secret).update(body).digest())}`;
}

/** Checks a token against the secret, the world and the clock (ms); returns undefined if valid, else why not. */
export function checkToken(secret: string, token: string, world: string, nowMs: number): string | undefined {
  const [body, mac, extra] = token.split('.');
  if (!body || !mac || extra !== undefined) return 'malformed token';
  const want = createHmac('sha256', secret).update(body).digest();
  const got = Buffer.from(mac, 'base64url');
  if (got.length !== want.length || !timingSafeEqual(got, want)) return 'bad token signature';
  let claims: TokenClaims;
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenClaims;
  } catch {
    return 'malformed token claims';
  }
  if (claims.world !== world) return 'token is for another world';
  if (typeof claims.exp !== 'number' || claims.exp * 1000 < nowMs) return 'token expired';
  if (claims.role !== undefined && !['creator', 'player', 'viewer'].includes(claims.role)) return `unknown role ${JSON.stringify(claims.role)}`;
  return undefined;
}

/** The role a token (already checked with `checkToken`) grants; `player` when it names none. */
export function tokenRole(token: string): 'creator' | 'player' | 'viewer' {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as TokenClaims;
    return claims.role ?? 'player';
  } catch {
    return 'player';
  }
}
