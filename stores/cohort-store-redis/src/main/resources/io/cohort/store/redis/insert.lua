-- insert: stores a new transaction unless its gid is taken. Every key is in one partition's slot, except KEYS[5],
-- which only a standalone server is given (a cluster store takes the id with INCR before calling).
-- KEYS[1] the record hash, KEYS[2] the partition's id index, KEYS[3] its due index, KEYS[4] its finish index,
-- KEYS[5] the id sequence (standalone only)
-- ARGV[1] the record (RecordCodec), ARGV[2] the byte length of its owner field, ARGV[3] the gid,
-- ARGV[4] the id ('' = take the next from KEYS[5] and write it into the record's header),
-- ARGV[5] the wake score ('' = not due ever), ARGV[6] the finish score ('' = not purgeable)
-- Returns {1, id} when inserted, {0, stored record} when the gid is taken (nothing changed).
local stored = redis.call('HGET', KEYS[1], 'r')
if stored then
  return {0, stored}
end
local record = ARGV[1]
local id = ARGV[4]
if id == '' then
  local n = redis.call('INCR', KEYS[5])
  id = string.format('%d', n)
  local bytes = {}
  for i = 8, 1, -1 do
    bytes[i] = n % 256
    n = math.floor(n / 256)
  end
  record = string.sub(record, 1, 1) .. string.char(unpack(bytes)) .. string.sub(record, 10)
end
redis.call('HSET', KEYS[1], 'r', record, 'o', ARGV[2])
redis.call('ZADD', KEYS[2], id, ARGV[3])
if ARGV[5] ~= '' then
  redis.call('ZADD', KEYS[3], ARGV[5], ARGV[3])
end
if ARGV[6] ~= '' then
  redis.call('ZADD', KEYS[4], ARGV[6], ARGV[3])
end
return {1, id}
