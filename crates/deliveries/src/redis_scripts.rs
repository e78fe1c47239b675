//! The Lua scripts of the Redis delivery store: each multi-key or read-then-write update
//! runs as one script, so two dispatchers (or a crash) can never interleave inside it.

/// Appends an entry to a delivery log: numbers it from the log's counter, stores it as
/// `<sequence>:<json>` scored by that number (so members are unique and a page is a range
/// of scores), drops the oldest beyond the cap (0: no cap) and refreshes the expiry.
/// KEYS: log, counter. ARGV: entry JSON, cap, retention in seconds.
pub(super) const APPEND_LOG: &str = r"
local n = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], n, n .. ':' .. ARGV[1])
local cap = tonumber(ARGV[2])
if cap > 0 then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(cap + 1))
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return n";

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
