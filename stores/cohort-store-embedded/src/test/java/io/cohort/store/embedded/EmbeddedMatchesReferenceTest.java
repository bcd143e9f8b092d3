package io.cohort.store.embedded;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.core.codec.KvCodec;
import io.cohort.core.codec.RecordCodec;
import io.cohort.core.model.Branch;
import io.cohort.core.model.TransOptions;
import io.cohort.core.model.Transaction;
import io.cohort.core.port.TransactionStore.InsertResult;
import io.cohort.core.port.TransactionStore.KvEntry;
import io.cohort.core.port.TransactionStore.ListQuery;
import io.cohort.protocol.BranchStatus;
import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.TransType;
import io.cohort.store.tck.InMemoryTransactionStore;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;

/**
 * Differential test: seeded random operations against the embedded store and the in-memory reference must give the
 * same answers, one call at a time and folded into group-commit batches; afterwards the raw key space must hold
 * exactly the index entries its records call for (no leftovers, nothing missing).
 *
 * <p>Gids are numbered in creation order and a purged gid is never inserted again, so id order and gid order agree
 * and the two stores' different tie-breaks among equal wake times (by id, by gid) cannot diverge. Purges are unlimited, since which finished transactions a
 * limited purge picks is unspecified.
 *
 * <p>Key-value writes are mixed into the same batches, over a few categories that are prefixes of each other and keys
 * whose UTF-8 byte order differs from {@link String#compareTo} order, so that scans compare order as well as content.
 * Entry ids must agree exactly: both stores hand them out only to successful creates.
 */
class EmbeddedMatchesReferenceTest {
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00.123Z");
  private static final GlobalStatus[] STATUSES = GlobalStatus.values();
  private static final TransType[] TYPES = {TransType.SAGA, TransType.MSG, TransType.TCC};
  private static final String[] CATEGORIES = {"a", "ab", "b"};
  private static final String[] KEYS = {"k0", "k1", "k10", "k2", "K", "\u00e9", "\uE000", "\uD83D\uDE00", "\uFFFF", "z"};

  @TempDir
  Path tmp;

  private Random rnd;
  private InMemoryTransactionStore reference;
  private EmbeddedTransactionStore store;
  private int gids;

  @ParameterizedTest(name = "seed {0}, one call at a time")
  @ValueSource(longs = {1, 2, 3, 4})
  void oneCallAtATime(long seed) throws Exception {
    run(seed, false);
  }

  @ParameterizedTest(name = "seed {0}, in batches")
  @ValueSource(longs = {5, 6, 7, 8})
  void inGroupCommitBatches(long seed) throws Exception {
    run(seed, true);
  }

  private void run(long seed, boolean batched) throws Exception {
    rnd = new Random(seed);
    reference = new InMemoryTransactionStore();
    Path dir = tmp.resolve("store");
    // Unsynced: this test is about answers, not durability (close() still syncs the log).
    store = EmbeddedTransactionStore.open(dir, EmbeddedStoreOptions.DEFAULTS.withSyncWrites(false));
    try {
      List<GroupCommitWriter.Request<?>> pending = new ArrayList<>();
      List<Object> expected = new ArrayList<>();
      int batchSize = 1;
      for (int step = 0; step < 3000; step++) {
        int op = rnd.nextInt(100);
        if (op >= 85) { // a read: whatever is pending is committed first
          flush(pending, expected);
          read();
          continue;
        }
        GroupCommitWriter.Request<?> request = write(op, step, expected);
        if (request == null) {
          continue;
        }
        pending.add(request);
        if (!batched || pending.size() >= batchSize) {
          flush(pending, expected);
          batchSize = 1 + rnd.nextInt(20);
        }
      }
      flush(pending, expected);
      for (int g = 0; g < gids; g++) {
        assertThat(store.find(gid(g))).isEqualTo(reference.find(gid(g)));
      }
      for (String category : CATEGORIES) {
        assertThat(store.kvScan(category, "", 1000)).isEqualTo(reference.kvScan(category, "", 1000));
      }
    } finally {
      store.close();
    }
    assertIndexesMatchRecords(dir);
  }

