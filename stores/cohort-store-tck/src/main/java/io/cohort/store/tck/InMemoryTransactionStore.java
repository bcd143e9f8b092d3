package io.cohort.store.tck;

import io.cohort.core.model.Transaction;
import io.cohort.core.port.TransactionStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The reference store: the contract, plainly, in memory, one lock. Not durable; for tests and the test kit.
 * Every other store must behave like this one under {@link TransactionStoreContract}.
 */
public final class InMemoryTransactionStore implements TransactionStore {
  private final Map<String, Transaction> byGid = new HashMap<>();
  private long lastId;

  @Override
  public synchronized InsertResult insert(Transaction t) {
    Transaction existing = byGid.get(t.gid());
    if (existing != null) {
      return new InsertResult(false, existing);
    }
    Transaction stored = t.withId(++lastId);
    byGid.put(t.gid(), stored);
    return new InsertResult(true, stored);
  }

  @Override
  public synchronized boolean update(Transaction next, long expectedVersion) {
    Transaction current = byGid.get(next.gid());
    if (current == null || current.version() != expectedVersion) {
      return false;
    }
    if (next.version() != expectedVersion + 1) {
      throw new IllegalArgumentException("next version must be " + (expectedVersion + 1) + ", got " + next.version());
    }
    byGid.put(next.gid(), next.withId(current.id()));
    return true;
  }

  @Override
  public synchronized Optional<Transaction> find(String gid) {
    return Optional.ofNullable(byGid.get(gid));
  }

  @Override
  public synchronized List<Transaction> claimDue(Instant now, int limit, String ownerToken, Instant leaseUntil) {
    List<Transaction> due = byGid.values().stream()
        .filter(t -> !t.isFinal() && t.nextWake() != null && !t.nextWake().isAfter(now))
        .sorted(Comparator.comparing(Transaction::nextWake).thenComparing(Transaction::id))
        .limit(limit)
        .toList();
    List<Transaction> claimed = new ArrayList<>(due.size());
    for (Transaction t : due) {
      Transaction c = t.withSchedule(leaseUntil, t.retryInterval(), t.failures(), ownerToken)
          .withVersion(t.version() + 1);
      byGid.put(t.gid(), c);
      claimed.add(c);
    }
    return claimed;
  }

  @Override
  public synchronized Page list(ListQuery q) {
    return Page.select(byGid.values(), q);
  }

  @Override
  public synchronized int purgeFinished(Instant finishedBefore, int limit) {
    List<String> gone = byGid.values().stream()
        .filter(t -> t.isFinal() && t.finishTime() != null && t.finishTime().isBefore(finishedBefore))
        .limit(limit)
        .map(Transaction::gid)
        .toList();
    gone.forEach(byGid::remove);
    return gone.size();
  }

  @Override
  public void close() {}
}
