-- claim: takes up to ARGV[2] of one partition's due transactions, earliest first, and rewrites each with the new
-- owner, the lease as its wake time and the next version; its due score becomes the lease, so no later claim before
-- the lease sees it. The record keys are not in KEYS (which ones is decided here), but all of them are named with the
-- partition's hash tag, the one of KEYS[1]: one slot.
-- KEYS[1] the partition's due index
-- ARGV[1] now (score, inclusive), ARGV[2] at most, ARGV[3] the lease as a score, ARGV[4] the lease (8 bytes,
-- big-endian), ARGV[5] the owner field (RecordCodec str), ARGV[6] its byte length, ARGV[7] the record key prefix
-- Returns {score, claimed record, score, claimed record, ...}, earliest first; score is the wake time before.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for i = 1, #due, 2 do
  local gid = due[i]
  local key = ARGV[7] .. gid
  local stored = redis.call('HMGET', key, 'r', 'o')
  local record = stored[1]
  -- No record here: its slot is being migrated (resharding moves a slot's keys one by one) and the record has gone
  -- ahead. Leave the entry alone; the claim after the migration finds both on the new node. (These scripts never
  -- leave an entry without its record otherwise.)
  if record then
    -- header: version @10..17, nextWake @19..26; the owner is the last field, o bytes long
    local version = {string.byte(record, 10, 17)}
    for j = 8, 1, -1 do
      if version[j] < 255 then
        version[j] = version[j] + 1
        break
      end
      version[j] = 0
    end
    local ownerAt = #record - tonumber(stored[2])
    local claimed = string.sub(record, 1, 9) .. string.char(unpack(version)) .. string.sub(record, 18, 18)
      .. ARGV[4] .. string.sub(record, 27, ownerAt) .. ARGV[5]
    redis.call('HSET', key, 'r', claimed, 'o', ARGV[6])
    redis.call('ZADD', KEYS[1], ARGV[3], gid)
    out[#out + 1] = due[i + 1]
    out[#out + 1] = claimed
  end
end
return out
