package io.cohort.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.core.codec.RecordCodec;
import io.cohort.core.model.Transaction;
import io.cohort.core.port.TransactionStore;
import io.cohort.store.tck.TransactionStoreContract;
import io.lettuce.core.cluster.SlotHash;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The store contract against the Redis server on this machine (127.0.0.1:6379), plus what only this store promises:
 * claims by separate stores (coordinators) are disjoint, partitions spread over slots, the layout is checked on open,
 * an unreachable server is reported clearly, and the claim script patches records exactly as the codec writes them.
 * Every store gets a key prefix of its own, deleted after the test.
 */
class RedisTransactionStoreTest extends TransactionStoreContract {
  static final String URI = "redis://127.0.0.1:6379";

  private static RedisKeys keys;
  private final List<String> prefixes = new ArrayList<>();
  private final List<RedisTransactionStore> opened = new ArrayList<>();

  @BeforeAll
  static void connect() {
    keys = new RedisKeys(URI);
  }

  @AfterAll
  static void disconnect() {
    keys.close();
  }

  @Override
  protected TransactionStore newStore() {
    return open(newPrefix(), RedisStoreOptions.DEFAULT_PARTITIONS);
  }

  String newPrefix() {
    String prefix = RedisKeys.uniquePrefix();
    prefixes.add(prefix);
    return prefix;
  }

  RedisTransactionStore open(String prefix, int partitions) {
    RedisTransactionStore store = RedisTransactionStore.open(
        RedisStoreOptions.standalone(URI).withKeyPrefix(prefix).withPartitions(partitions));
    opened.add(store);
    return store;
  }

  @AfterEach
  void deleteKeys() {
    opened.forEach(RedisTransactionStore::close);
    prefixes.forEach(keys::deleteAll);
  }

  /** The contract again with few partitions, where many transactions share one and merges are deep. */
  @Nested
  class ThreePartitions extends TransactionStoreContract {
    @Override
    protected TransactionStore newStore() {
      return open(newPrefix(), 3);
    }
  }

  // ------------------------------------------------------------------------------------ several coordinators

  @Test
  @Timeout(120)
  void twoStoresClaimingConcurrentlyNeverGetTheSameTransactionAndTogetherClaimEverything() throws Exception {
    String prefix = newPrefix();
    ConcurrentClaims.claimEverythingOnce(List.of(open(prefix, 16), open(prefix, 16)), 1_000, 8, 13,
        gid -> due(gid, T0.minusMillis(Math.floorMod(gid.hashCode(), 97))), T0);
  }

  @Test
  void aClaimTakesTheEarliestAcrossPartitionsEvenWhenOnePartitionHoldsThemAll() {
    String prefix = newPrefix();
    RedisTransactionStore store = open(prefix, 64);
    Layout layout = store.layout();
    // 40 gids of one partition, due earliest; then one gid in every other partition, due later.
    List<String> crowded = new ArrayList<>();
    for (int i = 0; crowded.size() < 40; i++) {
      String gid = "crowded-" + i;
      if (layout.partitionOf(RecordCodec.utf8(gid)) == 5) {
        crowded.add(gid);
        store.insert(due(gid, T0.minusSeconds(1000).plusMillis(crowded.size())));
      }
    }
    Set<Integer> others = new HashSet<>();
    for (int i = 0; others.size() < 63; i++) {
      String gid = "spread-" + i;
      int p = layout.partitionOf(RecordCodec.utf8(gid));
      if (p != 5 && others.add(p)) {
        store.insert(due(gid, T0.minusSeconds(10).plusMillis(p)));
      }
    }

    List<Transaction> claimed = store.claimDue(T0, 40, "me", T0.plusSeconds(60));

    assertThat(claimed).extracting(Transaction::gid).containsExactlyElementsOf(crowded);
    assertThat(store.claimDue(T0, 100, "me", T0.plusSeconds(60))).hasSize(63);
  }

  // ------------------------------------------------------------------------------------------- key layout

