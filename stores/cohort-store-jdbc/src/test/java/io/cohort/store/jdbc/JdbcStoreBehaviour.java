package io.cohort.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.core.model.TransOptions;
import io.cohort.core.model.Transaction;
import io.cohort.core.port.TransactionStore.KvEntry;
import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.TransType;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What the JDBC store promises beyond the store contract: claims shared by several stores on one database, the schema
 * life cycle (migrations, versions), the errors an operator sees at start, and exactness where SQL types could bend
 * values. One subclass per database.
 */
abstract class JdbcStoreBehaviour {
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00.123Z");

  /** The database under test. */
  abstract TestDatabase db();

  /** A test area (schema or database) of this class, recreated empty. */
  private String freshArea(String suffix) {
    String area = "cohort_store_test_" + suffix;
    db().recreate(area);
    return area;
  }

  private static Transaction due(String gid, Instant wake) {
    return new Transaction(0, gid, TransType.SAGA, GlobalStatus.SUBMITTED, "http", "", "", TransOptions.DEFAULTS,
        List.of(), T0, T0, null, null, null, null, wake, Duration.ofSeconds(1), 0, "", 1);
  }

  // ------------------------------------------------------------------------------------- several coordinators

  @Test
  @Timeout(60)
  void twoStoresOnOneDatabaseClaimDisjointSetsThatCoverEverythingAndBothGetWork() throws Exception {
    String area = freshArea("claims");
    int total = 600;
    try (JdbcTransactionStore a = JdbcTransactionStore.open(db().options(area).withPoolSize(4));
        JdbcTransactionStore b = JdbcTransactionStore.open(db().options(area).withPoolSize(4))) {
      for (int i = 0; i < total; i++) {
        (i % 2 == 0 ? a : b).insert(due("c-" + i, T0.minusMillis(i % 50)));
      }
      Instant lease = T0.plusSeconds(60);
      Map<String, String> claimedBy = new ConcurrentHashMap<>();
      Set<String> duplicates = ConcurrentHashMap.newKeySet();
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Integer>> workers = new ArrayList<>();
      try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int w = 0; w < 8; w++) {
          JdbcTransactionStore store = w % 2 == 0 ? a : b;
          String token = w % 2 == 0 ? "coordinator-a" : "coordinator-b";
          workers.add(threads.submit(() -> {
            go.await();
            int mine = 0;
            for (List<Transaction> got; !(got = store.claimDue(T0, 5, token, lease)).isEmpty(); ) {
              for (Transaction t : got) {
                assertThat(t.owner()).isEqualTo(token);
                if (claimedBy.putIfAbsent(t.gid(), token) != null) {
                  duplicates.add(t.gid());
                }
                mine++;
              }
            }
            return mine;
          }));
        }
        go.countDown();
        int sum = 0;
        for (Future<Integer> f : workers) {
          sum += f.get(50, TimeUnit.SECONDS);
        }
        assertThat(sum).isEqualTo(total);
      }
      assertThat(duplicates).isEmpty();
      assertThat(claimedBy).hasSize(total);
      long byA = claimedBy.values().stream().filter("coordinator-a"::equals).count();
      assertThat(byA).as("work is spread: both coordinators claimed some").isBetween(1L, total - 1L);
      claimedBy.forEach((gid, token) -> {
        Transaction stored = a.find(gid).orElseThrow();
        assertThat(stored.owner()).isEqualTo(token);
        assertThat(stored.nextWake()).isEqualTo(lease);
        assertThat(stored.version()).isEqualTo(2);
      });
      assertThat(a.claimDue(T0, 10, "late", lease)).isEmpty();
    }
  }

  // ------------------------------------------------------------------------------------------- group commit

  @Test
  @Timeout(60)
  void concurrentWritesShareCommitsAndAFailingWriteFailsAlone() throws Exception {
    String area = freshArea("batches");
    try (JdbcTransactionStore store = JdbcTransactionStore.open(db().options(area))) {
      // A write the database refuses although the store cannot know it in advance.
      execute(area, "alter table cohort_transaction add constraint cohort_test_poison check (owner <> 'poison')");
      int threads = 16;
      int each = 40;
      List<Future<List<String>>> results = new ArrayList<>();
      CountDownLatch go = new CountDownLatch(1);
      try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int i = 0; i < threads; i++) {
          int thread = i;
          results.add(pool.submit(() -> {
            go.await();
            List<String> failed = new ArrayList<>();
            for (int k = 0; k < each; k++) {
              boolean poison = thread == 3 && k % 10 == 5;
              Transaction t = due("b-" + thread + "-" + k, T0).withSchedule(T0, null, 0, poison ? "poison" : "");
              try {
                Transaction stored = store.insert(t).stored();
                Transaction next = stored.withReason("second write").withVersion(2);
                assertThat(store.update(next, 1)).isTrue();
              } catch (JdbcStoreException e) {
                assertThat(e).hasMessageContaining("insert failed").hasMessageContaining("cohort_test_poison");
                failed.add(t.gid());
              }
            }
            return failed;
          }));
        }
        go.countDown();
      }
      List<String> failed = new ArrayList<>();
      for (Future<List<String>> f : results) {
        failed.addAll(f.get());
      }
      assertThat(failed).containsExactly("b-3-5", "b-3-15", "b-3-25", "b-3-35");
      for (int i = 0; i < threads; i++) {
        for (int k = 0; k < each; k++) {
          String gid = "b-" + i + "-" + k;
          if (!failed.contains(gid)) {
            assertThat(store.find(gid).orElseThrow().rollbackReason()).as(gid).isEqualTo("second write");
          } else {
            assertThat(store.find(gid)).isEmpty();
          }
        }
      }
      assertThat(store.writer().writes()).as("some writes shared a batch")
          .isGreaterThan(store.writer().batches());
    }
  }

  @Test
  @Timeout(60)
  void closingWhileWritesAreQueuedNeitherHangsNorLosesAcknowledgedWrites() throws Exception {
    String area = freshArea("closing");
    JdbcTransactionStore store = JdbcTransactionStore.open(db().options(area).withPoolSize(4));
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    List<Future<?>> writers = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 16; i++) {
        int thread = i;
        writers.add(pool.submit(() -> {
          for (int k = 0; ; k++) {
            String gid = "q-" + thread + "-" + k;
            try {
              store.insert(due(gid, T0));
              acknowledged.add(gid);
            } catch (IllegalStateException e) {
              assertThat(e).hasMessageContaining("is closed");
              return null;
            }
          }
        }));
      }
      Thread.sleep(300);
      store.close();
      for (Future<?> f : writers) {
        f.get(30, TimeUnit.SECONDS);
      }
    }
    assertThat(acknowledged).isNotEmpty();
    try (JdbcTransactionStore again = JdbcTransactionStore.open(db().options(area))) {
      for (String gid : acknowledged) {
        assertThat(again.find(gid)).as(gid).isPresent();
      }
    }
  }

  // ------------------------------------------------------------------------------------------------ schema

  @Test
  void migrationsAreIdempotentAndKeepTheData() throws Exception {
    String area = freshArea("migrate");
    String url = db().options(area).redactedUrl();
    assertThat(JdbcTransactionStore.migrate(db().options(area)))
        .isEqualTo(new SchemaMigration(url, 0, JdbcTransactionStore.schemaVersion(), 1));
    assertThat(JdbcTransactionStore.migrate(db().options(area)))
        .isEqualTo(new SchemaMigration(url, 1, 1, 0));

    try (JdbcTransactionStore store = JdbcTransactionStore.open(db().options(area))) {
      store.insert(due("kept", T0));
      assertThat(store.kvPut(new KvEntry(0, "topics", "t", "[]", 1, T0, T0), 0)).isTrue();
    }
    try (JdbcTransactionStore store = JdbcTransactionStore.open(db().options(area))) {
      assertThat(store.find("kept")).isPresent();
      assertThat(store.kvFind("topics", "t")).isPresent();
    }
    assertThat(JdbcTransactionStore.migrate(db().options(area))).isEqualTo(new SchemaMigration(url, 1, 1, 0));
    assertThat(count(area, "select count(*) from cohort_schema_history where success = true")).isEqualTo(1);
  }

  @Test
  void concurrentStartsOnAnEmptyDatabaseMigrateOnce() throws Exception {
    String area = freshArea("race");
    List<Future<JdbcTransactionStore>> opened = new ArrayList<>();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < 3; i++) {
        opened.add(threads.submit(() -> JdbcTransactionStore.open(db().options(area).withPoolSize(2))));
      }
    }
    for (Future<JdbcTransactionStore> f : opened) {
      f.get().close();
    }
    assertThat(count(area, "select count(*) from cohort_schema_history where success = true")).isEqualTo(1);
  }

  @Test
  void withMigrateOnStartOffAnEmptyDatabaseIsRefusedWithWhatToDo() {
    String area = freshArea("nomigrate");
    JdbcStoreOptions off = db().options(area).withMigrateOnStart(false);

    assertThatThrownBy(() -> JdbcTransactionStore.open(off))
        .isInstanceOf(SchemaVersionException.class)
        .hasMessage("the database at " + off.redactedUrl() + " has no Cohort schema (no cohort_schema_history table),"
            + " and migrations on start are off: run the migrate command, or turn migrate-on-start on");

    JdbcTransactionStore.migrate(off);
    try (JdbcTransactionStore store = JdbcTransactionStore.open(off)) {
      assertThat(store.find("none")).isEmpty();
    }
  }

  @Test
  void aSchemaNewerThanThisBuildIsRefusedAtStartAndByMigrate() throws Exception {
    String area = freshArea("newer");
    JdbcTransactionStore.migrate(db().options(area));
    execute(area, "insert into cohort_schema_history (installed_rank, version, description, type, script, checksum,"
        + " installed_by, execution_time, success) values (2, '2', 'from the future', 'SQL', 'V2__future.sql', 0,"
        + " 'test', 1, true)");
    String expected = "the database at " + db().options(area).redactedUrl() + " has schema version 2, newer than this"
        + " Cohort (knows up to 1): upgrade Cohort";

    assertThatThrownBy(() -> JdbcTransactionStore.open(db().options(area)))
        .isInstanceOf(SchemaVersionException.class).hasMessage(expected);
    assertThatThrownBy(() -> JdbcTransactionStore.open(db().options(area).withMigrateOnStart(false)))
        .isInstanceOf(SchemaVersionException.class).hasMessage(expected);
    assertThatThrownBy(() -> JdbcTransactionStore.migrate(db().options(area)))
        .isInstanceOf(SchemaVersionException.class).hasMessage(expected);
  }

  // ------------------------------------------------------------------------------------------ unreachable

  @Test
  @Timeout(30)
  void anUnreachableDatabaseFailsWithinTheConnectionTimeoutNamingItWithoutThePassword() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    String url = db().url("test").replace(db() == TestDatabase.POSTGRES ? ":5432/" : ":3306/", ":" + closedPort + "/")
        + "&password=hunter2";
    JdbcStoreOptions options = JdbcStoreOptions.of(url).withUser(db().user).withPassword("s3cret-pw")
        .withConnectionTimeout(Duration.ofSeconds(1));

    for (Runnable start : List.<Runnable>of(() -> JdbcTransactionStore.open(options),
        () -> JdbcTransactionStore.migrate(options))) {
      long began = System.nanoTime();
      assertThatThrownBy(start::run)
          .isInstanceOf(StoreUnavailableException.class)
          .hasMessageStartingWith("cannot reach the database at ")
          .hasMessageContaining("127.0.0.1:" + closedPort)
          .hasMessageContaining("password=***")
          .hasMessageContaining("within 1000ms")
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2").doesNotContain("s3cret-pw"));
      assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(5));
    }
  }

  // ------------------------------------------------------------------------------------------ exactness

  @Test
  void gidsAndKeysAreMatchedExactlyAndAnyStringRoundTrips() {
    String area = freshArea("exact");
    try (JdbcTransactionStore store = JdbcTransactionStore.open(db().options(area))) {
      // Case, trailing spaces, a lone surrogate and the '?' a careless encoder would turn it into: all distinct.
      List<String> gids = List.of("Gid", "gid", "gid ", "a\uD800", "a?", "\u00e9".repeat(200));
      for (String gid : gids) {
        assertThat(store.insert(due(gid, null)).inserted()).as(gid).isTrue();
      }
      for (String gid : gids) {
        assertThat(store.find(gid).orElseThrow().gid()).isEqualTo(gid);
      }
      String value = "nul \u0000, lone \uDC00, pair \uD83D\uDE00";
      assertThat(store.kvPut(new KvEntry(0, "c\u0000t", "K ", value, 1, null, null), 0)).isTrue();
      assertThat(store.kvPut(new KvEntry(0, "c\u0000t", "k", "lower", 1, null, null), 0)).isTrue();
      assertThat(store.kvFind("c\u0000t", "K ").orElseThrow().value()).isEqualTo(value);
      assertThat(store.kvFind("c\u0000t", "K ").orElseThrow().createTime()).isNull();
      assertThat(store.kvFind("c\u0000t", "K")).isEmpty();
      assertThat(store.kvScan("c\u0000t", "", 10)).extracting(KvEntry::key).containsExactly("K ", "k");
    }
  }

  @Test
  void namesBeyondTheColumnLimitsAreRefusedBeforeTheDatabase() {
    String area = freshArea("limits");
    try (JdbcTransactionStore store = JdbcTransactionStore.open(db().options(area))) {
      assertThatThrownBy(() -> store.insert(due("\u00e9".repeat(257), null)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("a gid may take at most 512 bytes of UTF-8 in the JDBC store, got 514");
      assertThatThrownBy(() -> store.kvPut(new KvEntry(0, "c".repeat(256), "k", "v", 1, T0, T0), 0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("a key-value category may take at most 255 bytes of UTF-8 in the JDBC store, got 256");
      assertThatThrownBy(() -> store.kvPut(new KvEntry(0, "c", "k".repeat(513), "v", 1, T0, T0), 0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("a key-value key may be at most 512 characters long in the JDBC store, got 513");
      assertThat(store.kvPut(new KvEntry(0, "c".repeat(255), "k".repeat(512), "v", 1, T0, T0), 0)).isTrue();
      assertThat(store.insert(due("\u00e9".repeat(256), null)).inserted()).isTrue();
    }
  }

  @Test
  void theIndexedColumnsFollowTheRecord() throws Exception {
    String area = freshArea("columns");
    try (JdbcTransactionStore store = JdbcTransactionStore.open(db().options(area))) {
      Transaction t = store.insert(due("cols", T0)).stored();
      assertThat(row(area, "cols")).isEqualTo(List.of(2L, T0.toEpochMilli(), -1L, 1L));
      Transaction claimed = store.claimDue(T0, 1, "node-9", T0.plusSeconds(5)).get(0);
      assertThat(row(area, "cols")).isEqualTo(List.of(2L, T0.plusSeconds(5).toEpochMilli(), -1L, 2L));
      Transaction done = claimed.transition(GlobalStatus.SUCCEED, T0.plusSeconds(1), null).withVersion(3);
      assertThat(store.update(done, 2)).isTrue();
      // Final: no longer claimable, now purgeable, although the record still has a wake time.
      assertThat(store.find("cols").orElseThrow().nextWake()).isEqualTo(T0.plusSeconds(5));
      assertThat(row(area, "cols")).isEqualTo(List.of(4L, -1L, T0.plusSeconds(1).toEpochMilli(), 3L));
      assertThat(t.id()).isPositive();
    }
  }

  @Test
  void aClosedStoreRefusesCalls() {
    String area = freshArea("closed");
    JdbcTransactionStore store = JdbcTransactionStore.open(db().options(area));
    store.close();
    assertThatThrownBy(() -> store.find("x")).isInstanceOf(IllegalStateException.class)
        .hasMessageEndingWith("is closed");
  }

  // ------------------------------------------------------------------------------------------------ helpers

  /** status, next_wake, finish_time (-1 for NULL), version of the row of {@code gid}. */
  private List<Long> row(String area, String gid) throws Exception {
    try (Connection c = DriverManager.getConnection(db().url(area), db().user, null);
        var ps = c.prepareStatement("select status, next_wake, finish_time, version from cohort_transaction"
            + " where gid = ?")) {
      ps.setBytes(1, gid.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isTrue();
        List<Long> out = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
          long v = rs.getLong(i);
          out.add(rs.wasNull() ? -1L : v);
        }
        return out;
      }
    }
  }

  private long count(String area, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(db().url(area), db().user, null);
        Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private void execute(String area, String sql) throws Exception {
    try (Connection c = DriverManager.getConnection(db().url(area), db().user, null);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
