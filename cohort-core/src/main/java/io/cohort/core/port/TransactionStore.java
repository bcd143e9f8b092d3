package io.cohort.core.port;

import io.cohort.core.model.Transaction;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The store port. Every store (in-memory reference, embedded, and later JDBC and Redis) passes the one contract suite
 * in {@code cohort-store-tck}.
 *
 * <p>Rules every implementation keeps:
 *
 * <ul>
 *   <li><b>Durable before return.</b> When {@link #insert}, {@link #update} or {@link #claimDue} return, the write
 *       survives a crash of the process (and, for durable stores, of the machine).
 *   <li><b>Compare-and-set.</b> Every change of an existing transaction is conditional on its stored
 *       {@link Transaction#version()}; a write based on a stale copy changes nothing and reports it.
 *   <li><b>Whole aggregate.</b> A transaction and its branches are written together, atomically.
 *   <li><b>Blocking, virtual-thread friendly.</b> Methods block the caller until durable; a store must not hold a
 *       carrier thread pinned in native code while it waits for a disk sync.
 * </ul>
 */
public interface TransactionStore extends AutoCloseable {

  /**
   * Inserts {@code t} if no transaction with its gid exists. The store assigns {@link Transaction#id()} (increasing in
   * insertion order) and keeps {@link Transaction#version()} as given (the engine passes 1).
   *
   * @return the stored transaction with its id when inserted, or the existing one (unchanged) when the gid is taken
   */
  InsertResult insert(Transaction t);

  /**
   * Replaces the stored transaction with {@code next} if the stored version equals {@code expectedVersion}.
   * {@code next.version()} must be {@code expectedVersion + 1} and {@code next.id()} the stored id.
   *
   * @return true when written; false when the transaction is missing or its version differs (nothing changed)
   */
  boolean update(Transaction next, long expectedVersion);

  Optional<Transaction> find(String gid);

  /**
   * Claims up to {@code limit} transactions that are not final and whose {@code nextWake <= now}, earliest first.
   * Each claimed transaction is atomically rewritten with {@code owner = ownerToken}, {@code nextWake = leaseUntil}
   * and its version incremented, so no other claimer gets it before the lease passes.
   *
   * @return the claimed transactions as stored after the claim
   */
  List<Transaction> claimDue(Instant now, int limit, String ownerToken, Instant leaseUntil);

  /** Lists transactions newest first (descending id), filtered; see {@link ListQuery}. */
  Page list(ListQuery query);

  /**
   * Deletes up to {@code limit} final transactions whose finish time is before {@code finishedBefore}.
   *
   * @return how many were deleted
   */
  int purgeFinished(Instant finishedBefore, int limit);

  /**
   * Non-final transactions whose {@code nextWake} is after {@code after}, earliest wake first, at most {@code limit}
   * (the operator's bulk reset after an outage: {@code resetCronTime}). Read-only.
   */
  List<Transaction> wakingAfter(Instant after, int limit);

  /**
   * The {@link #claimDue} argument rule every store applies: nulls and a negative limit are caller bugs.
   *
   * @return whether there is anything to claim (the limit is above 0)
   */
  static boolean checkClaim(Instant now, int limit, String ownerToken, Instant leaseUntil) {
    java.util.Objects.requireNonNull(now, "now");
    java.util.Objects.requireNonNull(ownerToken, "ownerToken");
    java.util.Objects.requireNonNull(leaseUntil, "leaseUntil");
    return checkLimit("claim limit", limit);
  }

  /**
   * A limit of {@link #claimDue}, {@link #purgeFinished} or {@link #wakingAfter}: negative is a caller bug, named by
   * {@code what}.
   *
   * @return whether there is anything to do (the limit is above 0)
   */
  static boolean checkLimit(String what, int limit) {
    if (limit < 0) {
      throw new IllegalArgumentException(what + " must not be negative, got " + limit);
    }
    return limit > 0;
  }

  /** The {@link #purgeFinished} rule for stores that hold everything in memory: the gids to delete. */
  static List<String> selectPurgeable(java.util.Collection<Transaction> all, Instant finishedBefore, int limit) {
    return all.stream()
        .filter(t -> t.isFinal() && t.finishTime() != null && t.finishTime().isBefore(finishedBefore))
        .limit(limit)
        .map(Transaction::gid)
        .toList();
  }

  /** The {@link #wakingAfter} rule for stores that hold everything in memory (ties broken by id). */
  static List<Transaction> selectWakingAfter(java.util.Collection<Transaction> all, Instant after, int limit) {
    java.util.Objects.requireNonNull(after, "after");
    return all.stream()
        .filter(t -> !t.isFinal() && t.nextWake() != null && t.nextWake().isAfter(after))
        .sorted(java.util.Comparator.comparing(Transaction::nextWake).thenComparing(Transaction::id))
        .limit(limit)
        .toList();
  }

  // ------------------------------------------------------------------ key-value entries (topics, admin data)

  /** The entry stored under ({@code category}, {@code key}), if any. */
  Optional<KvEntry> kvFind(String category, String key);

  /**
   * Entries of {@code category} whose key sorts after {@code afterKey} (by {@link String#compareTo}; {@code ""} = from
   * the first), in key order, at most {@code limit}.
   */
  List<KvEntry> kvScan(String category, String afterKey, int limit);

  /**
   * Creates or replaces an entry, compare-and-set on its version. {@code expectedVersion == 0} means "create: only if
   * absent"; the store then assigns {@link KvEntry#id()} (increasing) and keeps {@code entry.version()} (1). Otherwise
   * the stored entry must have {@code expectedVersion}; {@code entry.version()} must be {@code expectedVersion + 1} and
   * the store keeps the stored id and create time.
   *
   * @return true when written; false when the condition did not hold (nothing changed)
   */
  boolean kvPut(KvEntry entry, long expectedVersion);

  /** Deletes the entry if its stored version is {@code expectedVersion}; false (nothing changed) otherwise. */
  boolean kvDelete(String category, String key, long expectedVersion);

  @Override
  void close();

  /**
   * A key-value entry (DTM's {@code kv} table): topics live in category {@code topics}, one entry per topic, its value
   * the subscriber list as JSON.
   */
  record KvEntry(long id, String category, String key, String value, long version, Instant createTime,
      Instant updateTime) {
    public KvEntry {
      java.util.Objects.requireNonNull(category, "category");
      java.util.Objects.requireNonNull(key, "key");
      java.util.Objects.requireNonNull(value, "value");
    }
  }

  /** The result of {@link #insert}: {@code inserted} tells whether {@code stored} is the new or the existing one. */
  record InsertResult(boolean inserted, Transaction stored) {}

  /**
   * A listing filter. {@code beforeId} is exclusive (0 = start from the newest); the other filters are optional
   * ({@code null} = any).
   */
  record ListQuery(
      String gid,
      long beforeId,
      int limit,
      io.cohort.protocol.GlobalStatus status,
      io.cohort.protocol.TransType type,
      Instant createdFrom,
      Instant createdTo) {

    public boolean matches(Transaction t) {
      return (gid == null || gid.equals(t.gid()))
          && (beforeId <= 0 || t.id() < beforeId)
          && (status == null || status == t.status())
          && (type == null || type == t.type())
          && (createdFrom == null || !t.createTime().isBefore(createdFrom))
          && (createdTo == null || !t.createTime().isAfter(createdTo));
    }
  }

  /** A page of a listing; {@code nextBeforeId} is 0 at the end. */
  record Page(List<Transaction> transactions, long nextBeforeId) {

    /** The page {@code query} selects from {@code all}: the listing rule for stores that hold everything in memory. */
    public static Page select(java.util.Collection<Transaction> all, ListQuery query) {
      if (query.limit() < 1) {
        throw new IllegalArgumentException("list limit must be at least 1, got " + query.limit());
      }
      List<Transaction> rows = all.stream()
          .filter(query::matches)
          .sorted(java.util.Comparator.comparingLong(Transaction::id).reversed())
          .limit(query.limit() + 1L)
          .toList();
      return ofOverfetched(rows, query.limit());
    }

    /**
     * The page made of {@code rows}, the matches in listing order read up to {@code limit + 1}: one row more than the
     * page means there is a next page, starting below the last row kept.
     */
    public static Page ofOverfetched(List<Transaction> rows, int limit) {
      if (rows.size() > limit) {
        List<Transaction> page = List.copyOf(rows.subList(0, limit));
        return new Page(page, page.get(page.size() - 1).id());
      }
      return new Page(List.copyOf(rows), 0);
    }
  }
}