  @Test
  void transactionsSpreadOverAllPartitionsAndEachPartitionIsOneSlot() {
    String prefix = newPrefix();
    RedisTransactionStore store = open(prefix, 64);
    Layout layout = store.layout();
    int[] perPartition = new int[64];
    for (int i = 0; i < 6_400; i++) {
      byte[] gid = RecordCodec.utf8("order-" + i);
      int p = layout.partitionOf(gid);
      perPartition[p]++;
      int slot = SlotHash.getSlot(layout.record(p, gid));
      assertThat(slot).isEqualTo(layout.slot(p)).isEqualTo(SlotHash.getSlot(layout.due(p)))
          .isEqualTo(SlotHash.getSlot(layout.finished(p))).isEqualTo(SlotHash.getSlot(layout.ids(p)));
    }
    assertThat(java.util.Arrays.stream(perPartition).boxed().toList())
        .allSatisfy(n -> assertThat(n).as("transactions per partition").isBetween(50, 150));

    Set<Integer> slots = new HashSet<>();
    int[] perThird = new int[3];
    for (int p = 0; p < 64; p++) {
      int slot = layout.slot(p);
      slots.add(slot);
      assertThat(slot).as("partition %d in the %d-th 64th of the slots", p, p).isBetween(p * 256, p * 256 + 255);
      perThird[slot * 3 / SlotHash.SLOT_COUNT]++;
    }
    assertThat(slots).as("no two partitions share a slot").hasSize(64);
    assertThat(java.util.Arrays.stream(perThird).boxed().toList())
        .as("a three-master cluster with equal slot ranges holds equal shares")
        // 64 partitions over 3 ranges: 21 or 22 each, except that partitions 21 and 42 straddle a range boundary, so
        // which range they fall in depends on the prefix's salts, and the middle range may hold only 20.
        .allSatisfy(n -> assertThat(n).isBetween(20, 22));
    // The meta key and the id sequence are elsewhere; a stored record is under its partition's key.
    store.insert(saga("order-1"));
    int p = layout.partitionOf(RecordCodec.utf8("order-1"));
    assertThat(keys.exists(layout.record(p, RecordCodec.utf8("order-1")))).isTrue();
  }

  @Test
  void partitionTagsAreStableForAGivenPrefixAndCount() {
    // The tags are derived, never stored: the same prefix and count must give the same tags in every build.
    assertThat(Layout.tag("cohort", 0, 64)).isEqualTo(new Layout("cohort", 64).tag(0));
    Layout layout = new Layout("cohort", 64);
    for (int p = 0; p < 64; p++) {
      assertThat(layout.tag(p)).startsWith("cohort:" + p + ".");
    }
    assertThat(layout.partitionOf(RecordCodec.utf8("gid-1"))).isEqualTo(new Layout("other", 64)
        .partitionOf(RecordCodec.utf8("gid-1")));
  }

  // ---------------------------------------------------------------------------------------------- open

  @Test
  void aPartitionCountMismatchIsRefusedOnOpen() {
    String prefix = newPrefix();
    open(prefix, 16).insert(saga("kept"));

    assertThatThrownBy(() -> open(prefix, 32))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("created with 16 partitions")
        .hasMessageContaining("asks for 32")
        .hasMessageContaining("key prefix '" + prefix + "'");
    assertThat(open(prefix, 16).find("kept")).isPresent();
  }

  @Test
  void aNewerLayoutIsRefusedOnOpen() {
    String prefix = newPrefix();
    open(prefix, 8).close();
    keys.hset(Layout.ascii("{" + prefix + "}:meta"), "layout", "2");

    assertThatThrownBy(() -> open(prefix, 8))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("key layout version is 2");
  }

  @Test
  @Timeout(30)
  void anUnreachableServerIsAClearErrorNamingItWithoutThePassword() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    RedisStoreOptions options = RedisStoreOptions.standalone("redis://user:s3cret@127.0.0.1:" + port + "/2")
        .withConnectTimeout(Duration.ofSeconds(2));

