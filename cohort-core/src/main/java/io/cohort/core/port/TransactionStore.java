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

  @Override
  void close();

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
      if (rows.size() > query.limit()) {
        List<Transaction> page = rows.subList(0, query.limit());
        return new Page(List.copyOf(page), page.get(page.size() - 1).id());
      }
      return new Page(rows, 0);
    }
  }
}
