// The Lua scripts that change leases in Redis. Redis runs a script alone, so each reads a tile's
// epoch and holder and changes them in one step: the compare-and-set no two nodes can interleave.
// A tile's lease is a hash: e (epoch, never lowered), n (holder's node, '' when nobody holds it),
// o (holder's peer id on that node). Every script answers {granted 0|1, refusal, e, n, o} with
// the tile's lease after it.

const CURRENT = `
local c = redis.call('HMGET', KEYS[1], 'e', 'n', 'o')
local e, n, o = tonumber(c[1] or '0'), c[2] or '', c[3] or ''
`;

/** KEYS: lease. ARGV: node, owner. A tile nobody holds goes to (node, owner) at its epoch + 1. */
export const GRANT_LUA = `${CURRENT}
if n ~= '' then return {0, 'held', e, n, o} end
e = e + 1
redis.call('HSET', KEYS[1], 'e', e, 'n', ARGV[1], 'o', ARGV[2])
return {1, '', e, ARGV[1], ARGV[2]}`;

/** KEYS: lease. ARGV: fromEpoch, epoch, node, owner. Only from the tile's epoch, only to a greater one. */
export const TRANSFER_LUA = `${CURRENT}
local from, to = tonumber(ARGV[1]), tonumber(ARGV[2])
if e ~= from or to <= e then return {0, 'stale-epoch', e, n, o} end
redis.call('HSET', KEYS[1], 'e', to, 'n', ARGV[3], 'o', ARGV[4])
return {1, '', to, ARGV[3], ARGV[4]}`;

/** KEYS: lease. ARGV: epoch, node, owner. Yes only to the holder at that epoch. */
export const RENEW_LUA = `${CURRENT}
if e ~= tonumber(ARGV[1]) or n ~= ARGV[2] or o ~= ARGV[3] then return {0, 'not-holder', e, n, o} end
return {1, '', e, n, o}`;

/**
 * KEYS: every tile's lease. ARGV: node, then epoch and owner of each tile in KEYS' order. RENEW_LUA
 * for each tile, in one call: one answer {granted, refusal, e, n, o} per tile.
 */
export const RENEW_ALL_LUA = `
local out = {}
for i, key in ipairs(KEYS) do
  local c = redis.call('HMGET', key, 'e', 'n', 'o')
  local e, n, o = tonumber(c[1] or '0'), c[2] or '', c[3] or ''
  if e ~= tonumber(ARGV[2 * i]) or n ~= ARGV[1] or o ~= ARGV[2 * i + 1] then
    out[i] = {0, 'not-holder', e, n, o}
  else
    out[i] = {1, '', e, n, o}
  end
end
return out`;

/** KEYS: lease. ARGV: epoch, node, owner. The holder at that epoch lets go; the epoch stays. */
export const RELEASE_LUA = `${CURRENT}
if e ~= tonumber(ARGV[1]) or n ~= ARGV[2] or o ~= ARGV[3] then return {0, 'not-holder', e, n, o} end
redis.call('HSET', KEYS[1], 'n', '', 'o', '')
return {1, '', e, n, o}`;
