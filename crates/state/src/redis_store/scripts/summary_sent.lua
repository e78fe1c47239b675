-- The broker confirmed the summary of round ARGV[1]: it is no longer due, unless a later
-- round's summary is due by now (a continuation ended meanwhile), which a late confirmation
-- of an earlier round must not hide.
--
-- KEYS[1] counters
-- ARGV[1] the round whose summary was sent
-- Returns 0 when another round's summary is due, else 1 (the job's entry in the index of
-- due summaries can go).
local due = redis.call('HGET', KEYS[1], 'summary_due')
if due and due ~= ARGV[1] then
  return 0
end
redis.call('HDEL', KEYS[1], 'summary_due', 'summary_due_at')
return 1
