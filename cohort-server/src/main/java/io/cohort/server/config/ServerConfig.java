package io.cohort.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The coordinator's typed configuration: validated once at start, then immutable.
 *
 * <p>Sources, lowest to highest precedence: built-in defaults, the YAML file ({@code --config}), environment variables
 * ({@code COHORT_HTTP_PORT}), command-line flags ({@code --http.port=8080}). Every value is parsed and checked at start;
 * an error names the key and the source of the bad value.
 */
public record ServerConfig(
    String httpHost,
    int httpPort,
    long maxBodyBytes,
    Duration httpIdleTimeout,
    String storeType,
    Path storeDir,
    boolean storeSync,
    JdbcSettings jdbc,
    RedisSettings redis,
    Duration requestTimeout,
    Duration retryInterval,
    Duration maxRetryInterval,
    Duration timeoutToFail,
    Duration leaseMargin,
    Duration schedulerPoll,
    int schedulerBatch,
    int schedulerConcurrency,
    Duration retention,
    Duration purgeInterval,
    int maxConnectionsPerHost,
    String nodeId,
    Duration shutdownGrace,
    Map<ConfigKey, String> sources) {

  private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");
  private static final Pattern SIZE = Pattern.compile("(\\d+)(B|KiB|MiB|GiB|KB|MB|GB)?");

  /**
   * Resolves the configuration.
   *
   * @param yamlFile optional YAML file
   * @param env the environment (System.getenv() in production)
   * @param flags values given as command-line flags, by key
   */
  public static ServerConfig load(Path yamlFile, Map<String, String> env, Map<String, String> flags) {
    Map<ConfigKey, String> raw = new EnumMap<>(ConfigKey.class);
    Map<ConfigKey, String> source = new EnumMap<>(ConfigKey.class);
    for (ConfigKey k : ConfigKey.values()) {
      raw.put(k, k.defaultValue());
      source.put(k, "default");
    }
    if (yamlFile != null) {
      for (var e : readYaml(yamlFile).entrySet()) {
        ConfigKey k = ConfigKey.byKey(e.getKey());
        if (k == null) {
          throw new ConfigException("unknown configuration key '" + e.getKey() + "' in " + yamlFile
              + "; known keys: " + String.join(", ", ConfigKey.names()));
        }
        raw.put(k, e.getValue());
        source.put(k, "file " + yamlFile);
      }
    }
    for (ConfigKey k : ConfigKey.values()) {
      String v = env.get(k.envName());
      if (v != null) {
        raw.put(k, v);
        source.put(k, "environment " + k.envName());
      }
    }
    for (var e : flags.entrySet()) {
      ConfigKey k = ConfigKey.byKey(e.getKey());
      if (k == null) {
        throw new ConfigException("unknown flag --" + e.getKey());
      }
      raw.put(k, e.getValue());
      source.put(k, "flag --" + k.key());
    }
    Parser p = new Parser(raw, source);
    String node = p.string(ConfigKey.NODE_ID);
    if (node.isEmpty()) {
      node = "cohort-" + UUID.randomUUID().toString().substring(0, 8);
    }
    String storeType = p.string(ConfigKey.STORE_TYPE);
    if (!List.of("embedded", "jdbc", "redis", "memory").contains(storeType)) {
      throw p.error(ConfigKey.STORE_TYPE, "must be 'embedded', 'jdbc', 'redis' or 'memory'");
    }
    JdbcSettings jdbc = new JdbcSettings(p.string(ConfigKey.STORE_JDBC_URL), p.string(ConfigKey.STORE_JDBC_USER),
        p.string(ConfigKey.STORE_JDBC_PASSWORD), p.positiveInt(ConfigKey.STORE_JDBC_POOL_SIZE),
        p.positive(ConfigKey.STORE_JDBC_CONNECT_TIMEOUT), p.bool(ConfigKey.STORE_JDBC_MIGRATE));
    if (storeType.equals("jdbc") && jdbc.url().isBlank()) {
      throw p.error(ConfigKey.STORE_JDBC_URL, "is required when store.type is jdbc (e.g. "
          + "jdbc:postgresql://localhost:5432/cohort)");
    }
    RedisSettings redis = new RedisSettings(
        java.util.Arrays.stream(p.string(ConfigKey.STORE_REDIS_URI).split(",")).map(String::strip)
            .filter(u -> !u.isEmpty()).toList(),
        p.bool(ConfigKey.STORE_REDIS_CLUSTER), p.string(ConfigKey.STORE_REDIS_PREFIX),
        p.positiveInt(ConfigKey.STORE_REDIS_PARTITIONS));
    if (storeType.equals("redis") && redis.uris().isEmpty()) {
      throw p.error(ConfigKey.STORE_REDIS_URI, "is required when store.type is redis");
    }
    ServerConfig c = new ServerConfig(
        p.string(ConfigKey.HTTP_HOST),
        p.port(ConfigKey.HTTP_PORT),
        p.size(ConfigKey.HTTP_MAX_BODY),
        p.positive(ConfigKey.HTTP_IDLE_TIMEOUT),
        storeType,
        Path.of(p.string(ConfigKey.STORE_DIR)),
        p.bool(ConfigKey.STORE_SYNC),
        jdbc,
        redis,
        p.positive(ConfigKey.REQUEST_TIMEOUT),
        p.positive(ConfigKey.RETRY_INTERVAL),
        p.positive(ConfigKey.MAX_RETRY_INTERVAL),
        p.positive(ConfigKey.TIMEOUT_TO_FAIL),
        p.positive(ConfigKey.LEASE_MARGIN),
        p.positive(ConfigKey.SCHEDULER_POLL),
        p.positiveInt(ConfigKey.SCHEDULER_BATCH),
        p.positiveInt(ConfigKey.SCHEDULER_CONCURRENCY),
        p.positive(ConfigKey.RETENTION),
        p.positive(ConfigKey.PURGE_INTERVAL),
        p.positiveInt(ConfigKey.MAX_CONNECTIONS),
        node,
        p.duration(ConfigKey.SHUTDOWN_GRACE),
        Map.copyOf(source));
    if (c.maxRetryInterval.compareTo(c.retryInterval) < 0) {
      throw p.error(ConfigKey.MAX_RETRY_INTERVAL, "must not be smaller than engine.retry-interval (" + c.retryInterval + ")");
    }
    return c;
  }

  /** The jdbc store's settings (used when {@code store.type} is {@code jdbc}). */
  public record JdbcSettings(String url, String user, String password, int poolSize, Duration connectTimeout,
      boolean migrateOnStart) {
    /** Never shows the password. */
    @Override
    public String toString() {
      return "JdbcSettings[url=" + redactUrl(url) + ", user=" + user + ", poolSize=" + poolSize + "]";
    }
  }

  /** The redis store's settings (used when {@code store.type} is {@code redis}). */
  public record RedisSettings(List<String> uris, boolean cluster, String keyPrefix, int partitions) {
    /** Never shows a password. */
    @Override
    public String toString() {
      return "RedisSettings[uris=" + uris.stream().map(ServerConfig::redactUrl).toList() + ", cluster=" + cluster
          + ", keyPrefix=" + keyPrefix + ", partitions=" + partitions + "]";
    }
  }

  /** A URL with any password in it (user info, or a password/pwd parameter) replaced by {@code ***}. */
  static String redactUrl(String url) {
    return url.replaceAll("(//[^/:@]*):[^/@]*@", "$1:***@").replaceAll("(?i)((?:password|pwd)=)[^&;]*", "$1***");
  }

  /** The effective configuration, one key per line, for the start-up log. */
  public String describe() {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("http.host", httpHost);
    values.put("http.port", Integer.toString(httpPort));
    values.put("http.max-body", maxBodyBytes + " bytes");
    values.put("http.idle-timeout", httpIdleTimeout.toString());
    values.put("store.type", storeType);
    values.put("store.embedded.dir", storeDir.toAbsolutePath().toString());
    values.put("store.embedded.sync", Boolean.toString(storeSync));
    values.put("store.jdbc.url", redactUrl(jdbc.url()));
    values.put("store.jdbc.user", jdbc.user());
    values.put("store.jdbc.password", jdbc.password().isEmpty() ? "" : "***");
    values.put("store.jdbc.pool-size", Integer.toString(jdbc.poolSize()));
    values.put("store.jdbc.connect-timeout", jdbc.connectTimeout().toString());
    values.put("store.jdbc.migrate-on-start", Boolean.toString(jdbc.migrateOnStart()));
    values.put("store.redis.uri", String.join(",", redis.uris().stream().map(ServerConfig::redactUrl).toList()));
    values.put("store.redis.cluster", Boolean.toString(redis.cluster()));
    values.put("store.redis.key-prefix", redis.keyPrefix());
    values.put("store.redis.partitions", Integer.toString(redis.partitions()));
    values.put("engine.request-timeout", requestTimeout.toString());
    values.put("engine.retry-interval", retryInterval.toString());
    values.put("engine.max-retry-interval", maxRetryInterval.toString());
    values.put("engine.timeout-to-fail", timeoutToFail.toString());
    values.put("engine.lease-margin", leaseMargin.toString());
    values.put("scheduler.poll-interval", schedulerPoll.toString());
    values.put("scheduler.batch-size", Integer.toString(schedulerBatch));
    values.put("scheduler.max-concurrent-rounds", Integer.toString(schedulerConcurrency));
    values.put("retention.finished", retention.toString());
    values.put("retention.purge-interval", purgeInterval.toString());
    values.put("client.max-connections-per-host", Integer.toString(maxConnectionsPerHost));
    values.put("node.id", nodeId);
    values.put("shutdown.grace", shutdownGrace.toString());
    StringBuilder sb = new StringBuilder("effective configuration:");
    for (var e : values.entrySet()) {
      ConfigKey k = ConfigKey.byKey(e.getKey());
      sb.append("\n  ").append(e.getKey()).append(" = ").append(e.getValue())
          .append("  (").append(sources.getOrDefault(k, "default")).append(')');
    }
    return sb.toString();
  }

  private static Map<String, String> readYaml(Path file) {
    JsonNode root;
    try {
      root = new ObjectMapper(new YAMLFactory()).readTree(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new ConfigException("cannot read configuration file " + file + ": " + e.getMessage());
    }
    Map<String, String> flat = new LinkedHashMap<>();
    if (root != null && !root.isNull() && !root.isMissingNode()) {
      if (!root.isObject()) {
        throw new ConfigException("configuration file " + file + " must be a YAML mapping");
      }
      flatten("", root, flat, file);
    }
    return flat;
  }

  private static void flatten(String prefix, JsonNode node, Map<String, String> out, Path file) {
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      var e = it.next();
      String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      JsonNode v = e.getValue();
      if (v.isObject()) {
        flatten(key, v, out, file);
      } else if (v.isValueNode()) {
        out.put(key, v.asText());
      } else {
        throw new ConfigException("configuration key '" + key + "' in " + file + " must be a single value");
      }
    }
  }

  private record Parser(Map<ConfigKey, String> raw, Map<ConfigKey, String> source) {
    ConfigException error(ConfigKey k, String problem) {
      return new ConfigException("configuration key " + k.key() + " = '" + raw.get(k) + "' (from " + source.get(k)
          + "): " + problem);
    }

    String string(ConfigKey k) {
      return raw.get(k).trim();
    }

    int integer(ConfigKey k) {
      try {
        return Integer.parseInt(string(k));
      } catch (NumberFormatException e) {
        throw error(k, "must be an integer");
      }
    }

    int positiveInt(ConfigKey k) {
      int v = integer(k);
      if (v <= 0) {
        throw error(k, "must be positive");
      }
      return v;
    }

    int port(ConfigKey k) {
      int v = integer(k);
      if (v < 0 || v > 65535) {
        throw error(k, "must be a port number between 0 and 65535");
      }
      return v;
    }

    boolean bool(ConfigKey k) {
      String v = string(k).toLowerCase(Locale.ROOT);
      if (v.equals("true")) {
        return true;
      }
      if (v.equals("false")) {
        return false;
      }
      throw error(k, "must be true or false");
    }

    Duration duration(ConfigKey k) {
      Matcher m = DURATION.matcher(string(k));
      if (!m.matches()) {
        throw error(k, "must be a duration such as 500ms, 3s, 5m, 1h or 7d");
      }
      long n = Long.parseLong(m.group(1));
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(n);
        case "s" -> Duration.ofSeconds(n);
        case "m" -> Duration.ofMinutes(n);
        case "h" -> Duration.ofHours(n);
        default -> Duration.ofDays(n);
      };
    }

    Duration positive(ConfigKey k) {
      Duration d = duration(k);
      if (d.isZero()) {
        throw error(k, "must be greater than zero");
      }
      return d;
    }

    long size(ConfigKey k) {
      Matcher m = SIZE.matcher(string(k));
      if (!m.matches()) {
        throw error(k, "must be a size such as 1048576, 512KiB or 1MiB");
      }
      long n = Long.parseLong(m.group(1));
      String unit = m.group(2) == null ? "B" : m.group(2);
      long v = switch (unit) {
        case "KiB" -> n * 1024;
        case "MiB" -> n * 1024 * 1024;
        case "GiB" -> n * 1024 * 1024 * 1024;
        case "KB" -> n * 1000;
        case "MB" -> n * 1000 * 1000;
        case "GB" -> n * 1000 * 1000 * 1000;
        default -> n;
      };
      if (v <= 0 || v > Integer.MAX_VALUE) {
        throw error(k, "must be between 1 byte and 2GiB");
      }
      return v;
    }
  }
}
