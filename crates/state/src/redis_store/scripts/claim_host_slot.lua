-- Counts a page against its host's share of a job (`max_pages_per_host`). A set of URLs per
-- host rather than a counter, so a redelivered task claiming its own slot again is not
-- counted twice.
--
-- KEYS[1] counters, KEYS[2] the host's URL set, KEYS[3] the job's index of host sets
-- (so that they expire with the job)
-- ARGV[1] URL, ARGV[2] the most pages the host may have
-- Returns 1 when the URL has (or now takes) a slot, 0 when the host is full.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NOSUCHJOB no such job')
end
if redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 1 then
  return 1
end
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], KEYS[2])
return 1
