-- Reads what earlier deliveries of one URL's task recorded, for a redelivery to replay.
--
-- The tasks the URL admitted (admit.lua) and promoted (record_outcome.lua) come back as
-- their stored JSON, each with whether its own task is closed, so the caller republishes
-- only the open ones. The page's result is read only when its outcome is recorded.
--
-- KEYS[1] admissions, KEYS[2] outcomes, KEYS[3] results, KEYS[4] closed URLs
-- ARGV[1] URL
-- Returns {admitted JSON or '', outcome JSON or '', result JSON or '',
--          closed flags of the admitted tasks, closed flags of the promoted ones}.
local function closed_flags(tasks)
  local flags = {}
  for i, task in ipairs(tasks) do
    flags[i] = redis.call('SISMEMBER', KEYS[4], task.url)
  end
  return flags
end

local admitted = redis.call('HGET', KEYS[1], ARGV[1])
local outcome = redis.call('HGET', KEYS[2], ARGV[1])
local result = false
local admitted_closed = {}
local promoted_closed = {}
if admitted then
  admitted_closed = closed_flags(cjson.decode(admitted))
end
if outcome then
  result = redis.call('HGET', KEYS[3], ARGV[1])
  promoted_closed = closed_flags(cjson.decode(outcome).promoted)
end
return {admitted or '', outcome or '', result or '', admitted_closed, promoted_closed}
