// The operator's dashboard, HTTP side: `GET /dashboard` (the page), `GET /dashboard/data` (its
// JSON, polled every second), `GET /dashboard/uplot.js` and `/dashboard/uplot.css` (uPlot, from
// the installed `uplot` package: nothing is copied at build time, so it works from `dist/`).
//
// With a secret, the page and its data need a join token of the world with the `creator` role
// (`npx tessera token --secret S --role creator`), as `Authorization: Bearer <token>` or
// `?token=<token>` (the page passes its own `?token=` on to its data requests). uPlot's files are
// public library code and are served to anyone.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { checkToken, tokenRole } from '../tokens.js';
import type { DashboardData } from './dashboard-data.js';
import { DASHBOARD_HTML } from './dashboard-page.js';

/** Options of `dashboardRoutes`. */
export interface DashboardRoutesOptions {
  readonly data: DashboardData;
  readonly world: string;
  /** The relay's token secret; when set, the page and its data need a creator token. */
  readonly secret?: string;
  /** Wall clock, ms (default `Date.now`): token expiry. */
  readonly now?: () => number;
}

/** A request handler for the dashboard's paths: answers and returns true, or returns false for any other path. */
export type DashboardRoutes = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
} as const;

type Asset = { readonly body: Buffer; readonly type: string } | { readonly error: string };

/** uPlot's files, read once from the installed package. */
function loadAsset(file: string, type: string): Asset {
  try {
    const path = createRequire(import.meta.url).resolve(`uplot/dist/${file}`);
    return { body: readFileSync(path), type };
  } catch (e) {
    return { error: `uPlot (${file}) not found: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** Why a request may not see the dashboard, or undefined when it may. */
export function dashboardDenial(req: IncomingMessage, secret: string | undefined, world: string, nowMs: number): string | undefined {
  if (!secret) return undefined;
  const header = req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  const query = new URL(req.url ?? '/', 'http://relay').searchParams.get('token') ?? undefined;
  const token = bearer ?? query;
  if (!token) return 'the dashboard needs a creator token (Authorization: Bearer <token> or ?token=<token>)';
  const bad = checkToken(secret, token, world, nowMs);
  if (bad !== undefined) return bad;
  if (tokenRole(token) !== 'creator') return 'the dashboard needs a token with the creator role';
  return undefined;
}

/** The dashboard's routes, for the relay's HTTP server. */
export function dashboardRoutes(opts: DashboardRoutesOptions): DashboardRoutes {
  const assets = new Map<string, Asset>();
  const asset = (name: string, file: string, type: string): Asset => {
    let a = assets.get(name);
    if (!a) assets.set(name, (a = loadAsset(file, type)));
    return a;
  };
  const now = opts.now ?? Date.now;
  return (req, res, path) => {
    if (path !== '/dashboard' && !path.startsWith('/dashboard/')) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'text/plain', allow: 'GET, HEAD' });
      res.end('method not allowed\n');
      return true;
    }
    if (path === '/dashboard/uplot.js' || path === '/dashboard/uplot.css') {
      const a = path.endsWith('.js') ? asset('js', 'uPlot.iife.min.js', 'text/javascript; charset=utf-8') : asset('css', 'uPlot.min.css', 'text/css; charset=utf-8');
      if ('error' in a) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`${a.error}\n`);
      } else {
        res.writeHead(200, { 'content-type': a.type, 'content-length': a.body.length, 'x-content-type-options': 'nosniff', 'cache-control': 'public, max-age=3600' });
        res.end(req.method === 'HEAD' ? undefined : a.body);
      }
      return true;
    }
    if (path !== '/dashboard' && path !== '/dashboard/' && path !== '/dashboard/data') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return true;
    }
    const denied = dashboardDenial(req, opts.secret, opts.world, now());
    if (denied !== undefined) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer realm="tessera dashboard"', ...SECURITY_HEADERS });
      res.end(`${denied}\n`);
      return true;
    }
    if (path === '/dashboard/data') {
      const withSeries = new URL(req.url ?? '/', 'http://relay').searchParams.has('history');
      const body = JSON.stringify(opts.data.snapshot(withSeries));
      res.writeHead(200, { 'content-type': 'application/json', ...SECURITY_HEADERS });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    }
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      ...SECURITY_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : DASHBOARD_HTML);
    return true;
  };
}
