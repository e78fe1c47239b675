-- Deletes a schedule, its index entries and its run log together.
--
-- KEYS[1] the record, KEYS[2] the due index, KEYS[3] the owner index, KEYS[4] the run log
-- ARGV[1] id
-- Returns 1 when there was a schedule, 0 otherwise.
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then
  return 0
end
redis.call('ZREM', KEYS[3], owner .. '\0' .. ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1], KEYS[4])
return 1
