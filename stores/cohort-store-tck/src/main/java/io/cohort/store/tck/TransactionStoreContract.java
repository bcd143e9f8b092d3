package io.cohort.store.tck;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.core.model.Branch;
import io.cohort.core.model.TransOptions;
import io.cohort.core.model.Transaction;
import io.cohort.core.port.TransactionStore;
import io.cohort.core.port.TransactionStore.InsertResult;
import io.cohort.core.port.TransactionStore.KvEntry;
import io.cohort.core.port.TransactionStore.ListQuery;
import io.cohort.core.port.TransactionStore.Page;
import io.cohort.protocol.BranchStatus;
import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.TransType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.stream.IntStream;
import org.assertj.core.api.recursive.comparison.RecursiveComparisonConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The store contract. Every {@link TransactionStore} runs this suite through a one-line subclass that implements
 * {@link #newStore()}; {@link InMemoryTransactionStore} is the reference whose behaviour the suite describes.
 *
 * <p>What the suite pins, beyond the port's javadoc:
 *
 * <ul>
 *   <li>Stores keep instants and durations to the millisecond, exactly; everything built here is millisecond
 *       truncated. Payloads are opaque bytes (not text), and an empty payload stays empty.
 *   <li>A transaction read back equals the one written, field for field, nulls included.
 *   <li>Ordering among transactions due at the very same millisecond is unspecified; the suite only uses distinct
 *       wake times where order matters. Which finished transactions a limited purge picks is unspecified too.
 *   <li>A {@code list} limit below 1 is a caller bug and is refused with {@link IllegalArgumentException}, as is an
 *       {@code update} whose next version is not the expected one plus one.
 *   <li>Key-value entries: {@code kvPut} refuses the same way a replacement whose version is not the expected one plus
 *       one, a negative expected version, and a new entry (expected version 0) whose version is below 1, since a
 *       stored version 0 would be indistinguishable from "absent" for a later create. Entry times are kept to the
 *       millisecond, like every instant.
 * </ul>
 *
 * <p>Time never comes from a clock here: every {@code now} is an argument, so nothing sleeps.
 */
public abstract class TransactionStoreContract {
  /** A millisecond-precise base time; every instant in the suite is derived from it. */
  protected static final Instant T0 = Instant.parse("2025-03-01T10:00:00.123Z");

  /** Bytes that are not valid UTF-8 (a lone continuation byte, an invalid lead, a NUL), so no store may treat them as text. */
  protected static final byte[] NON_UTF8 = {(byte) 0xC3, 0x28, (byte) 0xFF, 0x00, (byte) 0x80, 'x', (byte) 0xFE};

  /** Recursive comparison with byte arrays compared whole (element by element is slow for a 1 MiB payload). */
  private static final RecursiveComparisonConfiguration BYTES_BY_CONTENT = RecursiveComparisonConfiguration.builder()
      .withEqualsForType(Arrays::equals, byte[].class)
      .build();

  private TransactionStore store;

  /** A fresh, empty store; the suite closes it after each test. */
  protected abstract TransactionStore newStore() throws Exception;

  @BeforeEach
  final void openStore() throws Exception {
    store = newStore();
  }

  @AfterEach
  final void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  /** The store under test in the current test. */
  protected final TransactionStore store() {
    return store;
  }

  // ------------------------------------------------------------------------------------------- sample transactions

  /** A submitted saga with typical content: options set, three branches (non-UTF-8, JSON and empty payloads). */
  protected static Transaction saga(String gid) {
    TransOptions options = new TransOptions(Duration.ofSeconds(30), Duration.ofMillis(2_500), Duration.ofMillis(10_001),
        5, Map.of("Authorization", "Bearer x", "X-Ünïcode", "välue ✓"), true,
        Map.of(1, List.of(0), 2, List.of(0, 1)), Duration.ofMinutes(3));
    List<Branch> branches = List.of(
        new Branch("01", "compensate", "http://svc/comp", NON_UTF8.clone(), BranchStatus.PREPARED, 0, T0, T0, null,
            null),
        new Branch("01", "action", "http://svc/act", "{\"amount\":30}".getBytes(UTF_8), BranchStatus.SUCCEED, 2, T0,
            T0.plusMillis(5), T0.plusMillis(5), "HTTP 503: try again"),
        new Branch("02", "action", "", new byte[0], BranchStatus.PREPARED, 0, T0, T0, null, null));
    return new Transaction(0, gid, TransType.SAGA, GlobalStatus.SUBMITTED, "http", "", "{\"k\":1}", options, branches,
        T0, T0.plusMillis(7), null, null, null, null, T0.plusSeconds(40), Duration.ofMillis(10_001), 0, "node-1", 1);
  }

  /** A prepared msg with every nullable field null, default options and no branches. */
  protected static Transaction sparse(String gid) {
    return new Transaction(0, gid, TransType.MSG, GlobalStatus.PREPARED, "http", "", "", TransOptions.DEFAULTS,
        List.of(), T0, T0, null, null, null, null, null, null, 0, "", 1);
  }

  /** A failed transaction with every field set (even a wake time, which a final transaction must never act on). */
  protected static Transaction everyFieldSet(String gid) {
    TransOptions options = new TransOptions(Duration.ZERO, Duration.ofDays(3), Duration.ofMillis(1), Integer.MAX_VALUE,
        Map.of("h", ""), false, Map.of(0, List.of()), Duration.ofMillis(Long.MAX_VALUE / 4))
        .withWorkflow("transfer-\u00fc", "eyJhbW91bnQiOjMwfQ==");
    List<Branch> branches = List.of(
        new Branch("01", "try", "http://a/try", allBytes(), BranchStatus.SUCCEED, 1, T0, T0.plusMillis(1),
            T0.plusMillis(1), ""),
        new Branch("01", "cancel", "http://a/cancel", new byte[] {0}, BranchStatus.FAILED, Integer.MAX_VALUE,
            T0.plusMillis(2), T0.plusMillis(3), T0.plusMillis(4), "boom \u00e9\u4e2d\uD83D\uDE00"));
    return new Transaction(0, gid, TransType.TCC, GlobalStatus.FAILED, "grpc", "http://a/query", "{}", options,
        branches, Instant.parse("1969-12-31T23:59:59.999Z"), T0.plusMillis(9), T0.plusMillis(10), T0.plusMillis(8),
        "branch 01 failed: \uD83D\uDCA5", "{\"ok\":false}", Instant.parse("9999-12-31T23:59:59.999Z"),
        Duration.ofHours(1), 17, "owner-\u00fc", 41);
  }

  /** A submitted saga, due at {@code wake} ({@code null}: never due), owned by nobody. */
  protected static Transaction due(String gid, Instant wake) {
    return saga(gid).withSchedule(wake, Duration.ofSeconds(1), 0, "");
  }

  /** A transaction in {@code status} (final ones finished at {@code finish}), not scheduled. */
  protected static Transaction inStatus(String gid, TransType type, GlobalStatus status, Instant created,
      Instant finish) {
    Transaction t = saga(gid);
    return new Transaction(0, gid, type, status, t.protocol(), t.queryPrepared(), t.customData(), t.options(),
        t.branches(), created, created, finish, null, null, null, null, t.retryInterval(), 0, "", 1);
  }

  /** A final transaction that finished at {@code finish}. */
  protected static Transaction finished(String gid, Instant finish) {
    return inStatus(gid, TransType.SAGA, GlobalStatus.SUCCEED, T0, finish);
  }

  private static byte[] allBytes() {
    byte[] b = new byte[256];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) i;
    }
    return b;
  }

  // --------------------------------------------------------------------------------------------------- helpers

  /** Inserts {@code t}, asserting it was new, and returns it as stored. */
  protected final Transaction insert(Transaction t) {
    InsertResult r = store.insert(t);
    assertThat(r.inserted()).as("inserted %s", t.gid()).isTrue();
    return r.stored();
  }

  /** The next version of {@code stored}, changed by {@code change}, written with compare-and-set; asserts success. */
  protected final Transaction update(Transaction stored, Transaction changed) {
    Transaction next = changed.withVersion(stored.version() + 1);
    assertThat(store.update(next, stored.version())).as("update %s from v%d", stored.gid(), stored.version()).isTrue();
    return next;
  }

  protected final Transaction found(String gid) {
    return store.find(gid).orElseThrow(() -> new AssertionError("no transaction " + gid));
  }

  private static ListQuery all(int limit) {
    return new ListQuery(null, 0, limit, null, null, null, null);
  }

  /** Every transaction the query selects, following {@code nextBeforeId} page after page. */
  private List<Transaction> listAllPages(ListQuery first) {
    List<Transaction> out = new ArrayList<>();
    ListQuery q = first;
    for (int pages = 0; ; pages++) {
      assertThat(pages).as("pagination terminates").isLessThan(10_000);
      Page page = store.list(q);
      assertThat(page.transactions().size()).isLessThanOrEqualTo(q.limit());
      out.addAll(page.transactions());
      if (page.nextBeforeId() == 0) {
        return out;
      }
      assertThat(page.transactions()).as("a page announcing more is full").hasSize(q.limit());
      assertThat(page.nextBeforeId()).isEqualTo(page.transactions().get(page.transactions().size() - 1).id());
      q = new ListQuery(q.gid(), page.nextBeforeId(), q.limit(), q.status(), q.type(), q.createdFrom(), q.createdTo());
    }
  }

  private static List<Long> ids(List<Transaction> ts) {
    return ts.stream().map(Transaction::id).toList();
  }

  private static List<String> gids(List<Transaction> ts) {
    return ts.stream().map(Transaction::gid).toList();
  }

  /** Runs {@code threads} virtual threads released together; returns their results in thread order. */
  private static <T> List<T> race(int threads, IntFunction<T> task) throws Exception {
    CountDownLatch ready = new CountDownLatch(threads);
    CountDownLatch go = new CountDownLatch(1);
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        int n = i;
        futures.add(pool.submit(() -> {
          ready.countDown();
          go.await();
          return task.apply(n);
        }));
      }
      ready.await();
      go.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        results.add(f.get(60, TimeUnit.SECONDS));
      }
      return results;
    }
  }

  // ---------------------------------------------------------------------------------------------------- insert

  @Test
  void insertAssignsAPositiveIdAndKeepsEverythingElse() {
    Transaction t = saga("g-1").withVersion(7);
    InsertResult r = store.insert(t);
    assertThat(r.inserted()).isTrue();
    assertThat(r.stored().id()).isPositive();
    assertThat(r.stored()).isEqualTo(t.withId(r.stored().id()));
    assertThat(r.stored().version()).as("the version is kept as given").isEqualTo(7);
  }

  @Test
  void idsStrictlyIncreaseInInsertionOrder() {
    long previous = 0;
    for (int i = 0; i < 50; i++) {
      Transaction stored = insert(i % 2 == 0 ? saga("g-" + i) : sparse("g-" + i));
      assertThat(stored.id()).as("id of insert %d", i).isGreaterThan(previous);
      previous = stored.id();
    }
  }

  @Test
  void insertingATakenGidReturnsTheExistingTransactionUnchanged() {
    Transaction first = insert(saga("dup"));
    Transaction different = everyFieldSet("dup").withId(12345);

    InsertResult again = store.insert(different);

    assertThat(again.inserted()).isFalse();
    assertThat(again.stored()).isEqualTo(first);
    assertThat(found("dup")).isEqualTo(first);
    assertThat(store.list(all(10)).transactions()).containsExactly(first);
  }

  @Test
  void aRefusedInsertDoesNotDisturbLaterIds() {
    Transaction a = insert(saga("a"));
    assertThat(store.insert(sparse("a")).inserted()).isFalse();
    Transaction b = insert(saga("b"));
    assertThat(b.id()).isGreaterThan(a.id());
  }

  // ------------------------------------------------------------------------------------------------ round trip

  @Test
  void aTypicalTransactionRoundTripsExactly() {
    assertRoundTrip(saga("typical"));
  }

  @Test
  void aTransactionWithEveryNullableFieldNullRoundTripsExactly() {
    Transaction stored = assertRoundTrip(sparse("sparse"));
    assertThat(stored.finishTime()).isNull();
    assertThat(stored.rollbackTime()).isNull();
    assertThat(stored.rollbackReason()).isNull();
    assertThat(stored.result()).isNull();
    assertThat(stored.nextWake()).isNull();
    assertThat(stored.retryInterval()).isNull();
    assertThat(stored.options().timeoutToFail()).isNull();
    assertThat(stored.options().requestTimeout()).isNull();
    assertThat(stored.options().retryInterval()).isNull();
    assertThat(stored.options().delay()).isNull();
    assertThat(stored.options().workflowName()).isNull();
    assertThat(stored.options().workflowData()).isNull();
    assertThat(stored.branches()).isEmpty();
  }

  @Test
  void aTransactionWithEveryFieldSetRoundTripsExactly() {
    Transaction stored = assertRoundTrip(everyFieldSet("full"));
    assertThat(stored.options().workflowName()).isEqualTo("transfer-\u00fc");
    assertThat(stored.options().workflowData()).isEqualTo("eyJhbW91bnQiOjMwfQ==");
  }

  @Test
  void branchPayloadsErrorsAndTimesRoundTripExactly() {
    Transaction stored = assertRoundTrip(saga("payloads"));
    List<Branch> branches = stored.branches();
    assertThat(branches.get(0).payload()).containsExactly(NON_UTF8);
    assertThat(branches.get(0).lastError()).isNull();
    assertThat(branches.get(0).finishTime()).isNull();
    assertThat(branches.get(1).payload()).isEqualTo("{\"amount\":30}".getBytes(UTF_8));
    assertThat(branches.get(1).lastError()).isEqualTo("HTTP 503: try again");
    assertThat(branches.get(1).finishTime()).isEqualTo(T0.plusMillis(5));
    assertThat(branches.get(2).payload()).isEmpty();
    assertThat(branches.get(2).url()).isEmpty();
  }

  @Test
  void unusualButLegalValuesRoundTripExactly() {
    String longGid = "g".repeat(127) + "\u00e9";
    byte[] big = new byte[1 << 20];
    new java.util.Random(42).nextBytes(big);
    Transaction t = new Transaction(0, longGid, TransType.WORKFLOW, GlobalStatus.ABORTING, "http", "", "",
        new TransOptions(null, Duration.ofMillis(-5), null, -1, Map.of(), true, Map.of(), Duration.ZERO)
            .withWorkflow("\u5de5\u4f5c\u6d41 / wf", ""),
        List.of(new Branch("\uD83D\uDE00", "action", "http://x", big, BranchStatus.PREPARED, 0, Instant.EPOCH,
            Instant.EPOCH, null, "")),
        Instant.EPOCH.minusMillis(1), Instant.EPOCH, null, T0, "", "", T0.minusSeconds(86_400L * 365 * 60),
        Duration.ZERO, Integer.MAX_VALUE, "", Long.MAX_VALUE - 1);
    assertRoundTrip(t);
    assertRoundTrip(sparse("\u4e2d\u6587 gid with spaces / slashes"));
  }

  @Test
  void findOfAnUnknownGidIsEmpty() {
    insert(saga("known"));
    assertThat(store.find("unknown")).isEmpty();
    assertThat(store.find("know")).as("no prefix match").isEmpty();
    assertThat(store.find("known ")).isEmpty();
  }

  private Transaction assertRoundTrip(Transaction t) {
    Transaction stored = insert(t);
    Transaction expected = t.withId(stored.id());
    Transaction back = found(t.gid());
    assertThat(back).isEqualTo(expected);
    // Field by field too, so a weak equals() somewhere could not hide a difference.
    assertThat(back).usingRecursiveComparison(BYTES_BY_CONTENT).isEqualTo(expected);
    return back;
  }

  // ---------------------------------------------------------------------------------------------------- update

  @Test
  void updateWithTheStoredVersionReplacesTheTransaction() {
    Transaction stored = insert(saga("u"));
    Transaction changed = stored.withBranch(0, stored.branches().get(0).transition(BranchStatus.SUCCEED,
            T0.plusMillis(50), "ok"))
        .transition(GlobalStatus.ABORTING, T0.plusMillis(60), "action 02 failed");

    Transaction next = update(stored, changed);

    assertThat(found("u")).isEqualTo(next);
    assertThat(found("u")).usingRecursiveComparison(BYTES_BY_CONTENT).isEqualTo(next);
    assertThat(found("u").version()).isEqualTo(stored.version() + 1);
  }

  @Test
  void updateKeepsTheStoredIdWhateverTheNextCarries() {
    Transaction stored = insert(saga("keep-id"));
    Transaction next = stored.withId(stored.id() + 1000).withVersion(stored.version() + 1);
    assertThat(store.update(next, stored.version())).isTrue();
    assertThat(found("keep-id").id()).isEqualTo(stored.id());
    assertThat(found("keep-id")).isEqualTo(next.withId(stored.id()));
  }

  @Test
  void updateFromAStaleVersionFailsAndChangesNothing() {
    Transaction v1 = insert(saga("stale"));
    Transaction v2 = update(v1, v1.withReason("second"));

    Transaction fromStale = v1.withReason("lost update").withVersion(v1.version() + 1);
    assertThat(store.update(fromStale, v1.version())).isFalse();
    Transaction fromFuture = v2.withReason("too new").withVersion(v2.version() + 2);
    assertThat(store.update(fromFuture, v2.version() + 1)).isFalse();

    assertThat(found("stale")).isEqualTo(v2);
  }

  @Test
  void updateOfAnUnknownGidFailsAndCreatesNothing() {
    Transaction ghost = saga("ghost").withId(1).withVersion(2);
    assertThat(store.update(ghost, 1)).isFalse();
    assertThat(store.find("ghost")).isEmpty();
    assertThat(store.list(all(10)).transactions()).isEmpty();
    assertThat(store.claimDue(T0.plus(Duration.ofDays(1)), 10, "c", T0.plus(Duration.ofDays(2)))).isEmpty();
  }

  @Test
  void updateWhoseNextVersionIsNotExpectedPlusOneIsRefused() {
    Transaction stored = insert(saga("bad-version"));
    assertThatThrownBy(() -> store.update(stored.withReason("x").withVersion(stored.version()), stored.version()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.update(stored.withReason("x").withVersion(stored.version() + 2), stored.version()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(found("bad-version")).isEqualTo(stored);
  }

  @Test
  void aChainOfUpdatesEachSeesThePrevious() {
    Transaction current = insert(saga("chain"));
    for (int i = 0; i < 30; i++) {
      current = update(current, current.withSchedule(T0.plusSeconds(i), Duration.ofMillis(i), i, "o" + i));
      assertThat(found("chain")).isEqualTo(current);
    }
    assertThat(found("chain").version()).isEqualTo(31);
  }

  // ----------------------------------------------------------------------------------------------- concurrency

  @Test
  @Timeout(120)
  void racingUpdatesFromTheSameVersionHaveExactlyOneWinner() throws Exception {
    Transaction current = insert(saga("race"));
    for (int round = 0; round < 20; round++) {
      Transaction base = current;
      List<Boolean> won = race(16, i -> store.update(
          base.withSchedule(base.nextWake(), base.retryInterval(), base.failures(), "writer-" + i)
              .withVersion(base.version() + 1), base.version()));

      assertThat(won).as("round %d", round).containsOnlyOnce(true);
      int winner = won.indexOf(true);
      Transaction stored = found("race");
      assertThat(stored.owner()).isEqualTo("writer-" + winner);
      assertThat(stored.version()).isEqualTo(base.version() + 1);
      current = stored;
    }
  }

  @Test
  @Timeout(120)
  void racingInsertsOfTheSameGidHaveExactlyOneWinner() throws Exception {
    for (int round = 0; round < 20; round++) {
      String gid = "insert-race-" + round;
      List<InsertResult> results = race(16, i -> store.insert(saga(gid).withSchedule(null, null, 0, "inserter-" + i)));

      List<InsertResult> winners = results.stream().filter(InsertResult::inserted).toList();
      assertThat(winners).as("round %d", round).hasSize(1);
      Transaction stored = winners.get(0).stored();
      assertThat(results).allSatisfy(r -> assertThat(r.stored()).isEqualTo(stored));
      assertThat(found(gid)).isEqualTo(stored);
    }
  }

  @Test
  @Timeout(120)
  void concurrentInsertsOfDistinctGidsGetDistinctIds() throws Exception {
    List<List<Transaction>> perThread = race(16, i -> {
      List<Transaction> mine = new ArrayList<>();
      for (int k = 0; k < 50; k++) {
        mine.add(store.insert(sparse("t" + i + "-" + k)).stored());
      }
      return mine;
    });

    Set<Long> ids = new HashSet<>();
    for (List<Transaction> mine : perThread) {
      assertThat(ids(mine)).as("one thread's ids increase").isSorted().doesNotHaveDuplicates();
      ids.addAll(ids(mine));
    }
    assertThat(ids).hasSize(16 * 50).allMatch(id -> id > 0);
    List<Transaction> listed = listAllPages(all(64));
    assertThat(listed).hasSize(16 * 50);
    assertThat(ids(listed)).isSortedAccordingTo(Comparator.reverseOrder());
  }

  // -------------------------------------------------------------------------------------------------- claimDue

  @Test
  void claimReturnsOnlyDueNonFinalTransactionsEarliestFirst() {
    insert(due("later", T0.plusMillis(1)));
    insert(due("due-now", T0));
    insert(due("due-3s-ago", T0.minusSeconds(3)));
    insert(due("never-scheduled", null));
    insert(due("due-1s-ago", T0.minusSeconds(1)));
    insert(finished("final", T0.minusSeconds(9)).withSchedule(T0.minusSeconds(10), null, 0, ""));
    insert(everyFieldSet("final-full"));

    List<Transaction> claimed = store.claimDue(T0, 10, "me", T0.plusSeconds(30));

    assertThat(gids(claimed)).containsExactly("due-3s-ago", "due-1s-ago", "due-now");
  }

  @Test
  void claimTakesAtMostLimitEarliestFirst() {
    for (int i = 0; i < 5; i++) {
      insert(due("d" + i, T0.minusSeconds(10 - i)));
    }
    Instant lease = T0.plusSeconds(30);
    assertThat(gids(store.claimDue(T0, 2, "me", lease))).containsExactly("d0", "d1");
    assertThat(gids(store.claimDue(T0, 2, "me", lease))).containsExactly("d2", "d3");
    assertThat(gids(store.claimDue(T0, 2, "me", lease))).containsExactly("d4");
    assertThat(store.claimDue(T0, 2, "me", lease)).isEmpty();
  }

  @Test
  void claimWithLimitZeroClaimsNothing() {
    Transaction t = insert(due("z", T0.minusSeconds(1)));
    assertThat(store.claimDue(T0, 0, "me", T0.plusSeconds(30))).isEmpty();
    assertThat(found("z")).isEqualTo(t);
  }

  @Test
  void aClaimedTransactionIsRewrittenWithOwnerLeaseAndNextVersion() {
    Transaction t = insert(due("c", T0.minusSeconds(1)));
    Instant lease = T0.plusSeconds(30);

    List<Transaction> claimed = store.claimDue(T0, 10, "coordinator-7", lease);

    Transaction expected = t.withSchedule(lease, t.retryInterval(), t.failures(), "coordinator-7")
        .withVersion(t.version() + 1);
    assertThat(claimed).containsExactly(expected);
    assertThat(found("c")).isEqualTo(expected);
    assertThat(found("c")).usingRecursiveComparison(BYTES_BY_CONTENT).isEqualTo(expected);
  }

  @Test
  void aClaimIsExclusiveUntilItsLeasePassesThenDueAgain() {
    insert(due("leased", T0.minusSeconds(1)));
    Instant lease = T0.plusSeconds(30);
    assertThat(store.claimDue(T0, 10, "first", lease)).hasSize(1);

    assertThat(store.claimDue(T0, 10, "second", T0.plusSeconds(60))).isEmpty();
    assertThat(store.claimDue(lease.minusMillis(1), 10, "second", T0.plusSeconds(60))).isEmpty();

    List<Transaction> again = store.claimDue(lease, 10, "second", T0.plusSeconds(60));
    assertThat(again).hasSize(1);
    assertThat(again.get(0).owner()).isEqualTo("second");
    assertThat(again.get(0).nextWake()).isEqualTo(T0.plusSeconds(60));
    assertThat(again.get(0).version()).isEqualTo(3);
    assertThat(found("leased")).isEqualTo(again.get(0));
  }

  @Test
  void finalAndUnscheduledTransactionsAreNeverClaimed() {
    insert(due("unscheduled", null));
    insert(finished("succeeded", T0).withSchedule(T0.minusSeconds(5), null, 0, ""));
    insert(inStatus("failed", TransType.MSG, GlobalStatus.FAILED, T0, T0).withSchedule(Instant.EPOCH, null, 0, ""));
    insert(everyFieldSet("far-future-wake"));

    Instant farFuture = Instant.parse("9999-12-31T23:59:59.999Z");
    assertThat(store.claimDue(farFuture, 100, "me", farFuture)).isEmpty();
  }

  @Test
  void aClaimedTransactionCarriesItsLatestUpdate() {
    Transaction t = insert(due("latest", T0.plusSeconds(100)));
    Transaction updated = update(t, t.withReason("changed").withSchedule(T0.minusSeconds(1), Duration.ofSeconds(4), 3,
        "someone"));
    List<Transaction> claimed = store.claimDue(T0, 10, "me", T0.plusSeconds(5));
    assertThat(claimed).containsExactly(
        updated.withSchedule(T0.plusSeconds(5), Duration.ofSeconds(4), 3, "me").withVersion(updated.version() + 1));
  }

  @Test
  @Timeout(120)
  void racingClaimersGetDisjointSetsCoveringEveryDueTransaction() throws Exception {
    for (int i = 0; i < 200; i++) {
      insert(due("due-" + i, T0.minusMillis(200 - i % 37)));
    }
    insert(due("not-due", T0.plusSeconds(1)));
    Instant lease = T0.plusSeconds(600);
    Map<String, String> claimedBy = new ConcurrentHashMap<>();
    Set<String> duplicates = ConcurrentHashMap.newKeySet();

    List<Integer> counts = race(8, i -> {
      String token = i % 2 == 0 ? "A" : "B";
      int mine = 0;
      for (List<Transaction> got; !(got = store.claimDue(T0, 7, token, lease)).isEmpty(); ) {
        for (Transaction t : got) {
          assertThat(t.owner()).isEqualTo(token);
          if (claimedBy.putIfAbsent(t.gid(), token) != null) {
            duplicates.add(t.gid());
          }
          mine++;
        }
      }
      return mine;
    });

    assertThat(duplicates).isEmpty();
    assertThat(counts.stream().mapToInt(Integer::intValue).sum()).isEqualTo(200);
    assertThat(claimedBy.keySet())
        .containsExactlyInAnyOrderElementsOf(IntStream.range(0, 200).mapToObj(i -> "due-" + i).toList());
    claimedBy.forEach((gid, token) -> {
      Transaction stored = found(gid);
      assertThat(stored.owner()).isEqualTo(token);
      assertThat(stored.nextWake()).isEqualTo(lease);
      assertThat(stored.version()).isEqualTo(2);
    });
    assertThat(found("not-due").owner()).isEmpty();
  }

  // ------------------------------------------------------------------- claimDue follows nextWake through updates

  @Test
  void claimFollowsAWakeMovedLater() {
    Transaction t = insert(due("moved-later", T0.minusSeconds(1)));
    update(t, t.withSchedule(T0.plusSeconds(3600), t.retryInterval(), 1, ""));

    assertThat(store.claimDue(T0, 10, "me", T0.plusSeconds(30))).isEmpty();
    assertThat(gids(store.claimDue(T0.plusSeconds(3600), 10, "me", T0.plusSeconds(4000))))
        .containsExactly("moved-later");
  }

  @Test
  void claimFollowsAWakeMovedEarlier() {
    Transaction t = insert(due("moved-earlier", T0.plusSeconds(3600)));
    assertThat(store.claimDue(T0, 10, "me", T0.plusSeconds(30))).isEmpty();

    update(t, t.withSchedule(T0.minusSeconds(1), t.retryInterval(), 0, ""));

    assertThat(gids(store.claimDue(T0, 10, "me", T0.plusSeconds(30)))).containsExactly("moved-earlier");
  }

  @Test
  void claimFollowsAWakeCleared() {
    Transaction t = insert(due("cleared", T0.minusSeconds(1)));
    update(t, t.withSchedule(null, t.retryInterval(), 0, ""));
    assertThat(store.claimDue(T0.plusSeconds(3600), 10, "me", T0.plusSeconds(4000))).isEmpty();
  }

  @Test
  void aTransactionThatBecameFinalIsNoLongerClaimed() {
    Transaction a = insert(due("final-no-wake", T0.minusSeconds(2)));
    Transaction b = insert(due("final-with-wake", T0.minusSeconds(1)));
    update(a, a.transition(GlobalStatus.SUCCEED, T0, null).withSchedule(null, a.retryInterval(), 0, ""));
    update(b, b.transition(GlobalStatus.FAILED, T0, "stopped"));
    assertThat(found("final-with-wake").nextWake()).isNotNull();

    assertThat(store.claimDue(T0.plusSeconds(3600), 10, "me", T0.plusSeconds(4000))).isEmpty();
  }

  @Test
  void anOwnerRenewingOrReleasingItsLeaseMovesTheClaim() {
    insert(due("renewed", T0.minusSeconds(1)));
    Transaction claimed = store.claimDue(T0, 10, "owner", T0.plusSeconds(30)).get(0);

    // The owner renews its lease, then gives the transaction back for a retry in a minute.
    Transaction renewed = update(claimed, claimed.withSchedule(T0.plusSeconds(90), claimed.retryInterval(), 0, "owner"));
    assertThat(store.claimDue(T0.plusSeconds(30), 10, "thief", T0.plusSeconds(200))).isEmpty();
    update(renewed, renewed.withSchedule(T0.plusSeconds(60), Duration.ofSeconds(2), 1, ""));

    assertThat(store.claimDue(T0.plusSeconds(59), 10, "next", T0.plusSeconds(200))).isEmpty();
    assertThat(gids(store.claimDue(T0.plusSeconds(60), 10, "next", T0.plusSeconds(200)))).containsExactly("renewed");
  }

  // ------------------------------------------------------------------------------------------------------ list

  @Test
  void listIsNewestFirst() {
    List<Transaction> inserted = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      inserted.add(insert(i % 3 == 0 ? sparse("l" + i) : saga("l" + i)));
    }
    Collections.reverse(inserted);
    Page page = store.list(all(100));
    assertThat(page.transactions()).containsExactlyElementsOf(inserted);
    assertThat(page.nextBeforeId()).isZero();
  }

  @Test
  void listOfAnEmptyStoreIsAnEmptyLastPage() {
    Page page = store.list(all(10));
    assertThat(page.transactions()).isEmpty();
    assertThat(page.nextBeforeId()).isZero();
  }

  @Test
  void listPagesWithoutGapsOrDuplicates() {
    List<Transaction> inserted = new ArrayList<>();
    for (int i = 0; i < 23; i++) {
      inserted.add(insert(sparse("p" + i)));
    }
    Collections.reverse(inserted);

    for (int limit : new int[] {1, 5, 22, 23, 24}) {
      List<Transaction> listed = listAllPages(all(limit));
      assertThat(listed).as("limit %d", limit).containsExactlyElementsOf(inserted);
    }
  }

  @Test
  void aPageExactlyFullOfTheLastRowsSaysItIsTheLast() {
    for (int i = 0; i < 4; i++) {
      insert(sparse("x" + i));
    }
    Page page = store.list(all(4));
    assertThat(page.transactions()).hasSize(4);
    assertThat(page.nextBeforeId()).isZero();
  }

  @Test
  void listStartsBeforeTheGivenId() {
    List<Transaction> inserted = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      inserted.add(insert(sparse("b" + i)));
    }
    long before = inserted.get(3).id();
    Page page = store.list(new ListQuery(null, before, 10, null, null, null, null));
    assertThat(page.transactions()).containsExactly(inserted.get(2), inserted.get(1), inserted.get(0));
    assertThat(page.nextBeforeId()).isZero();
  }

  @Test
  void listFiltersByGidStatusTypeAndCreationTime() {
    List<Transaction> inserted = new ArrayList<>();
    GlobalStatus[] statuses = {GlobalStatus.PREPARED, GlobalStatus.SUBMITTED, GlobalStatus.ABORTING,
        GlobalStatus.SUCCEED, GlobalStatus.FAILED};
    TransType[] types = {TransType.SAGA, TransType.MSG, TransType.TCC};
    for (int i = 0; i < 30; i++) {
      GlobalStatus status = statuses[i % statuses.length];
      inserted.add(insert(inStatus("f" + i, types[i % types.length], status, T0.plusSeconds(i),
          status.isFinal() ? T0.plusSeconds(i + 1) : null)));
    }
    List<Transaction> newestFirst = new ArrayList<>(inserted);
    Collections.reverse(newestFirst);

    List<ListQuery> queries = List.of(
        new ListQuery("f7", 0, 3, null, null, null, null),
        new ListQuery("f7", 0, 3, GlobalStatus.PREPARED, null, null, null),
        new ListQuery("nope", 0, 3, null, null, null, null),
        new ListQuery(null, 0, 4, GlobalStatus.SUCCEED, null, null, null),
        new ListQuery(null, 0, 4, null, TransType.MSG, null, null),
        new ListQuery(null, 0, 4, null, TransType.XA, null, null),
        new ListQuery(null, 0, 4, null, null, T0.plusSeconds(10), null),
        new ListQuery(null, 0, 4, null, null, null, T0.plusSeconds(10)),
        new ListQuery(null, 0, 2, null, null, T0.plusSeconds(10), T0.plusSeconds(19)),
        new ListQuery(null, 0, 2, GlobalStatus.SUBMITTED, TransType.TCC, T0.plusSeconds(3), T0.plusSeconds(28)),
        new ListQuery(null, inserted.get(20).id(), 3, GlobalStatus.FAILED, null, null, null));
    for (ListQuery q : queries) {
      List<Transaction> expected = newestFirst.stream().filter(q::matches).toList();
      assertThat(listAllPages(q)).as("%s", q).containsExactlyElementsOf(expected);
    }

    // Spot checks that do not lean on ListQuery.matches: creation bounds are inclusive.
    assertThat(gids(listAllPages(new ListQuery(null, 0, 50, null, null, T0.plusSeconds(10), T0.plusSeconds(12)))))
        .containsExactly("f12", "f11", "f10");
    assertThat(gids(listAllPages(new ListQuery(null, 0, 50, GlobalStatus.ABORTING, TransType.SAGA, null, null))))
        .containsExactly("f27", "f12");
    assertThat(gids(listAllPages(new ListQuery("f7", 0, 50, null, null, null, null)))).containsExactly("f7");
  }

  @Test
  void listShowsTheLatestVersion() {
    Transaction t = insert(saga("latest-listed"));
    Transaction next = update(t, t.transition(GlobalStatus.SUCCEED, T0.plusSeconds(1), null));
    assertThat(store.list(all(10)).transactions()).containsExactly(next);
    assertThat(store.list(new ListQuery(null, 0, 10, GlobalStatus.SUBMITTED, null, null, null)).transactions())
        .isEmpty();
    assertThat(store.list(new ListQuery(null, 0, 10, GlobalStatus.SUCCEED, null, null, null)).transactions())
        .containsExactly(next);
  }

  @Test
  void aListLimitBelowOneIsRefused() {
    insert(saga("any"));
    assertThatThrownBy(() -> store.list(all(0))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.list(all(-1))).isInstanceOf(IllegalArgumentException.class);
  }

  // ----------------------------------------------------------------------------------------------------- purge

  @Test
  void purgeDeletesOnlyFinalTransactionsFinishedBeforeTheCutoff() {
    insert(finished("old-2h", T0.minusSeconds(7200)));
    insert(inStatus("old-failed-1h", TransType.MSG, GlobalStatus.FAILED, T0, T0.minusSeconds(3600)));
    insert(finished("at-cutoff", T0));
    insert(finished("after-cutoff", T0.plusSeconds(3600)));
    insert(inStatus("final-without-finish-time", TransType.SAGA, GlobalStatus.SUCCEED, T0, null));
    insert(inStatus("running-with-finish-time", TransType.SAGA, GlobalStatus.ABORTING, T0, T0.minusSeconds(7200)));
    insert(due("running", T0.minusSeconds(7200)));

    assertThat(store.purgeFinished(T0, 100)).isEqualTo(2);

    assertThat(store.find("old-2h")).isEmpty();
    assertThat(store.find("old-failed-1h")).isEmpty();
    assertThat(gids(listAllPages(all(100)))).containsExactly("running", "running-with-finish-time",
        "final-without-finish-time", "after-cutoff", "at-cutoff");
    assertThat(store.purgeFinished(T0, 100)).isZero();
  }

  @Test
  void purgeTakesAtMostLimitAndCountsWhatItDeleted() {
    for (int i = 0; i < 10; i++) {
      insert(finished("done-" + i, T0.minusSeconds(100 + i)));
    }
    insert(finished("recent", T0.plusSeconds(1)));

    assertThat(store.purgeFinished(T0, 0)).isZero();
    assertThat(store.purgeFinished(T0, 3)).isEqualTo(3);
    assertThat(store.purgeFinished(T0, 3)).isEqualTo(3);
    assertThat(listAllPages(all(100))).hasSize(5);
    assertThat(store.purgeFinished(T0, 3)).isEqualTo(3);
    assertThat(store.purgeFinished(T0, 3)).isEqualTo(1);
    assertThat(store.purgeFinished(T0, 3)).isZero();
    assertThat(gids(listAllPages(all(100)))).containsExactly("recent");
  }

  @Test
  void purgedTransactionsAreGoneFromFindListAndClaim() {
    Transaction running = insert(due("running", T0.minusSeconds(5)));
    Transaction done = insert(due("done", T0.minusSeconds(6)));
    update(done, done.transition(GlobalStatus.SUCCEED, T0.minusSeconds(4), null));

    assertThat(store.purgeFinished(T0, 10)).isEqualTo(1);

    assertThat(store.find("done")).isEmpty();
    assertThat(store.list(all(10)).transactions()).containsExactly(running);
    assertThat(store.list(new ListQuery("done", 0, 10, null, null, null, null)).transactions()).isEmpty();
    assertThat(gids(store.claimDue(T0, 10, "me", T0.plusSeconds(30)))).containsExactly("running");
  }

  @Test
  void aPurgedGidCanBeInsertedAgainWithANewerId() {
    Transaction old = insert(finished("reused", T0.minusSeconds(10)));
    Transaction other = insert(saga("other"));
    assertThat(store.purgeFinished(T0, 10)).isEqualTo(1);

    Transaction again = insert(sparse("reused"));

    assertThat(again.id()).isGreaterThan(other.id()).isGreaterThan(old.id());
    assertThat(found("reused")).isEqualTo(again);
    assertThat(listAllPages(all(1))).containsExactly(again, other);
  }

  @Test
  void purgeFollowsTransactionsThatBecameFinalThroughUpdates() {
    Transaction t = insert(due("finishing", T0.minusSeconds(60)));
    assertThat(store.purgeFinished(T0, 10)).isZero();
    Transaction done = update(t, t.transition(GlobalStatus.FAILED, T0.minusSeconds(30), "stopped")
       .withSchedule(null, t.retryInterval(), 0, ""));
    assertThat(done.finishTime()).isEqualTo(T0.minusSeconds(30));

    assertThat(store.purgeFinished(T0.minusSeconds(30), 10)).as("strictly before the cutoff").isZero();
    assertThat(store.purgeFinished(T0.minusSeconds(30).plusMillis(1), 10)).isEqualTo(1);
    assertThat(store.find("finishing")).isEmpty();
  }

  // ----------------------------------------------------------------------------------------------- wakingAfter

  @Test
  void wakingAfterReturnsNonFinalTransactionsWakingStrictlyAfterEarliestFirst() {
    insert(due("after-1h", T0.plusSeconds(3600)));
    insert(due("at", T0));
    insert(due("after-1ms", T0.plusMillis(1)));
    insert(due("before", T0.minusSeconds(1)));
    insert(due("never-scheduled", null));
    insert(due("after-1s", T0.plusSeconds(1)));
    insert(finished("final", T0.minusSeconds(9)).withSchedule(T0.plusSeconds(10), null, 0, ""));
    insert(everyFieldSet("final-far-future-wake"));

    List<Transaction> waking = store.wakingAfter(T0, 100);

    assertThat(gids(waking)).containsExactly("after-1ms", "after-1s", "after-1h");
    assertThat(waking).allSatisfy(t -> assertThat(t).isEqualTo(found(t.gid())));
    assertThat(gids(store.wakingAfter(T0.minusMillis(1), 100))).containsExactly("at", "after-1ms", "after-1s",
        "after-1h");
    assertThat(store.wakingAfter(T0.plusSeconds(3600), 100)).isEmpty();
  }

  @Test
  void wakingAfterTakesAtMostLimitAndPagesByWakeTime() {
    for (int i = 0; i < 5; i++) {
      insert(due("w" + i, T0.plusSeconds(10 + i)));
    }
    assertThat(store.wakingAfter(T0, 0)).isEmpty();
    List<Transaction> first = store.wakingAfter(T0, 2);
    assertThat(gids(first)).containsExactly("w0", "w1");
    assertThat(gids(store.wakingAfter(first.get(1).nextWake(), 2))).containsExactly("w2", "w3");
    assertThat(gids(store.wakingAfter(T0.plusSeconds(13), 2))).containsExactly("w4");
  }

  @Test
  void wakingAfterFollowsUpdatesAndChangesNothing() {
    Transaction later = insert(due("moved-later", T0.minusSeconds(1)));
    Transaction cleared = insert(due("cleared", T0.plusSeconds(5)));
    Transaction finishing = insert(due("finishing", T0.plusSeconds(6)));
    Transaction unchanged = insert(due("unchanged", T0.plusSeconds(7)));
    Transaction movedLater = update(later, later.withSchedule(T0.plusSeconds(8), later.retryInterval(), 1, ""));
    update(cleared, cleared.withSchedule(null, cleared.retryInterval(), 0, ""));
    update(finishing, finishing.transition(GlobalStatus.FAILED, T0, "stopped"));

    assertThat(store.wakingAfter(T0, 10)).containsExactly(unchanged, movedLater);
    assertThat(store.wakingAfter(T0, 10)).as("read-only: asking again gives the same").containsExactly(unchanged,
        movedLater);
    assertThat(found("unchanged")).isEqualTo(unchanged);
    assertThat(gids(store.claimDue(T0.plusSeconds(8), 10, "me", T0.plusSeconds(60))))
        .containsExactly("unchanged", "moved-later");
  }

  // ------------------------------------------------------------------------------------------ key-value entries

  /** A new entry (version 1) of {@code category}, created at T0. */
  protected static KvEntry kv(String category, String key, String value) {
    return new KvEntry(0, category, key, value, 1, T0, T0);
  }

  /** {@code e} replaced: the next version, a new value, updated {@code millis} after T0. */
  private static KvEntry next(KvEntry e, String value, long millis) {
    return new KvEntry(e.id(), e.category(), e.key(), value, e.version() + 1, e.createTime(), T0.plusMillis(millis));
  }

  private KvEntry kvFound(String category, String key) {
    return store.kvFind(category, key).orElseThrow(() -> new AssertionError("no entry " + category + "/" + key));
  }

  private static List<String> keys(List<KvEntry> entries) {
    return entries.stream().map(KvEntry::key).toList();
  }

  @Test
  void kvCreateStoresTheEntryWithANewIdAndKeepsTheRest() {
    KvEntry e = new KvEntry(0, "topics", "orders", "[{\"url\":\"http://svc/hook\"}] \u00e9\u4e2d\uD83D\uDE00", 1, T0,
        T0.plusMillis(1));

    assertThat(store.kvPut(e, 0)).isTrue();

    KvEntry stored = kvFound("topics", "orders");
    assertThat(stored.id()).isPositive();
    assertThat(stored).isEqualTo(new KvEntry(stored.id(), "topics", "orders", e.value(), 1, T0, T0.plusMillis(1)));
    assertThat(store.list(all(10)).transactions()).as("entries are not transactions").isEmpty();
  }

  @Test
  void kvCreatingATakenKeyFailsAndChangesNothing() {
    assertThat(store.kvPut(kv("topics", "t", "first"), 0)).isTrue();
    KvEntry first = kvFound("topics", "t");

    assertThat(store.kvPut(new KvEntry(99, "topics", "t", "second", 1, T0.plusSeconds(1), T0.plusSeconds(1)), 0))
        .isFalse();

    assertThat(kvFound("topics", "t")).isEqualTo(first);
    assertThat(store.kvScan("topics", "", 10)).containsExactly(first);
  }

  @Test
  void kvReplaceWithTheStoredVersionKeepsIdAndCreateTime() {
    store.kvPut(kv("topics", "t", "v1"), 0);
    KvEntry v1 = kvFound("topics", "t");
    // The caller's copy claims another id and create time: the store keeps its own.
    KvEntry changed = new KvEntry(v1.id() + 1000, "topics", "t", "v2", 2, T0.plusSeconds(99), T0.plusSeconds(5));

    assertThat(store.kvPut(changed, 1)).isTrue();

    assertThat(kvFound("topics", "t")).isEqualTo(new KvEntry(v1.id(), "topics", "t", "v2", 2, T0, T0.plusSeconds(5)));
    assertThat(store.kvPut(next(kvFound("topics", "t"), "v3", 6), 2)).isTrue();
    assertThat(kvFound("topics", "t").version()).isEqualTo(3);
    assertThat(kvFound("topics", "t").id()).isEqualTo(v1.id());
  }

  @Test
  void kvReplaceFromAWrongVersionFailsAndChangesNothing() {
    store.kvPut(kv("topics", "t", "v1"), 0);
    store.kvPut(next(kvFound("topics", "t"), "v2", 1), 1);
    KvEntry v2 = kvFound("topics", "t");

    assertThat(store.kvPut(new KvEntry(0, "topics", "t", "stale", 2, T0, T0), 1)).as("stale").isFalse();
    assertThat(store.kvPut(new KvEntry(0, "topics", "t", "future", 4, T0, T0), 3)).as("too new").isFalse();
    assertThat(kvFound("topics", "t")).isEqualTo(v2);

    assertThat(store.kvPut(new KvEntry(0, "topics", "missing", "x", 2, T0, T0), 1)).as("missing").isFalse();
    assertThat(store.kvFind("topics", "missing")).isEmpty();
  }

  @Test
  void kvPutWithInconsistentVersionsIsRefused() {
    store.kvPut(kv("topics", "t", "v1"), 0);
    KvEntry v1 = kvFound("topics", "t");
    KvEntry v3 = new KvEntry(0, "topics", "t", "x", 3, T0, T0);
    assertThatThrownBy(() -> store.kvPut(v3, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.kvPut(new KvEntry(0, "topics", "t", "x", 1, T0, T0), 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.kvPut(new KvEntry(0, "topics", "new", "x", 0, T0, T0), 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.kvPut(new KvEntry(0, "topics", "new", "x", 0, T0, T0), -1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(kvFound("topics", "t")).isEqualTo(v1);
    assertThat(store.kvFind("topics", "new")).isEmpty();
  }

  @Test
  void kvIdsIncreaseAcrossCategoriesAndAreNeverReused() {
    long previous = 0;
    String[] categories = {"b", "a", "topics", "a", "b"};
    for (int i = 0; i < categories.length; i++) {
      assertThat(store.kvPut(kv(categories[i], "k" + i, "v"), 0)).isTrue();
      long id = kvFound(categories[i], "k" + i).id();
      assertThat(id).as("id of create %d", i).isGreaterThan(previous);
      previous = id;
    }
    assertThat(store.kvPut(kv("a", "k3", "taken"), 0)).isFalse();
    assertThat(store.kvDelete("b", "k4", 1)).isTrue();

    assertThat(store.kvPut(kv("b", "k4", "again"), 0)).isTrue();
    assertThat(kvFound("b", "k4").id()).as("after a refused create and a delete of the newest").isGreaterThan(previous);
  }

  @Test
  void kvDeleteNeedsTheStoredVersion() {
    store.kvPut(kv("topics", "t", "v1"), 0);
    store.kvPut(next(kvFound("topics", "t"), "v2", 1), 1);
    KvEntry v2 = kvFound("topics", "t");

    assertThat(store.kvDelete("topics", "t", 1)).isFalse();
    assertThat(store.kvDelete("topics", "t", 3)).isFalse();
    assertThat(store.kvDelete("other", "t", 2)).isFalse();
    assertThat(store.kvDelete("topics", "missing", 1)).isFalse();
    assertThat(kvFound("topics", "t")).isEqualTo(v2);

    assertThat(store.kvDelete("topics", "t", 2)).isTrue();
    assertThat(store.kvFind("topics", "t")).isEmpty();
    assertThat(store.kvScan("topics", "", 10)).isEmpty();
    assertThat(store.kvDelete("topics", "t", 2)).as("already gone").isFalse();
  }

  @Test
  void aDeletedKeyCanBeCreatedAgainAsANewEntry() {
    store.kvPut(kv("topics", "t", "v1"), 0);
    KvEntry old = kvFound("topics", "t");
    store.kvPut(next(old, "v2", 1), 1);
    assertThat(store.kvDelete("topics", "t", 2)).isTrue();

    assertThat(store.kvPut(new KvEntry(0, "topics", "t", "reborn", 1, T0.plusSeconds(9), T0.plusSeconds(9)), 0))
        .isTrue();

    KvEntry reborn = kvFound("topics", "t");
    assertThat(reborn.id()).isGreaterThan(old.id());
    assertThat(reborn).isEqualTo(new KvEntry(reborn.id(), "topics", "t", "reborn", 1, T0.plusSeconds(9),
        T0.plusSeconds(9)));
    assertThat(store.kvPut(new KvEntry(0, "topics", "t", "from the old life", 3, T0, T0), 2)).isFalse();
  }

  @Test
  void kvFindMatchesCategoryAndKeyExactly() {
    store.kvPut(kv("topics", "key", "v"), 0);
    assertThat(store.kvFind("topics", "key")).isPresent();
    assertThat(store.kvFind("topics", "ke")).isEmpty();
    assertThat(store.kvFind("topics", "key ")).isEmpty();
    assertThat(store.kvFind("topic", "key")).isEmpty();
    assertThat(store.kvFind("topicskey", "")).isEmpty();
    assertThat(store.kvFind("other", "key")).isEmpty();
  }

  @Test
  void kvScanIsInKeyOrderAfterTheGivenKeyWithinOneCategory() {
    // "a" is a prefix of "ab", and "ab" of "abc": their entries must not leak into each other's scans.
    for (String key : List.of("k2", "k10", "K", "k1", "k3", "k1a")) {
      store.kvPut(kv("a", key, "a:" + key), 0);
    }
    store.kvPut(kv("ab", "k0", "ab:k0"), 0);
    store.kvPut(kv("ab", "k9", "ab:k9"), 0);
    store.kvPut(kv("abc", "k0", "abc:k0"), 0);
    store.kvPut(kv("", "k5", ":k5"), 0);
    store.kvPut(kv("b", "a", "b:a"), 0);

    assertThat(keys(store.kvScan("a", "", 100))).containsExactly("K", "k1", "k10", "k1a", "k2", "k3");
    assertThat(store.kvScan("a", "", 100)).allSatisfy(e -> {
      assertThat(e.category()).isEqualTo("a");
      assertThat(e.value()).isEqualTo("a:" + e.key());
      assertThat(e).isEqualTo(kvFound("a", e.key()));
    });
    assertThat(keys(store.kvScan("ab", "", 100))).containsExactly("k0", "k9");
    assertThat(keys(store.kvScan("", "", 100))).containsExactly("k5");
    assertThat(store.kvScan("abc", "", 100)).extracting(KvEntry::value).containsExactly("abc:k0");
    assertThat(kvFound("ab", "k0").value()).isEqualTo("ab:k0");
    assertThat(store.kvScan("nope", "", 100)).isEmpty();

    assertThat(keys(store.kvScan("a", "k1", 100))).as("exclusive").containsExactly("k10", "k1a", "k2", "k3");
    assertThat(keys(store.kvScan("a", "k15", 100))).as("from a missing key").containsExactly("k1a", "k2", "k3");
    assertThat(keys(store.kvScan("a", "k3", 100))).isEmpty();
    assertThat(keys(store.kvScan("a", "", 2))).containsExactly("K", "k1");
    assertThat(store.kvScan("a", "", 0)).isEmpty();
  }

  @Test
  void kvScanPagesWithoutGapsOrDuplicates() {
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 23; i++) {
      String key = String.format("p%02d", (i * 7) % 23);
      store.kvPut(kv("paged", key, "v"), 0);
      expected.add(key);
    }
    Collections.sort(expected);
    for (int limit : new int[] {1, 5, 22, 23, 24}) {
      List<String> seen = new ArrayList<>();
      String after = "";
      for (List<KvEntry> page; !(page = store.kvScan("paged", after, limit)).isEmpty(); ) {
        assertThat(page.size()).isLessThanOrEqualTo(limit);
        seen.addAll(keys(page));
        after = page.get(page.size() - 1).key();
      }
      assertThat(seen).as("limit %d", limit).containsExactlyElementsOf(expected);
    }
  }

  @Test
  void kvScanOrderIsStringCompareToOrderForEveryCharacter() {
    // UTF-8 byte order puts a character outside the BMP (a surrogate pair in Java) after U+E000..U+FFFF, while
    // String.compareTo, which the port promises, puts it before them; a store comparing UTF-8 bytes gets this wrong.
    List<String> keys = new ArrayList<>(List.of("\uFFFF", "\uE000", "\uD83D\uDE00", "\uD7FF", "\u00e9", "z", "Z", "\u007F",
        "\u0080", "\u07FF", "\u0800", "a\uD83D\uDE00", "a\uFFFD", "a"));
    for (String key : keys) {
      store.kvPut(kv("chars", key, key), 0);
    }
    Collections.sort(keys);

    assertThat(keys(store.kvScan("chars", "", 100))).containsExactlyElementsOf(keys);
    assertThat(keys(store.kvScan("chars", "\uD83D\uDE00", 100))).containsExactly("\uE000", "\uFFFF");
    assertThat(store.kvScan("chars", "", 100)).allSatisfy(e -> assertThat(e.value()).isEqualTo(e.key()));
  }

  @Test
  @Timeout(120)
  void racingKvWritesFromTheSameVersionHaveExactlyOneWinner() throws Exception {
    List<Boolean> created = race(16, i -> store.kvPut(kv("race", "k", "creator-" + i), 0));
    assertThat(created).containsOnlyOnce(true);
    assertThat(kvFound("race", "k").value()).isEqualTo("creator-" + created.indexOf(true));

    for (int round = 0; round < 10; round++) {
      KvEntry base = kvFound("race", "k");
      List<Boolean> won = race(16, i -> store.kvPut(next(base, "writer-" + i, i), base.version()));
      assertThat(won).as("round %d", round).containsOnlyOnce(true);
      KvEntry stored = kvFound("race", "k");
      assertThat(stored.value()).isEqualTo("writer-" + won.indexOf(true));
      assertThat(stored.version()).isEqualTo(base.version() + 1);
      assertThat(stored.id()).isEqualTo(base.id());
    }
    KvEntry last = kvFound("race", "k");
    assertThat(race(16, i -> store.kvDelete("race", "k", last.version()))).containsOnlyOnce(true);
    assertThat(store.kvFind("race", "k")).isEmpty();
  }

  // ----------------------------------------------------------------------------------------------------- close

  @Test
  void closeIsIdempotent() {
    insert(saga("c"));
    store.close();
    store.close();
  }
}
