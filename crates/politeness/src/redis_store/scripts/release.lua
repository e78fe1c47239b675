-- Frees a lease's slot and applies a backoff after a 429 or 503.
--
-- KEYS[1] leases: sorted set, lease id -> expiry (ms)
-- KEYS[2] pace: hash, next_start (ms) and strikes (consecutive throttled answers)
-- ARGV[1] lease id
-- ARGV[2] the lease's expiry (ms)
-- ARGV[3] backoff kind: 'none', 'exact' or 'escalate'
-- ARGV[4] the pause (exact) or its base (escalate) (ms)
-- ARGV[5] the cap of an escalated pause (ms)
-- ARGV[6] lease ttl (ms), how long the pace hash outlives the next start
-- Returns 1 when applied, 0 for a repeated release.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local removed = redis.call('ZREM', KEYS[1], ARGV[1])
if removed == 0 and now < tonumber(ARGV[2]) then
  -- Only a release removes a live lease, so this one was released before.
  return 0
end

if ARGV[3] == 'none' then
  redis.call('HDEL', KEYS[2], 'strikes')
  return 1
end

local strikes = redis.call('HINCRBY', KEYS[2], 'strikes', 1)
local pause = tonumber(ARGV[4])
if ARGV[3] == 'escalate' then
  pause = math.min(pause * 2 ^ math.min(strikes - 1, 31), tonumber(ARGV[5]))
end
local next_start = tonumber(redis.call('HGET', KEYS[2], 'next_start') or '0')
next_start = math.max(next_start, now + pause)
redis.call('HSET', KEYS[2], 'next_start', string.format('%d', next_start))
redis.call('PEXPIRE', KEYS[2], string.format('%d', next_start - now + tonumber(ARGV[6])))
return 1
