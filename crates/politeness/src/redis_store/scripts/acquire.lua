-- Grants a lease on one of a host's concurrency slots, or says how long to wait.
--
-- Time is the Redis server's clock (TIME), so workers on machines whose clocks disagree
-- still share one schedule. Redis 5+ replicates a script's effects rather than the script,
-- so reading TIME before writing is allowed and replicas stay consistent.
--
-- KEYS[1] leases: sorted set, lease id -> expiry (ms)
-- KEYS[2] pace: hash, next_start (ms) and strikes (consecutive throttled answers)
-- ARGV[1] max_concurrency
-- ARGV[2] min_interval (ms)
-- ARGV[3] lease ttl (ms)
-- ARGV[4] longest wait suggested when every slot is busy (ms)
-- ARGV[5] the new lease's id
-- Returns {1, expires_at} when granted, {0, wait_ms} otherwise.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local lease_ttl = tonumber(ARGV[3])

-- Leases of workers that died mid-fetch free their slots here.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)

local next_start = tonumber(redis.call('HGET', KEYS[2], 'next_start') or '0')
if now < next_start then
  return {0, next_start - now}
end

if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  -- A slot frees when a fetch ends, which cannot be foreseen; the earliest expiry only
  -- bounds the wait when it comes sooner than the usual retry.
  local wait = tonumber(ARGV[4])
  local earliest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if earliest[2] then
    wait = math.min(wait, tonumber(earliest[2]) - now)
  end
  return {0, math.max(wait, 1)}
end

local expires_at = now + lease_ttl
redis.call('ZADD', KEYS[1], string.format('%d', expires_at), ARGV[5])
-- The newest lease expires last, so the set may go when it does.
redis.call('PEXPIRE', KEYS[1], lease_ttl)
local interval = tonumber(ARGV[2])
redis.call('HSET', KEYS[2], 'next_start', string.format('%d', now + interval))
-- Kept past the next start for as long as a lease lives, so the strike count survives
-- between the requests of a slowly crawled host.
redis.call('PEXPIRE', KEYS[2], interval + lease_ttl)
return {1, expires_at}
