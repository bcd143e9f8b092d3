package io.cohort.store.redis;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;

/** Direct access to a standalone test server's keys: look at what a store wrote, and delete a test's keys after it. */
final class RedisKeys implements AutoCloseable {
  private final RedisClient client;
  private final StatefulRedisConnection<byte[], byte[]> connection;
  private final RedisCommands<byte[], byte[]> redis;

  RedisKeys(String uri) {
    client = RedisClient.create(uri);
    connection = client.connect(ByteArrayCodec.INSTANCE);
    redis = connection.sync();
  }

  /** A key prefix no other test uses. */
  static String uniquePrefix() {
    return "test-" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
  }

  /** Deletes every key a store with {@code prefix} may have written. */
  void deleteAll(String prefix) {
    ScanArgs match = ScanArgs.Builder.matches("{" + prefix + "[:}]*").limit(1_000);
    ScanCursor cursor = ScanCursor.INITIAL;
    do {
      KeyScanCursor<byte[]> page = redis.scan(cursor, match);
      if (!page.getKeys().isEmpty()) {
        redis.unlink(page.getKeys().toArray(new byte[0][]));
      }
      cursor = page;
    } while (!cursor.isFinished());
  }

  boolean exists(byte[] key) {
    return redis.exists(key) == 1;
  }

  byte[] hget(byte[] key, String field) {
    return redis.hget(key, field.getBytes(StandardCharsets.US_ASCII));
  }

  void hset(byte[] key, String field, String value) {
    redis.hset(key, field.getBytes(StandardCharsets.US_ASCII), value.getBytes(StandardCharsets.US_ASCII));
  }

  RedisCommands<byte[], byte[]> commands() {
    return redis;
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }
}
