-- Releases the lease only for its holder, so a holder whose lease expired and was taken
-- over cannot delete its successor's.
--
-- KEYS[1] the lease
-- ARGV[1] holder
-- Returns 1 when released, 0 otherwise.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