  /** Applies one random write to the reference, records its answer, and returns the same write for the store. */
  private GroupCommitWriter.Request<?> write(int op, int step, List<Object> expected) {
    if (rnd.nextInt(6) == 0) {
      return kvWrite(step, expected);
    }
    if (op < 25 || gids == 0) {
      Transaction t = randomTransaction(gid(gids++));
      expected.add(reference.insert(t));
      return new GroupCommitWriter.Insert(t, RecordCodec.utf8(t.gid()), RecordCodec.encode(t));
    }
    String gid = gid(rnd.nextInt(gids));
    if (op < 30) {
      if (reference.find(gid).isEmpty()) {
        return null; // a purged gid inserted again would get a new id and break "gid order is id order"
      }
      Transaction t = randomTransaction(gid);
      expected.add(reference.insert(t));
      return new GroupCommitWriter.Insert(t, RecordCodec.utf8(gid), RecordCodec.encode(t));
    }
    if (op < 65) {
      Transaction current = reference.find(gid).orElse(null);
      long expectedVersion = current == null ? 1 : rnd.nextInt(5) == 0 ? current.version() - 1 : current.version();
      Transaction next = change(current != null ? current : randomTransaction(gid)).withVersion(expectedVersion + 1);
      expected.add(reference.update(next, expectedVersion));
      return new GroupCommitWriter.Update(gid, RecordCodec.utf8(gid), RecordCodec.encode(next), expectedVersion);
    }
    if (op < 80) {
      Instant now = T0.plusMillis(rnd.nextInt(240_000) - 120_000);
      int limit = 1 + rnd.nextInt(6);
      Instant lease = now.plusMillis(1 + rnd.nextInt(60_000));
      expected.add(reference.claimDue(now, limit, "owner-" + step, lease));
      return new GroupCommitWriter.Claim(now, limit, "owner-" + step, lease);
    }
    Instant before = T0.plusMillis(rnd.nextInt(240_000) - 120_000);
    expected.add(reference.purgeFinished(before, Integer.MAX_VALUE));
    return new GroupCommitWriter.Purge(before, Integer.MAX_VALUE);
  }

  /** A create, a compare-and-set replace or a delete of a random entry, from the right version or (sometimes) not. */
  private GroupCommitWriter.Request<?> kvWrite(int step, List<Object> expected) {
    String category = CATEGORIES[rnd.nextInt(CATEGORIES.length)];
    String key = KEYS[rnd.nextInt(KEYS.length)];
    KvEntry current = reference.kvFind(category, key).orElse(null);
    long stored = current == null ? 0 : current.version();
    long expectedVersion = switch (rnd.nextInt(3)) {
      case 0 -> 0; // create (refused when present)
      case 1 -> rnd.nextInt(5) == 0 ? stored + 1 : stored;
      default -> Math.max(1, stored + rnd.nextInt(3) - 1);
    };
    Instant created = T0.plusMillis(rnd.nextInt(100_000));
    if (expectedVersion > 0 && rnd.nextInt(4) == 0) {
      expected.add(reference.kvDelete(category, key, expectedVersion));
      return new GroupCommitWriter.KvDelete(category, key, expectedVersion);
    }
    KvEntry entry = new KvEntry(rnd.nextInt(1000), category, key, "value " + step, expectedVersion + 1, created,
        created.plusMillis(rnd.nextInt(1000)));
    expected.add(reference.kvPut(entry, expectedVersion));
    return new GroupCommitWriter.KvPut(category, key, KvCodec.encode(entry), expectedVersion);
  }

