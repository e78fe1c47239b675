-- Stores a new job and admits its start URL: seen, its cost reserved, pending = 1.
-- A second call for the same job (a retried request) changes nothing.
--
-- KEYS[1] record, KEYS[2] counters, KEYS[3] seen, KEYS[4] frontier (depths with pending tasks)
-- ARGV[1] record JSON, ARGV[2] start URL, ARGV[3] cost per page,
-- ARGV[4] crawl budget, or '' when the job has none
-- Returns 1 when the job was created, 0 when it already existed.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2],
  'state', 'running',
  'pending', 1,
  'reserved', ARGV[3],
  'cost', 0,
  'completed', 0,
  'failed', 0,
  'cancelled', 0,
  'cost_per_page', ARGV[3],
  'pd:0', 1)
redis.call('ZADD', KEYS[4], 0, '0')
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[2], 'budget', ARGV[4])
end
redis.call('SADD', KEYS[3], ARGV[2])
return 1
