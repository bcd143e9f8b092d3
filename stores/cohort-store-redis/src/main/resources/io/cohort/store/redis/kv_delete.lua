-- kv_delete: deletes one key-value entry if its stored version is the expected one.
-- KEYS[1] the category's entry hash, KEYS[2] its key order
-- ARGV[1] the key (UTF-16BE), ARGV[2] the expected version (8 bytes, big-endian)
-- Returns 1 when deleted, 0 otherwise (nothing changed).
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if not stored or string.sub(stored, 10, 17) ~= ARGV[2] then
  return 0
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
