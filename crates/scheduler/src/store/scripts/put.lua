-- Creates or replaces a schedule and keeps both indexes in step with it.
--
-- The record is a hash: `schedule` (the Schedule as JSON, as put), `owner`, `enabled`
-- ("1" or "0") and `next_run_ms` (empty for none). `next_run_ms` is the field claim_run
-- moves; readers take it over the JSON's copy, so no script ever re-encodes the JSON.
--
-- The owner index is one sorted set of "<owner>\0<id>" members, read by lexical range:
-- a replace that changes the owner can then drop the old member without naming a second
-- key the caller could not know.
--
-- A replace (ARGV[6] = "1") happens only over a stored schedule whose `next_run_ms` is still
-- ARGV[7]: a change read, modified and written back then never undoes a run claimed in
-- between, nor brings back a schedule deleted in between.
--
-- KEYS[1] the record, KEYS[2] the due index, KEYS[3] the owner index
-- ARGV[1] id, ARGV[2] schedule JSON, ARGV[3] owner, ARGV[4] enabled ("1"/"0"),
-- ARGV[5] next_run_ms (empty for none), ARGV[6] "1" for a replace, ARGV[7] the expected
-- next_run_ms of a replace (empty for none)
-- Returns 1 when written, 0 when a replace found the schedule gone or changed.
if ARGV[6] == '1' then
  local current = redis.call('HGET', KEYS[1], 'next_run_ms')
  if current == false or current ~= ARGV[7] then
    return 0
  end
end
local old_owner = redis.call('HGET', KEYS[1], 'owner')
if old_owner then
  redis.call('ZREM', KEYS[3], old_owner .. '\0' .. ARGV[1])
end
redis.call('HSET', KEYS[1], 'schedule', ARGV[2], 'owner', ARGV[3], 'enabled', ARGV[4],
  'next_run_ms', ARGV[5])
redis.call('ZADD', KEYS[3], 0, ARGV[3] .. '\0' .. ARGV[1])
if ARGV[4] == '1' and ARGV[5] ~= '' then
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return 1