    assertThatThrownBy(() -> RedisTransactionStore.open(options))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageStartingWith("cannot connect to Redis at redis://127.0.0.1:" + port + "/2: ")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cret"));
  }

  @Test
  void optionsAreValidatedAndNeverShowThePassword() {
    RedisStoreOptions ok = RedisStoreOptions.standalone("redis://:pw@localhost:6380/3");
    assertThat(ok.toString()).contains("redis://localhost:6380/3").doesNotContain("pw@");
    assertThat(ok.keyPrefix()).isEqualTo("cohort");
    assertThat(ok.partitions()).isEqualTo(64);
    assertThat(RedisStoreOptions.cluster(List.of("redis://a:7000", "rediss://b:7001")).redactedUris())
        .isEqualTo("redis://a:7000,rediss://b:7001");

    assertThatThrownBy(() -> RedisStoreOptions.cluster(List.of()))
        .hasMessage("redis uris must name at least one server");
    assertThatThrownBy(() -> new RedisStoreOptions(List.of("redis://a", "redis://b"), false, "p", 1,
        Duration.ofSeconds(1), Duration.ofSeconds(1))).hasMessageContaining("a standalone Redis store takes one uri");
    assertThatThrownBy(() -> RedisStoreOptions.standalone("http://:pw@x")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("redis uri is not valid").satisfies(e -> assertThat(e.getMessage())
            .doesNotContain("pw"));
    for (String prefix : List.of("", "a{b}", "a:b", "with space", "x".repeat(65))) {
      assertThatThrownBy(() -> ok.withKeyPrefix(prefix)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("keyPrefix");
    }
    assertThatThrownBy(() -> ok.withPartitions(0)).hasMessage("redis partitions must be between 1 and 1024, got 0");
    assertThatThrownBy(() -> ok.withPartitions(1025)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ok.withCommandTimeout(Duration.ZERO)).hasMessageContaining("commandTimeout");
    assertThatThrownBy(() -> ok.withConnectTimeout(Duration.ofSeconds(-1))).hasMessageContaining("connectTimeout");
  }

  // -------------------------------------------------------------------------------------- record patching

  @Test
  void aClaimRewritesTheRecordExactlyAsTheCodecWouldWriteIt() {
    String prefix = newPrefix();
    RedisTransactionStore store = open(prefix, 4);
    String[] owners = {"", "\u00fc", "x".repeat(200) + "\u2713", "short", "o".repeat(20_000)};
    Transaction t = store.insert(due("patched", T0.minusSeconds(1)).withSchedule(T0.minusSeconds(1), null, 3,
        "first-\uD83D\uDE00")).stored();
    Instant lease = T0;
    for (String owner : owners) {
      lease = lease.plusSeconds(1);
      List<Transaction> claimed = store.claimDue(lease.minusSeconds(1), 1, owner, lease);
      Transaction expected = t.withSchedule(lease, t.retryInterval(), t.failures(), owner).withVersion(t.version() + 1);
      assertThat(claimed).containsExactly(expected);
      byte[] gid = RecordCodec.utf8("patched");
      byte[] key = store.layout().record(store.layout().partitionOf(gid), gid);
      assertThat(keys.hget(key, "r")).as("owner %s", owner).isEqualTo(RecordCodec.encode(expected));
      t = expected;
    }
  }

  @Test
  void versionsCarryAcrossBytesWhenAClaimIncrementsThem() {
    RedisTransactionStore store = open(newPrefix(), 2);
    for (long version : new long[] {255, 65_535, (1L << 40) - 1, Long.MAX_VALUE - 1}) {
      String gid = "v" + version;
      store.insert(due(gid, T0.minusSeconds(1)).withVersion(version));
      Transaction claimed = store.claimDue(T0, 1, "me", T0.plusSeconds(5)).get(0);
      assertThat(claimed.version()).isEqualTo(version + 1);
      assertThat(store.find(gid).orElseThrow().version()).isEqualTo(version + 1);
    }
  }

  @Test
  void wakeTimesBeyondTheExactScoreRangeAreStillStoredExactly() {
    RedisTransactionStore store = open(newPrefix(), 2);
    Instant far = Instant.ofEpochMilli(Long.MAX_VALUE - 7);
    Transaction t = store.insert(due("far", far)).stored();
    assertThat(store.find("far").orElseThrow()).isEqualTo(t);
    assertThat(store.claimDue(Instant.parse("9999-12-31T23:59:59.999Z"), 10, "me", T0)).isEmpty();
    assertThat(store.wakingAfter(T0, 10)).containsExactly(t);
  }

  @Test
  void aClosedStoreRefusesWork() {
    RedisTransactionStore store = open(newPrefix(), 2);
    store.close();
    assertThatThrownBy(() -> store.find("x")).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertThatThrownBy(() -> store.insert(saga("x"))).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void listingsMergeEveryPartitionNewestFirst() {
    RedisTransactionStore store = open(newPrefix(), 64);
    Map<Long, String> byId = new HashMap<>();
    for (int i = 0; i < 300; i++) {
      Transaction t = store.insert(sparse("m" + i)).stored();
      byId.put(t.id(), t.gid());
    }
    List<Long> ids = new ArrayList<>();
    long before = 0;
    do {
      TransactionStore.Page page = store.list(new TransactionStore.ListQuery(null, before, 7, null, null, null, null));
      page.transactions().forEach(t -> ids.add(t.id()));
      before = page.nextBeforeId();
    } while (before != 0);
    assertThat(ids).hasSize(300).isSortedAccordingTo((x, y) -> Long.compare(y, x));
    assertThat(new HashSet<>(ids)).isEqualTo(byId.keySet());
  }

  @Test
  void keyValueKeysWithLoneSurrogatesRoundTripAndSortAsStrings() {
    RedisTransactionStore store = open(newPrefix(), 2);
    List<String> keys = new ArrayList<>(List.of("\uD800", "a\uDFFF", "\uD83D\uDE00", "\uDBFF\uDBFF", "z"));
    for (String key : keys) {
      assertThat(Layout.kvKeyOf(Layout.kvField(key))).isEqualTo(key);
      assertThat(store.kvPut(kv("\uD800 category", key, key), 0)).isTrue();
    }
    java.util.Collections.sort(keys);
    assertThat(store.kvScan("\uD800 category", "", 10)).extracting(TransactionStore.KvEntry::key)
        .containsExactlyElementsOf(keys);
    assertThat(store.kvFind("\uD800 category", "\uD800").orElseThrow().value()).isEqualTo("\uD800");
    assertThat(store.kvFind("\uDC00 category", "\uD800")).isEmpty();
  }

  @Test
  void theLargestPartitionCountStillGivesEveryPartitionASlotOfItsOwn() {
    long start = System.nanoTime();
    Layout layout = new Layout("cohort", Layout.MAX_PARTITIONS);
    long millis = (System.nanoTime() - start) / 1_000_000;
    Set<Integer> slots = new HashSet<>();
    for (int p = 0; p < Layout.MAX_PARTITIONS; p++) {
      slots.add(layout.slot(p));
    }
    assertThat(slots).hasSize(Layout.MAX_PARTITIONS);
    assertThat(millis).as("deriving the tags at open").isLessThan(2_000);
  }

  @Test
  void limitsUpToIntegerMaxValueAreServed() {
    RedisTransactionStore store = open(newPrefix(), 4);
    for (int i = 0; i < 5; i++) {
      store.insert(due("big-" + i, T0.minusSeconds(i)));
    }
    assertThat(store.list(new TransactionStore.ListQuery(null, 0, Integer.MAX_VALUE, null, null, null, null))
        .transactions()).hasSize(5);
    assertThat(store.wakingAfter(T0.minusSeconds(60), Integer.MAX_VALUE)).hasSize(5);
    assertThat(store.claimDue(T0, Integer.MAX_VALUE, "me", T0.plusSeconds(1))).hasSize(5);
    assertThat(store.purgeFinished(T0, Integer.MAX_VALUE)).isZero();
  }
}
