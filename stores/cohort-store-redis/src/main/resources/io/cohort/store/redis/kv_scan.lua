-- kv_scan: the entries of one category whose key sorts after ARGV[1], in key order, at most ARGV[2] (one consistent
-- read: the order and the entries come from the same moment).
-- KEYS[1] the category's entry hash, KEYS[2] its key order
-- ARGV[1] the exclusive lower bound ('(' and the UTF-16BE key), ARGV[2] at most
-- Returns {key, entry, key, entry, ...}.
local keys = redis.call('ZRANGEBYLEX', KEYS[2], ARGV[1], '+', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, key in ipairs(keys) do
  local entry = redis.call('HGET', KEYS[1], key)
  if entry then
    out[#out + 1] = key
    out[#out + 1] = entry
  end
end
return out
