-- update: replaces a transaction if its stored version is the expected one (compare-and-set), keeping the stored id.
-- KEYS[1] the record hash, KEYS[2] the partition's due index, KEYS[3] its finish index
-- ARGV[1] the next record (RecordCodec), ARGV[2] the byte length of its owner field, ARGV[3] the gid,
-- ARGV[4] the expected version (8 bytes, big-endian, as in the record header),
-- ARGV[5] the wake score ('' = leaves the due index), ARGV[6] the finish score ('' = leaves the finish index)
-- Returns 1 when written, 0 when the transaction is missing or its version differs (nothing changed).
local stored = redis.call('HGET', KEYS[1], 'r')
if not stored or string.sub(stored, 10, 17) ~= ARGV[4] then
  return 0
end
-- header: schema @1, id @2..9, version @10..17 (Lua counts from 1): the id stays the stored one
local record = string.sub(ARGV[1], 1, 1) .. string.sub(stored, 2, 9) .. string.sub(ARGV[1], 10)
redis.call('HSET', KEYS[1], 'r', record, 'o', ARGV[2])
if ARGV[5] ~= '' then
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[3])
else
  redis.call('ZREM', KEYS[2], ARGV[3])
end
if ARGV[6] ~= '' then
  redis.call('ZADD', KEYS[3], ARGV[6], ARGV[3])
else
  redis.call('ZREM', KEYS[3], ARGV[3])
end
return 1
