-- Claims the final URL of a redirect in the seen-set, so that two pages redirecting to
-- the same place are fetched once. The claim remembers who made it, so a redelivered
-- task repeating its own claim is not mistaken for a duplicate.
--
-- KEYS[1] counters, KEYS[2] seen, KEYS[3] redirect claims (target -> from)
-- ARGV[1] from URL, ARGV[2] target URL
-- Returns 1 when the target belongs to `from`, 0 when another page owns it.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NOSUCHJOB no such job')
end
if ARGV[1] == ARGV[2] then
  return 1
end
local owner = redis.call('HGET', KEYS[3], ARGV[2])
if owner then
  if owner == ARGV[1] then
    return 1
  end
  return 0
end
if redis.call('SADD', KEYS[2], ARGV[2]) == 1 then
  redis.call('HSET', KEYS[3], ARGV[2], ARGV[1])
  return 1
end
return 0
