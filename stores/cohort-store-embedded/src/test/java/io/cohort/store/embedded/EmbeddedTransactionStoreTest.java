package io.cohort.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.core.codec.KvCodec;
import io.cohort.core.codec.RecordCodec;
import io.cohort.core.model.Transaction;
import io.cohort.core.port.TransactionStore;
import io.cohort.core.port.TransactionStore.KvEntry;
import io.cohort.core.port.TransactionStore.ListQuery;
import io.cohort.protocol.GlobalStatus;
import io.cohort.store.tck.TransactionStoreContract;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteOptions;

/** The store contract, plus what only a durable store promises. */
class EmbeddedTransactionStoreTest extends TransactionStoreContract {
  private static final EmbeddedStoreOptions OPTIONS = EmbeddedStoreOptions.DEFAULTS;

  @TempDir
  Path tmp;

  @Override
  protected TransactionStore newStore() {
    return EmbeddedTransactionStore.open(tmp.resolve("store"), OPTIONS);
  }

  /** A NUL would end the category early in the entry's RocksDB key ({@link Keys}), so this store refuses it. */
  @Test
  void kvCategoriesAndKeysWithANulAreRefused() {
    TransactionStore store = store();
    for (String[] names : new String[][] {{"a\0b", "k"}, {"\0", "k"}, {"a", "k\0"}, {"a", "\0k"}}) {
      String category = names[0];
      String key = names[1];
      assertThatThrownBy(() -> store.kvPut(kv(category, key, "v"), 0)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("must not contain \\0");
      assertThatThrownBy(() -> store.kvFind(category, key)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> store.kvDelete(category, key, 1)).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> store.kvScan("a\0", "", 10)).isInstanceOf(IllegalArgumentException.class);
    assertThat(store.kvScan("a", "", 10)).isEmpty();
  }

  /**
   * Durability and life cycle: everything is there after a close and an open, a directory another store holds is
   * refused, data this build cannot read is refused. Each test opens its own directories.
   */
  @Nested
  class Durability {
    private EmbeddedTransactionStore open(String name) {
      return EmbeddedTransactionStore.open(tmp.resolve(name), OPTIONS);
    }

    @Test
    void everythingWrittenIsThereAfterReopen() {
      Map<String, Transaction> expected = new LinkedHashMap<>();
      long maxId;
      try (EmbeddedTransactionStore store = open("reopen")) {
        Transaction a = store.insert(saga("a")).stored();
        Transaction b = store.insert(sparse("b")).stored();
        Transaction c = store.insert(everyFieldSet("c")).stored();
        Transaction dueSoon = store.insert(due("due-soon", T0.minusSeconds(1))).stored();
        Transaction dueLater = store.insert(due("due-later", T0.plusSeconds(3600))).stored();
        Transaction old = store.insert(finished("old", T0.minusSeconds(7200))).stored();

        Transaction a2 = a.withReason("updated").withVersion(a.version() + 1);
        assertThat(store.update(a2, a.version())).isTrue();
        Transaction b2 = b.transition(GlobalStatus.SUBMITTED, T0.plusMillis(1), null).withVersion(b.version() + 1);
        assertThat(store.update(b2, b.version())).isTrue();
        List<Transaction> claimed = store.claimDue(T0, 10, "before-restart", T0.plusSeconds(60));
        assertThat(claimed).extracting(Transaction::gid).containsExactly("due-soon");
        assertThat(store.purgeFinished(T0, 10)).isEqualTo(1);

        expected.put("a", a2);
        expected.put("b", b2);
        expected.put("c", c);
        expected.put("due-soon", claimed.get(0));
        expected.put("due-later", dueLater);
        assertThat(old.id()).isGreaterThan(dueSoon.id()).isGreaterThan(dueLater.id());
        maxId = old.id();
      }

      try (EmbeddedTransactionStore store = open("reopen")) {
        expected.forEach((gid, t) -> assertThat(store.find(gid)).as(gid).contains(t));
        assertThat(store.find("old")).isEmpty();
        List<Transaction> newestFirst = new ArrayList<>(expected.values());
        Collections.reverse(newestFirst);
        assertThat(store.list(new ListQuery(null, 0, 100, null, null, null, null)).transactions())
            .containsExactlyElementsOf(newestFirst);

        // The wake index came back too: "a" (due at T0+40s) comes due, the lease taken before the restart holds,
        // then both come due in time order.
        assertThat(store.claimDue(T0.plusSeconds(59), 10, "after", T0.plusSeconds(9000)))
            .extracting(Transaction::gid).containsExactly("a");
        assertThat(store.claimDue(T0.plusSeconds(3600), 10, "after", T0.plusSeconds(9000)))
            .extracting(Transaction::gid).containsExactly("due-soon", "due-later");

        Transaction fresh = store.insert(sparse("after-restart")).stored();
        assertThat(fresh.id()).isGreaterThan(maxId);
      }
    }

    @Test
    void kvEntriesAndTheirIdCounterSurviveReopen() {
      List<KvEntry> expected = new ArrayList<>();
      long newestId;
      try (EmbeddedTransactionStore store = open("kv-reopen")) {
        assertThat(store.kvPut(kv("topics", "orders", "[1]"), 0)).isTrue();
        assertThat(store.kvPut(kv("topics", "payments", "[2]"), 0)).isTrue();
        assertThat(store.kvPut(kv("other", "x", "y"), 0)).isTrue();
        KvEntry orders = store.kvFind("topics", "orders").orElseThrow();
        KvEntry orders2 = new KvEntry(0, "topics", "orders", "[1,3]", 2, T0, T0.plusSeconds(1));
        assertThat(store.kvPut(orders2, 1)).isTrue();
        newestId = store.kvFind("other", "x").orElseThrow().id();
        assertThat(store.kvDelete("other", "x", 1)).as("the newest entry goes").isTrue();
        expected.add(new KvEntry(orders.id(), "topics", "orders", "[1,3]", 2, T0, T0.plusSeconds(1)));
        expected.add(store.kvFind("topics", "payments").orElseThrow());
      }
      try (EmbeddedTransactionStore store = open("kv-reopen")) {
        assertThat(store.kvScan("topics", "", 10)).containsExactlyElementsOf(expected);
        assertThat(store.kvFind("other", "x")).isEmpty();
        assertThat(store.kvPut(kv("other", "x", "again"), 0)).isTrue();
        assertThat(store.kvFind("other", "x").orElseThrow().id()).isGreaterThan(newestId);
        assertThat(store.kvPut(new KvEntry(0, "topics", "orders", "[]", 3, T0, T0), 2)).isTrue();
      }
    }

    @Test
    void idsKeepIncreasingAfterTheNewestTransactionsWerePurged() {
      long purgedId;
      try (EmbeddedTransactionStore store = open("purged-newest")) {
        store.insert(sparse("kept"));
        purgedId = store.insert(finished("newest", T0.minusSeconds(10))).stored().id();
        assertThat(store.purgeFinished(T0, 10)).isEqualTo(1);
      }
      try (EmbeddedTransactionStore store = open("purged-newest")) {
        assertThat(store.insert(sparse("next")).stored().id()).isGreaterThan(purgedId);
      }
    }

    @Test
    void aDirectoryHeldByAnOpenStoreCannotBeOpenedAgain() {
      Path dir = tmp.resolve("locked").toAbsolutePath();
      try (EmbeddedTransactionStore first = open("locked")) {
        first.insert(sparse("x"));
        assertThatThrownBy(() -> open("locked"))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("cannot open the embedded store at " + dir)
            .hasMessageContaining("locked by another open store");
        assertThat(first.find("x")).isPresent();
      }
      try (EmbeddedTransactionStore again = open("locked")) {
        assertThat(again.find("x")).isPresent();
      }
    }

    @Test
    void aDirectoryWithForeignDataIsRefused() throws Exception {
      Path dir = tmp.resolve("foreign");
      RocksDB.loadLibrary();
      try (Options options = new Options().setCreateIfMissing(true);
          RocksDB db = RocksDB.open(options, dir.toString())) {
        db.put("some-key".getBytes(), "some-value".getBytes());
      }
      assertThatThrownBy(() -> open("foreign"))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("not a Cohort embedded store");
    }

    @Test
    void aRecordOfAnUnknownSchemaVersionFailsClearlyOnRead() throws Exception {
      try (EmbeddedTransactionStore store = open("future")) {
        store.insert(sparse("from-the-future"));
      }
      RocksDB.loadLibrary();
      try (Options options = new Options(); RocksDB db = RocksDB.open(options, tmp.resolve("future").toString())) {
        byte[] key = Keys.record(RecordCodec.utf8("from-the-future"));
        byte[] record = db.get(key);
        record[0] = 7;
        db.put(key, record);
      }
      try (EmbeddedTransactionStore store = open("future")) {
        assertThatThrownBy(() -> store.find("from-the-future"))
            .isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("schema version 7");
      }
    }

    @Test
    void aClosedStoreRefusesCalls() {
      EmbeddedTransactionStore store = open("closed");
      Transaction t = store.insert(saga("t")).stored();
      store.close();
      store.close();
      assertThatThrownBy(() -> store.insert(sparse("u"))).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("closed");
      assertThatThrownBy(() -> store.update(t.withVersion(2), 1)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("closed");
      assertThatThrownBy(() -> store.find("t")).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("closed");
      assertThatThrownBy(() -> store.claimDue(T0, 1, "x", T0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    @Timeout(120)
    void closingUnderLoadAcknowledgesOnlyWhatIsDurable() throws Exception {
      EmbeddedTransactionStore store = open("close-under-load");
      Map<String, Long> acknowledged = new ConcurrentHashMap<>();
      List<Future<Integer>> refusals = new ArrayList<>();
      try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int i = 0; i < 32; i++) {
          int n = i;
          refusals.add(pool.submit(() -> {
            for (int k = 0; ; k++) {
              String gid = "w" + n + "-" + k;
              try {
                acknowledged.put(gid, store.insert(sparse(gid)).stored().id());
              } catch (IllegalStateException e) {
                assertThat(e).hasMessageContaining("closed");
                return k;
              }
            }
          }));
        }
        while (acknowledged.size() < 500) {
          Thread.onSpinWait();
        }
        store.close();
        for (Future<Integer> f : refusals) {
          f.get(60, TimeUnit.SECONDS);
        }
      }
      try (EmbeddedTransactionStore reopened = open("close-under-load")) {
        acknowledged.forEach((gid, id) -> assertThat(reopened.find(gid).map(Transaction::id)).as(gid).contains(id));
      }
    }

    @Test
    void optionsAreValidated() {
      assertThatThrownBy(() -> OPTIONS.withMaxBatch(0)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("maxBatch");
      assertThatThrownBy(() -> OPTIONS.withQueueCapacity(OPTIONS.maxBatch() - 1))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("queueCapacity");
      assertThatThrownBy(() -> OPTIONS.withWriteBufferBytes(1000)).isInstanceOf(IllegalArgumentException.class);
      assertThat(EmbeddedStoreOptions.defaults().syncWrites()).isTrue();
      assertThat(OPTIONS.withMaxBatch(20_000).queueCapacity()).isGreaterThanOrEqualTo(20_000);
    }

    @Test
    void subMillisecondTimesAreStoredTruncated() {
      try (EmbeddedTransactionStore store = open("precision")) {
        Instant fine = T0.plusNanos(456_789);
        store.insert(due("fine", fine));
        assertThat(store.find("fine").orElseThrow().nextWake()).isEqualTo(T0);
        List<Transaction> claimed = store.claimDue(T0, 1, "me", T0.plus(Duration.ofNanos(1_500_000)));
        assertThat(claimed.get(0).nextWake()).isEqualTo(T0.plusMillis(1));
        assertThat(store.find("fine")).contains(claimed.get(0));
      }
    }
  }

  /**
   * The writer's batch semantics, driven directly: {@link GroupCommitWriter#commit} decides a list of requests as one
   * batch, exactly as the writer thread does with what it drained (which is idle meanwhile, as nothing else is
   * queued). Later requests must see the effects of earlier ones in the same batch.
   */
  @Nested
  class GroupCommit {
    private GroupCommitWriter writer() {
      return ((EmbeddedTransactionStore) store()).writer();
    }

    private void commitAsOneBatch(GroupCommitWriter.Request<?>... requests) {
      long before = writer().batches();
      writer().commit(List.of(requests));
      assertThat(writer().batches()).isEqualTo(before + 1);
    }

    private GroupCommitWriter.Insert insertOf(Transaction t) {
      return new GroupCommitWriter.Insert(t, RecordCodec.utf8(t.gid()), RecordCodec.encode(t));
    }

    private GroupCommitWriter.Update updateOf(Transaction stored, Transaction changed) {
      Transaction next = changed.withVersion(stored.version() + 1);
      return new GroupCommitWriter.Update(next.gid(), RecordCodec.utf8(next.gid()), RecordCodec.encode(next),
          stored.version());
    }

    private GroupCommitWriter.Claim claimOf(Instant now, int limit, String owner, Instant lease) {
      return new GroupCommitWriter.Claim(now, limit, owner, lease);
    }

    @Test
    void laterRequestsSeeTheEffectsOfEarlierOnes() {
      Transaction a = due("a", T0.minusSeconds(1)).withVersion(1);
      var insert = insertOf(a);
      var insertAgain = insertOf(everyFieldSet("a"));
      var claim = claimOf(T0, 10, "me", T0.plusSeconds(30));
      Transaction claimedA = a.withId(1).withSchedule(T0.plusSeconds(30), a.retryInterval(), 0, "me").withVersion(2);
      var update = updateOf(claimedA, claimedA.withReason("moved on"));
      var staleUpdate = updateOf(claimedA, claimedA.withReason("lost"));

      commitAsOneBatch(insert, insertAgain, claim, update, staleUpdate);

      Transaction stored = insert.join().stored();
      assertThat(insert.join().inserted()).isTrue();
      assertThat(insertAgain.join().inserted()).isFalse();
      assertThat(insertAgain.join().stored()).isEqualTo(stored);
      assertThat(claim.join()).containsExactly(claimedA.withId(stored.id()));
      assertThat(update.join()).isTrue();
      assertThat(staleUpdate.join()).isFalse();
      assertThat(found("a")).isEqualTo(claimedA.withReason("moved on").withVersion(3).withId(stored.id()));
    }

    @Test
    void aWakeMovedLaterEarlierInTheBatchIsNotClaimed() {
      Transaction b = insert(due("b", T0.minusSeconds(1)));
      var later = updateOf(b, b.withSchedule(T0.plusSeconds(3600), b.retryInterval(), 0, ""));
      var claim = claimOf(T0, 10, "me", T0.plusSeconds(30));

      commitAsOneBatch(later, claim);

      assertThat(later.join()).isTrue();
      assertThat(claim.join()).isEmpty();
      assertThat(store().claimDue(T0.plusSeconds(3600), 10, "me", T0.plusSeconds(4000)))
          .extracting(Transaction::gid).containsExactly("b");
    }

    @Test
    void aWakeMovedEarlierEarlierInTheBatchIsClaimedInOrder() {
      insert(due("stored-due", T0.minusSeconds(5)));
      Transaction c = insert(due("c", T0.plusSeconds(3600)));
      var earlier = updateOf(c, c.withSchedule(T0.minusSeconds(10), c.retryInterval(), 0, ""));
      var claim = claimOf(T0, 10, "me", T0.plusSeconds(30));

      commitAsOneBatch(earlier, claim);

      assertThat(claim.join()).extracting(Transaction::gid).containsExactly("c", "stored-due");
    }

    @Test
    void aDueTransactionALimitedClaimLeftInItsBatchIsClaimedNext() {
      var first = insertOf(due("e1", T0.minusSeconds(10)));
      var second = insertOf(due("e2", T0.minusSeconds(9)));
      var claim = claimOf(T0, 1, "me", T0.plusSeconds(30));

      commitAsOneBatch(first, second, claim);

      assertThat(claim.join()).extracting(Transaction::gid).containsExactly("e1");
      // The claim scanned past "now" in the stored index and found nothing there, yet "e2", written by the same
      // batch, is live below that point: the next claim must still find it.
      assertThat(store().claimDue(T0, 10, "me", T0.plusSeconds(30))).extracting(Transaction::gid)
          .containsExactly("e2");
    }

    @Test
    void twoClaimsInOneBatchAreDisjoint() {
      for (int i = 0; i < 5; i++) {
        insert(due("d" + i, T0.minusSeconds(10 - i)));
      }
      var x = claimOf(T0, 3, "x", T0.plusSeconds(30));
      var y = claimOf(T0, 3, "y", T0.plusSeconds(30));

      commitAsOneBatch(x, y);

      assertThat(x.join()).extracting(Transaction::gid).containsExactly("d0", "d1", "d2");
      assertThat(y.join()).extracting(Transaction::gid).containsExactly("d3", "d4");
    }

    @Test
    void aTransactionFinishedInTheBatchIsPurgedInIt() {
      Transaction e = insert(due("e", T0.minusSeconds(60)));
      var finish = updateOf(e, e.transition(GlobalStatus.FAILED, T0.minusSeconds(10), "stopped"));
      var purge = new GroupCommitWriter.Purge(T0, 10);

      commitAsOneBatch(finish, purge);

      assertThat(finish.join()).isTrue();
      assertThat(purge.join()).isEqualTo(1);
      assertThat(store().find("e")).isEmpty();
      assertThat(store().list(new ListQuery(null, 0, 10, null, null, null, null)).transactions()).isEmpty();
      assertThat(store().purgeFinished(T0.plusSeconds(3600), 10)).isZero();
    }

    @Test
    void aGidPurgedInTheBatchCanBeInsertedAgainInIt() {
      Transaction old = insert(finished("f", T0.minusSeconds(60)));
      var purge = new GroupCommitWriter.Purge(T0, 10);
      var again = insertOf(sparse("f"));

      commitAsOneBatch(purge, again);

      assertThat(purge.join()).isEqualTo(1);
      assertThat(again.join().inserted()).isTrue();
      assertThat(again.join().stored().id()).isGreaterThan(old.id());
      assertThat(found("f")).isEqualTo(again.join().stored());
      assertThat(store().list(new ListQuery(null, 0, 10, null, null, null, null)).transactions())
          .containsExactly(again.join().stored());
    }

    @Test
    void laterKvRequestsSeeTheEffectsOfEarlierOnes() {
      Transaction t = sparse("t");
      var createA = kvPutOf(kv("c", "a", "a1"), 0);
      var createAAgain = kvPutOf(kv("c", "a", "lost"), 0);
      var insert = insertOf(t);
      var replaceA = kvPutOf(new KvEntry(0, "c", "a", "a2", 2, T0, T0.plusSeconds(1)), 1);
      var staleReplaceA = kvPutOf(new KvEntry(0, "c", "a", "stale", 2, T0, T0), 1);
      var deleteA = new GroupCommitWriter.KvDelete("c", "a", 2);
      var createAOnceMore = kvPutOf(kv("c", "a", "a3"), 0);
      var createB = kvPutOf(kv("c", "b", "b1"), 0);

      commitAsOneBatch(createA, createAAgain, insert, replaceA, staleReplaceA, deleteA, createAOnceMore, createB);

      assertThat(List.of(createA.join(), createAAgain.join(), replaceA.join(), staleReplaceA.join(), deleteA.join(),
          createAOnceMore.join(), createB.join())).containsExactly(true, false, true, false, true, true, true);
      assertThat(insert.join().inserted()).isTrue();
      KvEntry a = store().kvFind("c", "a").orElseThrow();
      KvEntry b = store().kvFind("c", "b").orElseThrow();
      assertThat(a.value()).isEqualTo("a3");
      assertThat(a.version()).isEqualTo(1);
      assertThat(b.id()).isEqualTo(a.id() + 1);
      // The first "a" took an id too: the re-created one has the next, and the counter says so.
      assertThat(a.id()).isEqualTo(2);
      assertThat(store().kvPut(kv("c", "d", "d1"), 0)).isTrue();
      assertThat(store().kvFind("c", "d").orElseThrow().id()).isEqualTo(4);
    }

    private GroupCommitWriter.KvPut kvPutOf(KvEntry e, long expectedVersion) {
      return new GroupCommitWriter.KvPut(e.category(), e.key(), KvCodec.encode(e), expectedVersion);
    }

    @Test
    void aRequestThatFailsBeforeChangingAnythingFailsAlone() {
      Transaction g = insert(saga("g"));
      var first = insertOf(sparse("h1"));
      var broken = updateOf(g, g.withReason("x"));
      broken.record[RecordCodec.OFF_STATUS] = 9; // an unknown status: refused while deciding, before any effect
      var last = insertOf(sparse("h2"));

      commitAsOneBatch(first, broken, last);

      assertThat(first.join().inserted()).isTrue();
      assertThat(last.join().inserted()).isTrue();
      assertThat(broken).isCompletedExceptionally();
      assertThat(found("g")).isEqualTo(g);
      assertThat(store().find("h1")).isPresent();
      assertThat(store().find("h2")).isPresent();
    }

    @Test
    @Timeout(60)
    void concurrentCallersShareSyncedWrites() throws Exception {
      long batchesBefore = writer().batches();
      long requestsBefore = writer().requests();
      try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
        List<Future<?>> all = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
          int n = i;
          all.add(pool.submit(() -> {
            for (int k = 0; k < 20; k++) {
              store().insert(sparse("c" + n + "-" + k));
            }
          }));
        }
        for (Future<?> f : all) {
          f.get(60, TimeUnit.SECONDS);
        }
      }
      long batches = writer().batches() - batchesBefore;
      long requests = writer().requests() - requestsBefore;
      assertThat(requests).isEqualTo(64 * 20);
      assertThat(batches).as("1280 inserts from 64 threads in fewer synced writes").isLessThan(requests / 2);
      assertThat(writer().largestBatch()).isGreaterThan(1);
    }

    @Test
    void aFailedWriteFailsEveryRequestOfItsBatchAndWritesNothing() throws Exception {
      // RocksDB refuses a synced write with the log disabled: a genuine write failure, on a private database.
      RocksDB.loadLibrary();
      Path dir = tmp.resolve("failing");
      try (Options options = new Options().setCreateIfMissing(true);
          RocksDB db = RocksDB.open(options, dir.toString());
          WriteOptions refused = new WriteOptions().setSync(true).setDisableWAL(true)) {
        GroupCommitWriter failing = new GroupCommitWriter(db, refused, OPTIONS, 0, 0, dir.toString());
        failing.start();
        try {
          Transaction t = sparse("doomed");
          assertThatThrownBy(() -> failing.submit(insertOf(t)))
              .isInstanceOf(UncheckedIOException.class)
              .hasMessageContaining("write failed");
          assertThat(db.get(Keys.record(RecordCodec.utf8("doomed")))).isNull();
          assertThat(db.get(Keys.LAST_ID)).isNull();
        } finally {
          failing.stop();
        }
      }
    }
  }
}
