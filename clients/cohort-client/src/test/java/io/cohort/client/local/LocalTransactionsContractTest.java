package io.cohort.client.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.client.barrier.BarrierOutcome;
import io.cohort.client.barrier.BranchBarrier;
import io.cohort.client.barrier.JdbcBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The runner against a real database through a HikariCP pool. Every test ends by asserting that the pool has no
 * active connection (more robust than the leak detector's log line, which is also switched on at its 2 s minimum).
 * Subclasses name the database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class LocalTransactionsContractTest {
  final String table = "ltx_" + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
  final List<Duration> sleeps = new CopyOnWriteArrayList<>();
  HikariDataSource pool;

  abstract String url();

  /** A statement that runs for {@code seconds} seconds. */
  abstract String sleepSql(int seconds);

  @BeforeAll
  void openPool() throws SQLException {
    HikariConfig config = new HikariConfig();
    config.setJdbcUrl(url());
    config.setMaximumPoolSize(4);
    config.setLeakDetectionThreshold(2000);
    config.setPoolName(getClass().getSimpleName());
    pool = new HikariDataSource(config);
    execute("create table " + table + " (id int primary key, v int not null)");
  }

  @AfterAll
  void closePool() throws SQLException {
    try {
      execute("drop table if exists " + table);
    } finally {
      pool.close();
    }
  }

  @BeforeEach
  void clean() throws SQLException {
    execute("delete from " + table);
    sleeps.clear();
  }

  @AfterEach
  void noConnectionLeaked() {
    assertThat(pool.getHikariPoolMXBean().getActiveConnections()).as("active connections").isZero();
  }

  LocalTransactions.Builder runner() {
    return LocalTransactions.builder(pool).initialBackoff(Duration.ofMillis(10)).maxBackoff(Duration.ofMillis(80))
        .jitter(0).sleeper(sleeps::add);
  }

  @Test
  void aBarrierReusedAcrossRetriesKeepsItsIdsSoADuplicateDeliveryIsStillCaught() throws SQLException {
    JdbcBarrier.defaults().ensureSchema(pool);
    String gid = "reuse-" + table + "-" + System.nanoTime();
    BranchBarrier reused = BranchBarrier.of("saga", gid, "01", "action");
    AtomicInteger attempts = new AtomicInteger();
    AtomicInteger businessRuns = new AtomicInteger();
    runner().build().run(c -> {
      JdbcBarrier.defaults().call(c, reused, cc -> {
        businessRuns.incrementAndGet();
        return insert(cc, 1, 1);
      });
      if (attempts.incrementAndGet() == 1) {
        throw new SQLException("pretend serialization failure", "40001");
      }
      return null;
    });
    // A duplicate delivery of the same branch builds a fresh barrier, whose ids start again at 01.
    var duplicate = JdbcBarrier.defaults().callInTransaction(pool, BranchBarrier.of("saga", gid, "01", "action"),
        cc -> businessRuns.incrementAndGet());
    assertThat(duplicate.outcome()).isEqualTo(BarrierOutcome.DUPLICATE);
    assertThat(attempts).hasValue(2);
    assertThat(businessRuns).as("the rolled-back attempt and the committed retry").hasValue(2);
    assertThat(count()).isEqualTo(1);
  }

  @Test
  void aBarrierUsedInTwoSeparateRunsTakesTheNextIdInTheSecond() throws SQLException {
    JdbcBarrier.defaults().ensureSchema(pool);
    BranchBarrier barrier = BranchBarrier.of("saga", "two-runs-" + table + "-" + System.nanoTime(), "01", "action");
    LocalTransactions tx = runner().build();
    var first = tx.run(c -> JdbcBarrier.defaults().call(c, barrier, cc -> insert(cc, 1, 1)));
    var second = tx.run(c -> JdbcBarrier.defaults().call(c, barrier, cc -> insert(cc, 2, 2)));
    assertThat(first.outcome()).isEqualTo(BarrierOutcome.EXECUTED);
    assertThat(second.outcome()).isEqualTo(BarrierOutcome.EXECUTED);
    assertThat(count()).isEqualTo(2);
  }

  @Test
  void commitIsVisible() throws SQLException {
    Integer n = runner().build().run(c -> insert(c, 1, 7));
    assertThat(n).isEqualTo(1);
    assertThat(value(1)).isEqualTo(7);
  }

  @Test
  void runtimeExceptionRollsBackAndIsRethrownAsIs() throws SQLException {
    IllegalStateException boom = new IllegalStateException("boom");
    assertThatThrownBy(() -> runner().build().run(c -> {
      insert(c, 1, 1);
      throw boom;
    })).isSameAs(boom);
    assertThat(count()).isZero();
  }

  @Test
  void checkedExceptionRollsBackAndIsWrapped() throws SQLException {
    IOException boom = new IOException("boom");
    assertThatThrownBy(() -> runner().build().run(c -> {
      insert(c, 1, 1);
      throw boom;
    })).isExactlyInstanceOf(LocalTransactionException.class).hasCause(boom)
        .satisfies(e -> assertThat(((LocalTransactionException) e).retryable()).isFalse());
    assertThat(count()).isZero();
  }

  @Test
  void errorRollsBackAndIsRethrownAsIs() throws SQLException {
    Error boom = new OutOfMemoryError("pretend");
    assertThatThrownBy(() -> runner().build().run(c -> {
      insert(c, 1, 1);
      throw boom;
    })).isSameAs(boom);
    assertThat(count()).isZero();
  }

  @Test
  void deadlockBetweenTwoThreadsIsRetriedUntilBothSucceed() throws Exception {
    execute("insert into " + table + "(id, v) values (1, 0), (2, 0)");
    LocalTransactions tx = runner().maxAttempts(5).build();
    CountDownLatch bothLocked = new CountDownLatch(2);
    AtomicInteger attemptsA = new AtomicInteger();
    AtomicInteger attemptsB = new AtomicInteger();
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      Future<?> a = threads.submit(() -> tx.run(c -> crossUpdate(c, 1, 2, bothLocked, attemptsA)));
      Future<?> b = threads.submit(() -> tx.run(c -> crossUpdate(c, 2, 1, bothLocked, attemptsB)));
      a.get(30, TimeUnit.SECONDS);
      b.get(30, TimeUnit.SECONDS);
    } finally {
      threads.shutdownNow();
    }
    assertThat(Math.max(attemptsA.get(), attemptsB.get())).as("attempts of the deadlock victim").isGreaterThan(1);
    assertThat(value(1)).isEqualTo(2);
    assertThat(value(2)).isEqualTo(2);
    // Usually one retry (10 ms); on a loaded machine the victim may deadlock again and back off longer (doubling).
    assertThat(sleeps).isNotEmpty().first().isEqualTo(Duration.ofMillis(10));
    assertThat(sleeps).allSatisfy(d -> assertThat(d).isIn(Duration.ofMillis(10), Duration.ofMillis(20),
        Duration.ofMillis(40), Duration.ofMillis(80)));
  }

  private Void crossUpdate(Connection c, int first, int second, CountDownLatch bothLocked, AtomicInteger attempts)
      throws Exception {
    attempts.incrementAndGet();
    increment(c, first);
    bothLocked.countDown();
    bothLocked.await(10, TimeUnit.SECONDS);
    increment(c, second);
    return null;
  }

  @Test
  void serializationConflictOfTwoReadModifyWritesIsRetried() throws Exception {
    execute("insert into " + table + "(id, v) values (1, 0)");
    LocalTransactions tx = runner().isolation(Connection.TRANSACTION_SERIALIZABLE).build();
    CountDownLatch bothRead = new CountDownLatch(2);
    AtomicInteger attempts = new AtomicInteger();
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      List<Future<Integer>> results = List.of(
          threads.submit(() -> tx.run(c -> readModifyWrite(c, bothRead, attempts))),
          threads.submit(() -> tx.run(c -> readModifyWrite(c, bothRead, attempts))));
      for (Future<Integer> f : results) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      threads.shutdownNow();
    }
    assertThat(value(1)).as("no lost update").isEqualTo(2);
    assertThat(attempts.get()).as("attempts of both threads").isGreaterThan(2);
    try (Connection c = pool.getConnection()) {
      assertThat(c.getTransactionIsolation()).as("isolation restored").isNotEqualTo(Connection.TRANSACTION_SERIALIZABLE);
    }
  }

  private Integer readModifyWrite(Connection c, CountDownLatch bothRead, AtomicInteger attempts) throws Exception {
    attempts.incrementAndGet();
    int v = read(c, 1);
    bothRead.countDown();
    bothRead.await(10, TimeUnit.SECONDS);
    try (PreparedStatement ps = c.prepareStatement("update " + table + " set v = ? where id = 1")) {
      ps.setInt(1, v + 1);
      return ps.executeUpdate();
    }
  }

  @Test
  void nestedMySqlDeadlockCodeIsRetriedWithBackoff() {
    AtomicInteger calls = new AtomicInteger();
    String r = runner().build().run(c -> {
      if (calls.incrementAndGet() == 1) {
        throw new IllegalStateException("wrapped", new SQLException("deadlock", "HY000", 1213));
      }
      return "ok";
    });
    assertThat(r).isEqualTo("ok");
    assertThat(calls.get()).isEqualTo(2);
    assertThat(sleeps).containsExactly(Duration.ofMillis(10));
  }

  @Test
  void exhaustedAttemptsReportTheCountAndTheLastCause() throws SQLException {
    AtomicInteger calls = new AtomicInteger();
    AtomicReference<SQLException> last = new AtomicReference<>();
    assertThatThrownBy(() -> runner().maxAttempts(4).build().run(c -> {
      insert(c, calls.incrementAndGet(), 1);
      SQLException e = new SQLException("could not serialize", "40001");
      last.set(e);
      throw e;
    })).isInstanceOfSatisfying(RetriesExhaustedException.class, e -> {
      assertThat(e.attempts()).isEqualTo(4);
      assertThat(e.getCause()).isSameAs(last.get());
      assertThat(e.retryable()).isTrue();
    });
    assertThat(calls.get()).isEqualTo(4);
    assertThat(sleeps).containsExactly(Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(40));
    assertThat(count()).isZero();
  }

  @Test
  void passedDeadlineFailsWithoutTakingAConnection() {
    AtomicInteger taken = new AtomicInteger();
    DataSource counting = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {DataSource.class}, (proxy, method, args) -> {
          if (method.getName().equals("getConnection")) {
            taken.incrementAndGet();
          }
          try {
            return method.invoke(pool, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    AtomicInteger calls = new AtomicInteger();
    LocalTransactions tx = LocalTransactions.builder(counting).clock(InstantSource.fixed(now)).build();
    assertThatThrownBy(() -> tx.run(now.minusMillis(1), c -> calls.incrementAndGet()))
        .isInstanceOfSatisfying(DeadlineExceededException.class, e -> assertThat(e.attempts()).isZero());
    assertThatThrownBy(() -> tx.run(now, c -> calls.incrementAndGet())).isInstanceOf(DeadlineExceededException.class);
    assertThat(calls.get()).isZero();
    assertThat(taken.get()).isZero();
  }

  @Test
  void backoffNeverOutlivesTheDeadline() {
    AtomicReference<Instant> now = new AtomicReference<>(Instant.now());
    Instant deadline = now.get().plusSeconds(30).plusMillis(25);
    AtomicInteger calls = new AtomicInteger();
    LocalTransactions tx = runner().maxAttempts(10).clock(now::get).sleeper(d -> {
      sleeps.add(d);
      now.set(now.get().plus(d));
    }).build();
    // the clock jumps 30 s in the first attempt, leaving 25 ms: one 10 ms pause fits, the next 20 ms does not
    assertThatThrownBy(() -> tx.run(deadline, c -> {
      if (calls.incrementAndGet() == 1) {
        now.set(now.get().plusSeconds(30));
      }
      throw new SQLException("deadlock detected", "40P01");
    })).isInstanceOfSatisfying(DeadlineExceededException.class, e -> {
      assertThat(e.attempts()).isEqualTo(2);
      assertThat(e.getCause()).isInstanceOf(SQLException.class);
    });
    assertThat(sleeps).containsExactly(Duration.ofMillis(10));
  }

  @Test
  void deadlineShorterThanAStatementCancelsItAndIsNotRetried() throws SQLException {
    AtomicInteger calls = new AtomicInteger();
    LocalTransactions tx = runner().build();
    long start = System.nanoTime();
    assertThatThrownBy(() -> tx.run(Instant.now().plusMillis(500), c -> {
      calls.incrementAndGet();
      try (Statement st = c.createStatement()) {
        st.execute(sleepSql(2));
      }
      return null;
    })).isInstanceOfSatisfying(DeadlineExceededException.class, e -> {
      assertThat(e.attempts()).isEqualTo(1);
      assertThat(e.getCause()).isInstanceOf(SQLException.class);
    });
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1900));
    assertThat(calls.get()).isEqualTo(1);
    // the same thread gets the same pooled connection back first: its statements are no longer bounded
    String r = tx.run(c -> {
      try (Statement st = c.createStatement()) {
        st.execute(sleepSql(1));
      }
      return "slept";
    });
    assertThat(r).isEqualTo("slept");
  }

  @Test
  void workClosingTheConnectionMakesCommitFailWithoutLeak() throws SQLException {
    assertThatThrownBy(() -> runner().build().run(c -> {
      insert(c, 1, 1);
      c.close();
      return null;
    })).isInstanceOf(LocalTransactionException.class).hasCauseInstanceOf(SQLException.class);
    assertThat(count()).isZero();
  }

  // helpers

  void execute(String sql) throws SQLException {
    try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
      st.execute(sql);
    }
  }

  int insert(Connection c, int id, int v) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("insert into " + table + "(id, v) values (?, ?)")) {
      ps.setInt(1, id);
      ps.setInt(2, v);
      return ps.executeUpdate();
    }
  }

  void increment(Connection c, int id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("update " + table + " set v = v + 1 where id = ?")) {
      ps.setInt(1, id);
      ps.executeUpdate();
    }
  }

  int read(Connection c, int id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("select v from " + table + " where id = ?")) {
      ps.setInt(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).as("row " + id).isTrue();
        return rs.getInt(1);
      }
    }
  }

  int value(int id) throws SQLException {
    try (Connection c = pool.getConnection()) {
      return read(c, id);
    }
  }

  int count() throws SQLException {
    try (Connection c = pool.getConnection(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("select count(*) from " + table)) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
