-- meta: marks a new store with its layout version and partition count, and returns the ones it was created with.
-- KEYS[1] the meta hash
-- ARGV[1] the layout version, ARGV[2] the partition count
-- Returns {layout, partitions} as stored.
redis.call('HSETNX', KEYS[1], 'layout', ARGV[1])
redis.call('HSETNX', KEYS[1], 'partitions', ARGV[2])
return redis.call('HMGET', KEYS[1], 'layout', 'partitions')
