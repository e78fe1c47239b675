-- Renews the lease for its holder: the check and the new expiry in one step, so a lease
-- that expired and was taken by another holder in between is never extended for the old
-- one. (Acquiring a free lease is a plain SET NX PX.)
--
-- KEYS[1] the lease
-- ARGV[1] holder, ARGV[2] TTL in milliseconds
-- Returns 1 when renewed, 0 when another holder has it or nobody does.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
