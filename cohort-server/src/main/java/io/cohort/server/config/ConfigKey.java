package io.cohort.server.config;

import java.util.List;

/**
 * Every configuration key, in one place: its name (also the YAML path), type, default and documentation. The
 * environment variable and the command-line flag are derived from the name: {@code http.port} is
 * {@code COHORT_HTTP_PORT} and {@code --http.port}.
 */
public enum ConfigKey {
  HTTP_HOST("http.host", Type.STRING, "0.0.0.0", "Interface the HTTP API listens on."),
  HTTP_PORT("http.port", Type.PORT, "36789", "Port of the HTTP API (DTM's default)."),
  HTTP_MAX_BODY("http.max-body", Type.SIZE, "1MiB", "Largest request body accepted; larger ones get 413."),
  HTTP_IDLE_TIMEOUT("http.idle-timeout", Type.DURATION, "5m", "How long an idle keep-alive connection stays open. Keep it longer than clients keep theirs (Go: 90 s), or a request sent as the server closes the connection fails."),
  STORE_TYPE("store.type", Type.STRING, "embedded", "Where transactions are kept: embedded (the default: RocksDB in this process, one coordinator), jdbc (PostgreSQL or MySQL/MariaDB) or redis (standalone or Cluster); several coordinators share a jdbc or redis store."),
  STORE_DIR("store.embedded.dir", Type.STRING, "./cohort-data", "Data directory of the embedded store."),
  STORE_SYNC("store.embedded.sync", Type.BOOLEAN, "true", "Sync every commit to disk before acknowledging (turn off only for throwaway data)."),
  STORE_JDBC_URL("store.jdbc.url", Type.STRING, "", "JDBC URL of the jdbc store: jdbc:postgresql://host:5432/db, jdbc:mariadb://host:3306/db or jdbc:mysql://... TLS is set in the URL (PostgreSQL sslmode=verify-full, MariaDB sslMode=verify-full)."),
  STORE_JDBC_USER("store.jdbc.user", Type.STRING, "", "Database user of the jdbc store (empty: the URL's)."),
  STORE_JDBC_PASSWORD("store.jdbc.password", Type.STRING, "", "Database password of the jdbc store (empty: the URL's). Never logged; prefer the environment variable."),
  STORE_JDBC_POOL_SIZE("store.jdbc.pool-size", Type.INT, "16", "Connections in the jdbc store's pool (2 to 1000)."),
  STORE_JDBC_CONNECT_TIMEOUT("store.jdbc.connect-timeout", Type.DURATION, "10s", "How long getting a database connection may take before the store reports the database unreachable."),
  STORE_JDBC_MIGRATE("store.jdbc.migrate-on-start", Type.BOOLEAN, "true", "Apply missing schema migrations at start. Off: a missing or older schema stops the start; apply it with the migrate command."),
  STORE_REDIS_URI("store.redis.uri", Type.STRING, "redis://127.0.0.1:6379", "The Redis server of the redis store (rediss:// for TLS; redis://:password@host:port/db). For a Redis Cluster: a comma-separated list of seed nodes, with store.redis.cluster on."),
  STORE_REDIS_CLUSTER("store.redis.cluster", Type.BOOLEAN, "false", "Whether store.redis.uri names Redis Cluster seed nodes."),
  STORE_REDIS_PREFIX("store.redis.key-prefix", Type.STRING, "cohort", "Prefix of every key the redis store writes (two Cohort deployments on one Redis need two prefixes)."),
  STORE_REDIS_PARTITIONS("store.redis.partitions", Type.INT, "64", "Partitions transactions are spread over (each one a cluster slot; 1 to 1024). Fixed when the store is first used."),
  REQUEST_TIMEOUT("engine.request-timeout", Type.DURATION, "3s", "Default timeout of one call to a participant."),
  RETRY_INTERVAL("engine.retry-interval", Type.DURATION, "10s", "Default base retry interval (no 10 s floor: any positive value)."),
  MAX_RETRY_INTERVAL("engine.max-retry-interval", Type.DURATION, "5m", "Cap of the exponential backoff."),
  TIMEOUT_TO_FAIL("engine.timeout-to-fail", Type.DURATION, "35s", "Default age at which a prepared msg is checked back and a prepared tcc or xa is aborted (a transaction's own timeout_to_fail overrides it)."),
  LEASE_MARGIN("engine.lease-margin", Type.DURATION, "10s", "Added to the request timeout to form the lease a coordinator holds on a transaction while it works on it."),
  SCHEDULER_POLL("scheduler.poll-interval", Type.DURATION, "1s", "How often the scheduler looks for due transactions when idle."),
  SCHEDULER_BATCH("scheduler.batch-size", Type.INT, "200", "How many due transactions one claim takes."),
  SCHEDULER_CONCURRENCY("scheduler.max-concurrent-rounds", Type.INT, "1000", "How many claimed transactions are processed at once."),
  RETENTION("retention.finished", Type.DURATION, "7d", "How long finished transactions stay queryable before they are deleted."),
  PURGE_INTERVAL("retention.purge-interval", Type.DURATION, "1h", "How often finished transactions past retention are deleted."),
  MAX_CONNECTIONS("client.max-connections-per-host", Type.INT, "512", "Connection pool size per participant host for branch calls."),
  NODE_ID("node.id", Type.STRING, "", "This coordinator's owner token on the transactions it works on (default: random)."),
  SHUTDOWN_GRACE("shutdown.grace", Type.DURATION, "10s", "How long shutdown waits for running rounds.");

  /** Value types; each parses a string and names the key in its error. */
  public enum Type { STRING, INT, PORT, BOOLEAN, DURATION, SIZE }

  private final String key;
  private final Type type;
  private final String defaultValue;
  private final String doc;

  ConfigKey(String key, Type type, String defaultValue, String doc) {
    this.key = key;
    this.type = type;
    this.defaultValue = defaultValue;
    this.doc = doc;
  }

  public String key() {
    return key;
  }

  public Type type() {
    return type;
  }

  public String defaultValue() {
    return defaultValue;
  }

  public String doc() {
    return doc;
  }

  public String envName() {
    return "COHORT_" + key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  public String flag() {
    return "--" + key;
  }

  public static ConfigKey byKey(String key) {
    for (ConfigKey k : values()) {
      if (k.key.equals(key)) {
        return k;
      }
    }
    return null;
  }

  public static List<String> names() {
    return java.util.Arrays.stream(values()).map(ConfigKey::key).toList();
  }
}
