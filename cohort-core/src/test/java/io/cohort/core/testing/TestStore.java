package io.cohort.core.testing;

import io.cohort.core.model.Transaction;
import io.cohort.core.port.TransactionStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A fake of the store port for core's own tests (core must not depend on {@code cohort-store-tck}): the shape of
 * {@code InMemoryTransactionStore}, plus two test switches.
 *
 * <ul>
 *   <li><b>Observers</b> see every durable change as (before, after); {@code before} is {@code null} for an insert.
 *       {@link TransitionRecorder} uses this to learn which status transitions were really written.
 *   <li><b>Faults</b> run before and after every write and may throw {@link SimulatedCrash}: before = the write never
 *       happened; after = the write is durable but the caller never learns it. This is how simulations crash.
 * </ul>
 */
public final class TestStore implements TransactionStore {

  /** Sees every durable change. Must not call back into the store's writes. */
  public interface Observer {
    void changed(Transaction before, Transaction after);
  }

  /** Fault switch around each write; {@code op} is insert, update or claim. May throw {@link SimulatedCrash}. */
  public interface Faults {
    Faults NONE = new Faults() {};

    default void beforeWrite(String op, Transaction next) {}

    default void afterWrite(String op, Transaction written) {}
  }

  private final Map<String, Transaction> byGid = new LinkedHashMap<>();
  private final List<Observer> observers = new CopyOnWriteArrayList<>();
  private volatile Faults faults = Faults.NONE;
  private long lastId;
  private int writes;

  public TestStore observe(Observer o) {
    observers.add(o);
    return this;
  }

  public TestStore faults(Faults f) {
    this.faults = f;
    return this;
  }

  @Override
  public InsertResult insert(Transaction t) {
    Transaction stored;
    synchronized (this) {
      Transaction existing = byGid.get(t.gid());
      if (existing != null) {
        return new InsertResult(false, existing);
      }
      faults.beforeWrite("insert", t);
      stored = t.withId(++lastId);
      byGid.put(t.gid(), stored);
      writes++;
    }
    notify(null, stored);
    faults.afterWrite("insert", stored);
    return new InsertResult(true, stored);
  }

  @Override
  public boolean update(Transaction next, long expectedVersion) {
    Transaction before;
    Transaction stored;
    synchronized (this) {
      before = byGid.get(next.gid());
      if (before == null || before.version() != expectedVersion) {
        return false;
      }
      if (next.version() != expectedVersion + 1) {
        throw new IllegalArgumentException("next version must be " + (expectedVersion + 1) + ", got " + next.version());
      }
      faults.beforeWrite("update", next);
      stored = next.withId(before.id());
      byGid.put(next.gid(), stored);
      writes++;
    }
    notify(before, stored);
    faults.afterWrite("update", stored);
    return true;
  }

  @Override
  public synchronized Optional<Transaction> find(String gid) {
    return Optional.ofNullable(byGid.get(gid));
  }

  @Override
  public List<Transaction> claimDue(Instant now, int limit, String ownerToken, Instant leaseUntil) {
    List<Transaction[]> changes = new ArrayList<>();
    List<Transaction> claimed = new ArrayList<>();
    synchronized (this) {
      List<Transaction> due = byGid.values().stream()
          .filter(t -> !t.isFinal() && t.nextWake() != null && !t.nextWake().isAfter(now))
          .sorted(Comparator.comparing(Transaction::nextWake).thenComparing(Transaction::id))
          .limit(limit)
          .toList();
      for (Transaction t : due) {
        Transaction c = t.withSchedule(leaseUntil, t.retryInterval(), t.failures(), ownerToken)
            .withVersion(t.version() + 1);
        faults.beforeWrite("claim", c);
        byGid.put(t.gid(), c);
        writes++;
        claimed.add(c);
        changes.add(new Transaction[] {t, c});
      }
    }
    for (Transaction[] ch : changes) {
      notify(ch[0], ch[1]);
      faults.afterWrite("claim", ch[1]);
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

  /** How many transactions are stored. */
  public synchronized int size() {
    return byGid.size();
  }

  /** How many writes (inserts, updates, claims) succeeded; a refused command must leave this unchanged. */
  public synchronized int writes() {
    return writes;
  }

  public synchronized List<Transaction> all() {
    return List.copyOf(byGid.values());
  }

  /** The stored copy; fails the test when missing. */
  public Transaction get(String gid) {
    return find(gid).orElseThrow(() -> new AssertionError("no stored transaction " + gid));
  }

  @Override
  public void close() {}

  private void notify(Transaction before, Transaction after) {
    for (Observer o : observers) {
      o.changed(before, after);
    }
  }
}
