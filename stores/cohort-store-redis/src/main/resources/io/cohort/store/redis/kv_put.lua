-- kv_put: creates (ARGV[3] = '') or replaces (compare-and-set on the version) one key-value entry.
-- KEYS[1] the category's entry hash, KEYS[2] its key order, KEYS[3] the entry id sequence (standalone creates only)
-- ARGV[1] the key (UTF-16BE), ARGV[2] the entry (KvCodec), ARGV[3] the expected version (8 bytes, big-endian) or ''
-- to create, ARGV[4] the new entry's id ('' = take the next from KEYS[3] and write it into the header)
-- Returns 1 when written, 0 when the condition did not hold (nothing changed).
local stored = redis.call('HGET', KEYS[1], ARGV[1])
local entry = ARGV[2]
if ARGV[3] == '' then
  if stored then
    return 0
  end
  if ARGV[4] == '' then
    local n = redis.call('INCR', KEYS[3])
    local bytes = {}
    for i = 8, 1, -1 do
      bytes[i] = n % 256
      n = math.floor(n / 256)
    end
    entry = string.sub(entry, 1, 1) .. string.char(unpack(bytes)) .. string.sub(entry, 10)
  end
  redis.call('ZADD', KEYS[2], 0, ARGV[1])
else
  if not stored or string.sub(stored, 10, 17) ~= ARGV[3] then
    return 0
  end
  -- header: id @2..9, version @10..17, create time @18..25: the stored id and create time stay
  entry = string.sub(entry, 1, 1) .. string.sub(stored, 2, 9) .. string.sub(entry, 10, 17)
    .. string.sub(stored, 18, 25) .. string.sub(entry, 26)
end
redis.call('HSET', KEYS[1], ARGV[1], entry)
return 1