  private void flush(List<GroupCommitWriter.Request<?>> pending, List<Object> expected) {
    if (pending.isEmpty()) {
      return;
    }
    store.writer().commit(List.copyOf(pending));
    for (int i = 0; i < pending.size(); i++) {
      Object got = pending.get(i).join();
      assertThat(got).as("answer to %s", pending.get(i).getClass().getSimpleName()).isEqualTo(expected.get(i));
    }
    pending.clear();
    expected.clear();
  }

  private void read() {
    switch (rnd.nextInt(4)) {
      case 0 -> {
        String category = CATEGORIES[rnd.nextInt(CATEGORIES.length)];
        String key = KEYS[rnd.nextInt(KEYS.length)];
        assertThat(store.kvFind(category, key)).isEqualTo(reference.kvFind(category, key));
        String after = rnd.nextInt(3) == 0 ? "" : KEYS[rnd.nextInt(KEYS.length)];
        int limit = rnd.nextInt(6);
        assertThat(store.kvScan(category, after, limit)).as("scan %s after %s", category, after)
            .isEqualTo(reference.kvScan(category, after, limit));
        return;
      }
      case 1 -> {
        Instant after = T0.plusMillis(rnd.nextInt(240_000) - 120_000);
        int limit = rnd.nextInt(8);
        assertThat(store.wakingAfter(after, limit)).as("waking after %s", after)
            .isEqualTo(reference.wakingAfter(after, limit));
        return;
      }
      default -> { }
    }
    if (rnd.nextBoolean()) {
      String gid = gid(rnd.nextInt(gids + 1));
      assertThat(store.find(gid)).isEqualTo(reference.find(gid));
      return;
    }
    long maxId = reference.list(new ListQuery(null, 0, 1, null, null, null, null)).transactions().stream()
        .mapToLong(Transaction::id).findFirst().orElse(0);
    ListQuery q = new ListQuery(
        rnd.nextInt(10) == 0 ? gid(rnd.nextInt(gids + 1)) : null,
        rnd.nextInt(3) == 0 ? rnd.nextLong(maxId + 2) : 0,
        1 + rnd.nextInt(10),
        rnd.nextInt(3) == 0 ? STATUSES[rnd.nextInt(STATUSES.length)] : null,
        rnd.nextInt(4) == 0 ? TYPES[rnd.nextInt(TYPES.length)] : null,
        rnd.nextInt(4) == 0 ? T0.plusSeconds(rnd.nextInt(2000) - 1000) : null,
        rnd.nextInt(4) == 0 ? T0.plusSeconds(rnd.nextInt(2000) - 1000) : null);
    assertThat(store.list(q)).as("%s", q).isEqualTo(reference.list(q));
  }

  private static String gid(int n) {
    return String.format("g%06d", n);
  }

  private Transaction randomTransaction(String gid) {
    GlobalStatus status = STATUSES[rnd.nextInt(STATUSES.length)];
    Instant created = T0.plusSeconds(rnd.nextInt(2000) - 1000);
    List<Branch> branches = List.of(new Branch("01", "action", "http://svc/a", ("{\"n\":" + rnd.nextInt() + "}")
        .getBytes(UTF_8), BranchStatus.PREPARED, 0, created, created, null, null));
    return new Transaction(0, gid, TYPES[rnd.nextInt(TYPES.length)], status, "http", "", "",
        new TransOptions(null, Duration.ofSeconds(3), null, 0, Map.of(), false, Map.of(), null), branches, created,
        created, randomFinish(status), null, null, null, randomWake(), Duration.ofSeconds(1), 0, "", 1);
  }

