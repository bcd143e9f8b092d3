-- purge: deletes up to ARGV[2] of one partition's final transactions finished before the bound, earliest first.
-- The record keys are named with the partition's hash tag, the one of KEYS[1..3]: one slot.
-- KEYS[1] the partition's finish index, KEYS[2] its id index, KEYS[3] its due index
-- ARGV[1] the bound (exclusive score, '(' and millis), ARGV[2] at most, ARGV[3] the record key prefix
-- Returns how many were deleted.
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local deleted = 0
for _, gid in ipairs(gone) do
  -- 0 only while the slot is being migrated and the record has gone ahead to the new node: then the index entries
  -- must stay with it, and the purge after the migration deletes them together.
  if redis.call('DEL', ARGV[3] .. gid) == 1 then
    redis.call('ZREM', KEYS[1], gid)
    redis.call('ZREM', KEYS[2], gid)
    redis.call('ZREM', KEYS[3], gid)
    deleted = deleted + 1
  end
end
return deleted
