package io.cohort.store.redis;

import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Settings of a {@link RedisTransactionStore}, validated when built, immutable after. Start from
 * {@link #standalone(String)} or {@link #cluster(List)} and change what differs with the {@code with…} methods.
 *
 * @param uris the server: one URI for a standalone server ({@code redis://host:6379/0}, {@code rediss://…} for TLS,
 *     {@code redis-sentinel://…} for a Sentinel-managed primary), or one or more seed nodes of a Redis Cluster (the
 *     client discovers the rest). Credentials go in the URI ({@code redis://user:password@host}); they are never
 *     shown in messages or {@link #toString()}.
 * @param cluster whether {@code uris} are seeds of a Redis Cluster (default: standalone)
 * @param keyPrefix the start of every key this store writes (default {@code cohort}): letters, digits, {@code . _ -},
 *     at most 64. Two stores on one Redis need two prefixes.
 * @param partitions how many partitions transactions are spread over (default 64, at most 1024). Each partition's keys
 *     share one cluster slot; more partitions spread a cluster's load more evenly, but every claim and purge asks
 *     every partition. Fixed when the store is first opened: opening it later with another count is refused.
 * @param connectTimeout how long connecting may take (default 5 s)
 * @param commandTimeout how long one command may take before it fails (default 10 s)
 */
public record RedisStoreOptions(
    List<String> uris, boolean cluster, String keyPrefix, int partitions, Duration connectTimeout,
    Duration commandTimeout) {

  public static final String DEFAULT_KEY_PREFIX = "cohort";
  public static final int DEFAULT_PARTITIONS = 64;
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(10);

  private static final Pattern PREFIX = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  public RedisStoreOptions {
    Objects.requireNonNull(uris, "uris");
    uris = List.copyOf(uris);
    if (uris.isEmpty()) {
      throw new IllegalArgumentException("redis uris must name at least one server");
    }
    if (!cluster && uris.size() > 1) {
      throw new IllegalArgumentException("a standalone Redis store takes one uri, got " + uris.size()
          + " (for a Redis Cluster, use RedisStoreOptions.cluster)");
    }
    for (String uri : uris) {
      RedisURI parsed = parse(uri);
      if (cluster && !parsed.getSentinels().isEmpty()) {
        throw new IllegalArgumentException("a Redis Cluster seed must be a redis:// or rediss:// uri, got "
            + redact(parsed));
      }
    }
    Objects.requireNonNull(keyPrefix, "keyPrefix");
    if (!PREFIX.matcher(keyPrefix).matches()) {
      throw new IllegalArgumentException("redis keyPrefix must be 1 to 64 letters, digits, '.', '_' or '-', got \""
          + keyPrefix + "\"");
    }
    if (partitions < 1 || partitions > Layout.MAX_PARTITIONS) {
      throw new IllegalArgumentException("redis partitions must be between 1 and " + Layout.MAX_PARTITIONS
          + ", got " + partitions);
    }
    checkPositive("connectTimeout", connectTimeout);
    checkPositive("commandTimeout", commandTimeout);
  }

  /** A standalone server (or a Sentinel-managed primary), with every other setting at its default. */
  public static RedisStoreOptions standalone(String uri) {
    return new RedisStoreOptions(List.of(Objects.requireNonNull(uri, "uri")), false, DEFAULT_KEY_PREFIX,
        DEFAULT_PARTITIONS, DEFAULT_CONNECT_TIMEOUT, DEFAULT_COMMAND_TIMEOUT);
  }

  /** A Redis Cluster reached through these seed nodes, with every other setting at its default. */
  public static RedisStoreOptions cluster(List<String> seeds) {
    return new RedisStoreOptions(seeds, true, DEFAULT_KEY_PREFIX, DEFAULT_PARTITIONS, DEFAULT_CONNECT_TIMEOUT,
        DEFAULT_COMMAND_TIMEOUT);
  }

  public RedisStoreOptions withKeyPrefix(String prefix) {
    return new RedisStoreOptions(uris, cluster, prefix, partitions, connectTimeout, commandTimeout);
  }

  public RedisStoreOptions withPartitions(int count) {
    return new RedisStoreOptions(uris, cluster, keyPrefix, count, connectTimeout, commandTimeout);
  }

  public RedisStoreOptions withConnectTimeout(Duration timeout) {
    return new RedisStoreOptions(uris, cluster, keyPrefix, partitions, timeout, commandTimeout);
  }

  public RedisStoreOptions withCommandTimeout(Duration timeout) {
    return new RedisStoreOptions(uris, cluster, keyPrefix, partitions, connectTimeout, timeout);
  }

  /** The servers as they may be shown: scheme, hosts, ports, database; no user name or password. */
  public String redactedUris() {
    return uris.stream().map(u -> redact(RedisURI.create(u))).collect(Collectors.joining(","));
  }

  /** Every setting, the servers without credentials. */
  @Override
  public String toString() {
    return "RedisStoreOptions[uris=" + redactedUris() + ", cluster=" + cluster + ", keyPrefix=" + keyPrefix
        + ", partitions=" + partitions + ", connectTimeout=" + connectTimeout + ", commandTimeout=" + commandTimeout
        + "]";
  }

  private static RedisURI parse(String uri) {
    Objects.requireNonNull(uri, "redis uri");
    try {
      return RedisURI.create(uri);
    } catch (RuntimeException e) {
      // The message of a parse failure may quote the uri, password and all: say what is wrong without it.
      throw new IllegalArgumentException("redis uri is not valid (expected redis://[user:password@]host[:port][/db],"
          + " rediss://… or redis-sentinel://…): " + e.getClass().getSimpleName());
    }
  }

  static String redact(RedisURI uri) {
    String db = uri.getDatabase() == 0 ? "" : "/" + uri.getDatabase();
    if (uri.getSocket() != null) {
      return "redis-socket://" + uri.getSocket() + db;
    }
    if (!uri.getSentinels().isEmpty()) {
      String hosts = uri.getSentinels().stream().map(s -> s.getHost() + ":" + s.getPort())
          .collect(Collectors.joining(","));
      return "redis-sentinel://" + hosts + db + "#" + uri.getSentinelMasterId();
    }
    return (uri.isSsl() ? "rediss://" : "redis://") + uri.getHost() + ":" + uri.getPort() + db;
  }

  private static void checkPositive(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("redis " + name + " must be positive, got " + d);
    }
  }
}
