//! The Lua scripts of the Redis delivery store: each multi-key or read-then-write update
//! runs as one script, so two dispatchers (or a crash) can never interleave inside it.

/// Adds an event to the first-attempt set and stamps the time only when it is new, so the
/// timestamp measures progress rather than redeliveries.
pub(super) const MARK_FIRST_DONE: &str = r"
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1";

/// Counts a failure, keeps it as the latest attempt, and disables the endpoint once the
/// count reaches the limit, in one step so that two dispatchers failing at once cannot
/// both miss the threshold. Answers the count and when the endpoint was disabled (`''`
/// when it is not: a nil would end the reply's array early).
pub(super) const ENDPOINT_FAILURE: &str = r"
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HSET', KEYS[3], ARGV[1], ARGV[4])
if n >= tonumber(ARGV[2]) then
  redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[3])
end
return {n, redis.call('HGET', KEYS[2], ARGV[1]) or ''}";

/// Removes a dead letter only if it is still the record the caller read.
pub(super) const REMOVE_DEAD: &str = r"
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local ok, record = pcall(cjson.decode, raw)
if ok and record.recordId == ARGV[2] then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 1
end
return 0";