  private Transaction change(Transaction t) {
    GlobalStatus status = rnd.nextInt(3) == 0 ? STATUSES[rnd.nextInt(STATUSES.length)] : t.status();
    return new Transaction(t.id(), t.gid(), t.type(), status, t.protocol(), t.queryPrepared(), t.customData(),
        t.options(), t.branches(), t.createTime(), T0.plusMillis(rnd.nextInt(100_000)),
        status == t.status() ? t.finishTime() : randomFinish(status), t.rollbackTime(),
        rnd.nextBoolean() ? "reason " + rnd.nextInt(100) : t.rollbackReason(), t.result(),
        rnd.nextInt(4) == 0 ? t.nextWake() : randomWake(), t.retryInterval(), t.failures() + 1,
        "w" + rnd.nextInt(3), t.version());
  }

  private Instant randomWake() {
    return rnd.nextInt(4) == 0 ? null : T0.plusMillis(rnd.nextInt(240_000) - 120_000);
  }

  private Instant randomFinish(GlobalStatus status) {
    boolean unusual = rnd.nextInt(10) == 0; // a final one without, or a running one with, a finish time
    return status.isFinal() != unusual ? T0.plusMillis(rnd.nextInt(240_000) - 120_000) : null;
  }

  /** Reads the raw key space: every index entry must be called for by a record, and every record's must exist. */
  private void assertIndexesMatchRecords(Path dir) throws Exception {
    Map<String, byte[]> records = new HashMap<>();
    Map<Long, String> ids = new HashMap<>();
    Set<String> wakes = new HashSet<>();
    Set<String> finishes = new HashSet<>();
    Map<String, KvEntry> entries = new HashMap<>();
    RocksDB.loadLibrary();
    try (Options options = new Options();
        RocksDB db = RocksDB.openReadOnly(options, dir.toString());
        RocksIterator it = db.newIterator()) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        byte[] key = it.key();
        switch (key[0]) {
          case Keys.RECORD -> records.put(chars(key, Keys.PREFIX), it.value());
          case Keys.ID -> assertThat(ids.put(Keys.idOf(key), chars(it.value(), 0))).isNull();
          case Keys.WAKE -> wakes.add(Keys.timeOf(key) + "|" + chars(key, Keys.TIMED_HEADER));
          case Keys.FINISH -> finishes.add(Keys.timeOf(key) + "|" + chars(key, Keys.TIMED_HEADER));
          case Keys.KV -> {
            KvEntry e = KvCodec.decode(Keys.kvCategoryOf(key), Keys.kvKeyOf(key), it.value());
            entries.put(e.category() + "/" + e.key(), e);
          }
          case 'm' -> { }
          default -> throw new AssertionError("unexpected key " + new String(key, UTF_8));
        }
      }
      it.status();
    }
    Map<Long, String> expectedIds = new HashMap<>();
    Set<String> expectedWakes = new HashSet<>();
    Set<String> expectedFinishes = new HashSet<>();
    records.forEach((gid, record) -> {
      assertThat(RecordCodec.decode(record)).isEqualTo(reference.find(gid).orElseThrow());
      expectedIds.put(RecordCodec.id(record), gid);
      if (RecordCodec.indexedWake(record) != RecordCodec.NULL) {
        expectedWakes.add(RecordCodec.indexedWake(record) + "|" + gid);
      }
      if (RecordCodec.indexedFinish(record) != RecordCodec.NULL) {
        expectedFinishes.add(RecordCodec.indexedFinish(record) + "|" + gid);
      }
    });
    assertThat(records).hasSize(reference.list(new ListQuery(null, 0, 100_000, null, null, null, null))
        .transactions().size());
    assertThat(ids).isEqualTo(expectedIds);
    assertThat(wakes).isEqualTo(expectedWakes);
    assertThat(finishes).isEqualTo(expectedFinishes);
    Map<String, KvEntry> expectedEntries = new HashMap<>();
    for (String category : CATEGORIES) {
      reference.kvScan(category, "", 1000).forEach(e -> expectedEntries.put(category + "/" + e.key(), e));
    }
    assertThat(entries).isEqualTo(expectedEntries);
  }

  private static String chars(byte[] b, int from) {
    return RecordCodec.decodeChars(b, from, b.length);
  }
}
