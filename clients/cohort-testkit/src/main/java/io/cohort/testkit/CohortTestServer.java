package io.cohort.testkit;

import io.cohort.core.model.Branch;
import io.cohort.core.model.Transaction;
import io.cohort.core.port.TransactionStore;
import io.cohort.protocol.GlobalStatus;
import io.cohort.server.CohortServer;
import io.cohort.server.config.ConfigKey;
import io.cohort.server.config.ServerConfig;
import io.cohort.store.tck.InMemoryTransactionStore;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * A real Cohort coordinator running inside your test's JVM, so you can test sagas, messages, TCC and XA
 * transactions end to end without starting a server.
 *
 * <p>It is the production server (HTTP API, engine, scheduler, branch invoker), with three differences that make
 * tests fast and repeatable:
 *
 * <ul>
 *   <li><b>A manual clock</b> by default. Retries, message check-backs and TCC/XA timeouts happen only when the test
 *       moves the {@link ManualClock}; a ten-second retry interval costs no real time. Choose {@link Builder#realClock()}
 *       when a test wants wall time (a load test, say).
 *   <li><b>An in-memory store</b>: every server starts empty and leaves nothing on disk.
 *   <li><b>Loopback and an ephemeral port</b> ({@code 127.0.0.1}, any free port), and a scheduler that looks for due
 *       work every few milliseconds, so moving the clock takes effect almost at once.
 * </ul>
 *
 * <p>Your code talks to it over HTTP exactly as it would talk to a deployed coordinator: hand {@link #baseUrl()} (or
 * {@link #hostPort()}, for the DTM Java SDK) to your client. The assertion helpers ({@link #status}, {@link #branches},
 * {@link #awaitStatus}, {@link #awaitFinal}, {@link #awaitIdle}) read the coordinator's store directly, so checking a
 * result never sends a request that could itself change timing.
 *
 * <p>Configuration comes from the server's defaults (retry interval 10 s, timeout-to-fail 35 s, request timeout 3 s;
 * see the configuration reference), then the builder. {@code COHORT_*} environment variables are ignored: a test
 * should not behave differently on a developer's machine.
 *
 * <pre>{@code
 * try (CohortTestServer cohort = CohortTestServer.start()) {
 *   mySagaClient(cohort.baseUrl()).submitOrder("order-1");
 *   assertEquals("succeed", cohort.awaitFinal("order-1", Duration.ofSeconds(5)));
 * }
 * }</pre>
 */
public final class CohortTestServer implements AutoCloseable {
  private static final String HOST = "127.0.0.1";
  private static final Duration POLL = Duration.ofMillis(5);

  private final CohortServer server;
  private final TransactionStore store;
  private final ManualClock clock;
  private final int port;
  private final AtomicBoolean closed = new AtomicBoolean();

  private CohortTestServer(CohortServer server, TransactionStore store, ManualClock clock) {
    this.server = server;
    this.store = store;
    this.clock = clock;
    this.port = server.port(); // kept: the connector forgets it once stopped
  }

  /** Starts a coordinator with the defaults: manual clock at {@link ManualClock#DEFAULT_START}, server intervals. */
  public static CohortTestServer start() {
    return builder().start();
  }

  /** Options for a coordinator; call {@link Builder#start()} to start it. */
  public static Builder builder() {
    return new Builder();
  }

  /** The port the HTTP API listens on (chosen by the operating system). */
  public int port() {
    return port;
  }

  /** {@code 127.0.0.1:<port>}: what the DTM Java SDK takes (it adds {@code /api/dtmsvr} itself). */
  public String hostPort() {
    return HOST + ":" + port();
  }

  /** {@code http://127.0.0.1:<port>/api/dtmsvr}: the base URL the DTM Go, Python, Node and C# SDKs take. */
  public String baseUrl() {
    return "http://" + hostPort() + "/api/dtmsvr";
  }

  /**
   * The clock the coordinator runs on.
   *
   * @throws IllegalStateException when this server was started with {@link Builder#realClock()}
   */
  public ManualClock clock() {
    if (clock == null) {
      throw new IllegalStateException("this coordinator runs on the real clock (started with realClock()); "
          + "there is no manual clock to move");
    }
    return clock;
  }

  /**
   * Moves the {@linkplain #clock() manual clock} forward by {@code step}; see {@link ManualClock#advance}.
   *
   * <p>Move it only while no round is working on the transactions you care about ({@link #awaitIdle}): a round that
   * is still waiting for a participant computes its retry time from the clock as it finds it when the answer comes.
   *
   * @return the new time
   * @throws IllegalStateException when this server runs on the real clock
   */
  public Instant advance(Duration step) {
    return clock().advance(step);
  }

  /**
   * The global status of {@code gid} as the wire protocol spells it: {@code prepared}, {@code submitted},
   * {@code aborting}, {@code succeed} or {@code failed}; {@code null} when the coordinator does not know the gid.
   */
  public String status(String gid) {
    return find(gid).map(t -> t.status().wire()).orElse(null);
  }

  /** The branches of {@code gid} in the order the coordinator stores them; empty when it does not know the gid. */
  public List<BranchView> branches(String gid) {
    return find(gid).map(CohortTestServer::views).orElse(List.of());
  }

  /**
   * Waits until {@code gid} has {@code status}.
   *
   * @param status one of {@code prepared}, {@code submitted}, {@code aborting}, {@code succeed}, {@code failed}
   * @param timeout real time to wait
   * @throws IllegalArgumentException when {@code status} is not a global status (a typo would otherwise only time out)
   * @throws AssertionError when the status is not reached in time; the message names the last status seen
   */
  public void awaitStatus(String gid, String status, Duration timeout) {
    if (GlobalStatus.fromWire(status) == null) {
      throw new IllegalArgumentException("'" + status + "' is not a global status; expected one of "
          + "prepared, submitted, aborting, succeed, failed");
    }
    await(gid, timeout, "status '" + status + "'", t -> t.status().wire().equals(status));
  }

  /**
   * Waits until {@code gid} is final and returns its final status, {@code succeed} or {@code failed}.
   *
   * @param timeout real time to wait
   * @throws AssertionError when it is not final in time; the message names the last status seen
   */
  public String awaitFinal(String gid, Duration timeout) {
    return await(gid, timeout, "a final status", Transaction::isFinal).status().wire();
  }

  /**
   * Waits until no processing round is working on {@code gid}: it is final, or it is waiting for its next wake time
   * with nobody holding it. Returns its status then.
   *
   * <p>Why: a participant has received a call as soon as its handler runs, but the coordinator records the outcome
   * and computes the next retry a moment later. Call this after the call you expected arrived and before you
   * {@linkplain #advance move the clock}, so that the retry is scheduled from the time you think it is, and so that an
   * assertion that "nothing else happened" holds for a reason: nothing runs, and nothing is due until the clock moves.
   * Right after {@link #advance} it may return before the scheduler has taken up work the move made due; wait for the
   * effect you expect first.
   *
   * @throws AssertionError when a round still holds it after {@code timeout}
   */
  public String awaitIdle(String gid, Duration timeout) {
    return await(gid, timeout, "no round working on it", t -> t.isFinal() || t.owner().isEmpty()).status().wire();
  }

  /** Stops the HTTP API, the scheduler and the store. Safe to call more than once. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      server.close();
    }
  }

  /** Whether {@link #close()} was called (for the extension's own tests). */
  boolean isClosed() {
    return closed.get();
  }

  @Override
  public String toString() {
    return "CohortTestServer[" + baseUrl() + (clock == null ? ", real clock" : ", " + clock) + "]";
  }

  private Optional<Transaction> find(String gid) {
    return store.find(Objects.requireNonNull(gid, "gid"));
  }

  private Transaction await(String gid, Duration timeout, String what, Predicate<Transaction> done) {
    Objects.requireNonNull(timeout, "timeout");
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<Transaction> t = find(gid);
      if (t.isPresent() && done.test(t.get())) {
        return t.get();
      }
      if (System.nanoTime() - deadline >= 0) {
        throw new AssertionError("transaction '" + gid + "' did not reach " + what + " within " + timeout + "; "
            + t.map(x -> "last seen status '" + x.status().wire() + "'"
                + (x.isFinal() || x.owner().isEmpty() ? "" : " (a round is working on it)")
                + ", branches " + views(x))
            .orElse("the coordinator does not know this gid"));
      }
      try {
        Thread.sleep(POLL);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for transaction '" + gid + "'", e);
      }
    }
  }

  private static List<BranchView> views(Transaction t) {
    List<BranchView> out = new ArrayList<>(t.branches().size());
    for (Branch b : t.branches()) {
      out.add(new BranchView(b.branchId(), b.op(), b.status().wire(), b.url()));
    }
    return List.copyOf(out);
  }

  /**
   * Options for a {@link CohortTestServer}. Unset options keep the server's defaults. A builder may start several
   * servers; each gets its own fresh manual clock unless one was given with {@link #clock(ManualClock)}.
   */
  public static final class Builder {
    private final Map<String, String> properties = new LinkedHashMap<>();
    /** The last retry interval given with {@link #retryInterval}, to widen the backoff cap to fit it. */
    private Duration retryInterval;
    private ManualClock clock;
    private boolean realClock;

    private Builder() {}

    /** Base interval before a failed branch call is retried (server key {@code engine.retry-interval}). */
    public Builder retryInterval(Duration interval) {
      property(ConfigKey.RETRY_INTERVAL.key(), millis("retryInterval", interval));
      this.retryInterval = interval;
      return this;
    }

    /**
     * Age at which a prepared message is checked back and a prepared TCC or XA transaction is aborted (server key
     * {@code engine.timeout-to-fail}); a transaction's own {@code timeout_to_fail} still overrides it.
     */
    public Builder timeoutToFail(Duration timeout) {
      return property(ConfigKey.TIMEOUT_TO_FAIL.key(), millis("timeoutToFail", timeout));
    }

    /**
     * How long the coordinator waits for a participant to answer one call (server key
     * {@code engine.request-timeout}). This is real time: it bounds a network call, whatever the clock says.
     */
    public Builder requestTimeout(Duration timeout) {
      return property(ConfigKey.REQUEST_TIMEOUT.key(), millis("requestTimeout", timeout));
    }

    /** Runs the coordinator on {@code clock} (for a start time of your choice, or a clock shared with your code). */
    public Builder clock(ManualClock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      this.realClock = false;
      return this;
    }

    /** Runs the coordinator on the wall clock: retries and timeouts take real time, and {@link #clock()} throws. */
    public Builder realClock() {
      this.clock = null;
      this.realClock = true;
      return this;
    }

    /**
     * Sets any server configuration key, as in the server's YAML file ({@code engine.max-retry-interval},
     * {@code http.max-body}, ...). Values are checked when the server starts.
     *
     * @throws IllegalArgumentException when {@code key} is not a configuration key
     */
    public Builder property(String key, String value) {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
      if (ConfigKey.byKey(key) == null) {
        throw new IllegalArgumentException("unknown server configuration key '" + key + "'; known keys: "
            + String.join(", ", ConfigKey.names()));
      }
      if (key.equals(ConfigKey.RETRY_INTERVAL.key())) {
        retryInterval = null;
      }
      properties.put(key, value);
      return this;
    }

    /**
     * Starts the coordinator.
     *
     * @throws io.cohort.server.config.ConfigException when a property has a bad value (the message names the key)
     * @throws IllegalStateException when the server cannot start
     */
    public CohortTestServer start() {
      ManualClock manual = realClock ? null : clock != null ? clock : new ManualClock();
      InstantSource source = manual != null ? manual : CohortServer.systemClock();
      ServerConfig config = ServerConfig.load(null, Map.of(), flags());
      TransactionStore store = new InMemoryTransactionStore();
      try {
        return new CohortTestServer(CohortServer.start(config, store, source), store, manual);
      } catch (RuntimeException e) {
        store.close();
        throw e;
      } catch (Exception e) {
        store.close();
        throw new IllegalStateException("cannot start the in-process coordinator: " + e.getMessage(), e);
      }
    }

    /** A copy with the same options, for starting servers later without seeing later changes to this one. */
    Builder copy() {
      Builder b = new Builder();
      b.properties.putAll(properties);
      b.retryInterval = retryInterval;
      b.clock = clock;
      b.realClock = realClock;
      return b;
    }

    private Map<String, String> flags() {
      Map<String, String> flags = new LinkedHashMap<>();
      flags.put(ConfigKey.HTTP_HOST.key(), HOST);
      flags.put(ConfigKey.HTTP_PORT.key(), "0");
      flags.put(ConfigKey.STORE_TYPE.key(), "memory");
      flags.put(ConfigKey.NODE_ID.key(), "cohort-testkit");
      // Look for due work often: after the clock moves, the next pass is a few milliseconds away.
      flags.put(ConfigKey.SCHEDULER_POLL.key(), POLL.toMillis() + "ms");
      // Stop at once when the test is done: a graceful stop would wait for the keep-alive connections the test's
      // HTTP client still holds (a second per test) and for rounds stuck on participants that never answer.
      flags.put(ConfigKey.SHUTDOWN_GRACE.key(), "0ms");
      String cap = ConfigKey.MAX_RETRY_INTERVAL.key();
      if (retryInterval != null && !properties.containsKey(cap)
          && retryInterval.compareTo(DefaultCap.VALUE) > 0) {
        flags.put(cap, millis("retryInterval", retryInterval)); // the default cap must not undercut the base interval
      }
      flags.putAll(properties);
      return flags;
    }

    private static String millis(String option, Duration d) {
      Objects.requireNonNull(d, option);
      if (d.isNegative() || d.isZero() || d.getNano() % 1_000_000 != 0) {
        throw new IllegalArgumentException(option + " must be a positive whole number of milliseconds; got " + d);
      }
      return d.toMillis() + "ms";
    }
  }

  /** The server's default backoff cap, read from its configuration defaults once. */
  private static final class DefaultCap {
    static final Duration VALUE = ServerConfig.load(null, Map.of(), Map.of()).maxRetryInterval();
  }
}
