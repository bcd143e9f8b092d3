package io.cohort.server;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.cohort.core.engine.Engine;
import io.cohort.core.engine.EngineSettings;
import io.cohort.core.plan.PlanSettings;
import io.cohort.core.port.BranchInvoker;
import io.cohort.core.port.TransactionStore;
import io.cohort.server.config.ServerConfig;
import io.cohort.server.http.ApiHandler;
import io.cohort.server.invoke.HttpBranchInvoker;
import io.cohort.server.scheduler.Housekeeper;
import io.cohort.server.scheduler.Scheduler;
import io.cohort.server.topics.Topics;
import io.cohort.store.embedded.EmbeddedStoreOptions;
import io.cohort.store.embedded.EmbeddedTransactionStore;
import io.cohort.store.jdbc.JdbcStoreOptions;
import io.cohort.store.jdbc.JdbcTransactionStore;
import io.cohort.store.redis.RedisStoreOptions;
import io.cohort.store.redis.RedisTransactionStore;
import java.time.Clock;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.concurrent.Executors;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: wires the store, the engine, the branch invoker, the scheduler, the housekeeper and the HTTP
 * API together, and takes them down in reverse order.
 */
public final class CohortServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CohortServer.class);
  public static final String VERSION = "0.1.0";

  private final ServerConfig config;
  private final TransactionStore store;
  private final HttpBranchInvoker invoker;
  private final Rounds rounds;
  private final Scheduler scheduler;
  private final Housekeeper housekeeper;
  private final Server http;
  private final Engine engine;
  private final Topics topics;

  private CohortServer(ServerConfig config, TransactionStore store, InstantSource clock) throws Exception {
    this.config = config;
    this.store = store;
    this.invoker = new HttpBranchInvoker(config.maxConnectionsPerHost());
    FinalWaiters waiters = new FinalWaiters(store);
    PlanSettings plan = new PlanSettings(config.requestTimeout(), config.retryInterval(), config.maxRetryInterval(),
        config.timeoutToFail());
    this.topics = new Topics(store, jsonMapper(), clock);
    this.engine = new Engine(store, (BranchInvoker) invoker, clock,
        new EngineSettings(config.nodeId(), plan, config.leaseMargin()), waiters, topics);
    this.rounds = new Rounds(engine, config.schedulerConcurrency());
    this.scheduler = new Scheduler(store, rounds, clock, config.nodeId(),
        config.requestTimeout().plus(config.leaseMargin()), config.schedulerPoll(), config.schedulerBatch());
    this.housekeeper = new Housekeeper(store, clock, config.retention(), config.purgeInterval());

    QueuedThreadPool pool = new QueuedThreadPool(64, 4);
    pool.setName("http");
    pool.setVirtualThreadsExecutor(Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("req-", 0).factory()));
    http = new Server(pool);
    HttpConfiguration hc = new HttpConfiguration();
    hc.setSendServerVersion(false);
    hc.setSendDateHeader(false);
    ServerConnector connector = new ServerConnector(http, new HttpConnectionFactory(hc));
    connector.setHost(config.httpHost());
    connector.setPort(config.httpPort());
    connector.setAcceptQueueSize(1024);
    connector.setIdleTimeout(config.httpIdleTimeout().toMillis());
    http.addConnector(connector);
    http.setHandler(new ApiHandler(engine, store, topics, rounds, waiters, config.maxBodyBytes(), jsonMapper(), VERSION));
    http.setStopTimeout(config.shutdownGrace().toMillis());
  }

  /** Starts a coordinator on the store the configuration names. */
  public static CohortServer start(ServerConfig config) throws Exception {
    TransactionStore store = openStore(config);
    try {
      return start(config, store, systemClock());
    } catch (Exception e) {
      store.close();
      throw e;
    }
  }

  /**
   * Opens the store {@code store.type} names. A shared store (jdbc, redis) that cannot be reached, or whose schema is
   * newer than this build knows, fails here with an error naming it (the URL without its password).
   */
  static TransactionStore openStore(ServerConfig config) {
    return switch (config.storeType()) {
      case "jdbc" -> JdbcTransactionStore.open(jdbcOptions(config));
      case "redis" -> RedisTransactionStore.open(redisOptions(config));
      case "embedded" -> EmbeddedTransactionStore.open(config.storeDir(),
          EmbeddedStoreOptions.defaults().withSyncWrites(config.storeSync()));
      default -> throw new IllegalArgumentException("store.type '" + config.storeType()
          + "' cannot be started from the command line (memory is for tests only)");
    };
  }

  /** The jdbc store's options from the configuration. */
  public static JdbcStoreOptions jdbcOptions(ServerConfig config) {
    ServerConfig.JdbcSettings j = config.jdbc();
    return JdbcStoreOptions.of(j.url())
        .withUser(j.user().isEmpty() ? null : j.user())
        .withPassword(j.password().isEmpty() ? null : j.password())
        .withPoolSize(j.poolSize())
        .withConnectionTimeout(j.connectTimeout())
        .withMigrateOnStart(j.migrateOnStart());
  }

  static RedisStoreOptions redisOptions(ServerConfig config) {
    ServerConfig.RedisSettings r = config.redis();
    RedisStoreOptions base = r.cluster() ? RedisStoreOptions.cluster(r.uris()) : RedisStoreOptions.standalone(
        r.uris().get(0));
    return base.withKeyPrefix(r.keyPrefix()).withPartitions(r.partitions());
  }

  /** Starts a coordinator on a given store (tests use the in-memory reference store). */
  public static CohortServer start(ServerConfig config, TransactionStore store, InstantSource clock) throws Exception {
    CohortServer s = new CohortServer(config, store, clock);
    s.http.start();
    s.scheduler.start();
    s.housekeeper.start();
    LOG.info("Cohort {} listening on {}:{} (node {})", VERSION, config.httpHost(), s.port(), config.nodeId());
    return s;
  }

  /** The port actually bound (useful with {@code http.port=0}). */
  public int port() {
    return ((ServerConnector) http.getConnectors()[0]).getLocalPort();
  }

  public Engine engine() {
    return engine;
  }

  public TransactionStore store() {
    return store;
  }

  public Housekeeper housekeeper() {
    return housekeeper;
  }

  /**
   * The wall clock, ticking in whole milliseconds: stores keep milliseconds, so every store and every reader sees
   * exactly the times the engine computed with.
   */
  public static InstantSource systemClock() {
    return Clock.tickMillis(ZoneOffset.UTC);
  }

  /**
   * JSON as DTM clients need it: duplicate keys allowed (last wins), unknown fields ignored, lenient numbers no, and,
   * like Go's {@code json.Unmarshal}, nothing after the one top-level value ({@code {..}}} is malformed, not a body).
   */
  static ObjectMapper jsonMapper() {
    return JsonMapper.builder()
        .disable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
        .build();
  }

  @Override
  public void close() {
    try {
      scheduler.close();
      housekeeper.close();
      http.stop();
    } catch (Exception e) {
      LOG.warn("error stopping the HTTP server: {}", e.toString());
    }
    rounds.shutdown(config.shutdownGrace());
    invoker.close();
    store.close();
    LOG.info("Cohort stopped");
  }
}
