package io.cohort.core.testing;

import io.cohort.core.model.Transaction;
import io.cohort.core.port.TransactionStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
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
 *
 * <p>Key-value entries are plain: one sorted map, no observers, no faults (no engine test needs them yet), and they do
 * not count as {@link #writes()}.
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
  /** Key-value entries by (category, key); categories hold no {@code \0}, so this sorts by category, then key. */
  private final TreeMap<String, KvEntry> kv = new TreeMap<>();
  private long lastKvId;
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
    List<String> gone = TransactionStore.selectPurgeable(byGid.values(), finishedBefore, limit);
    gone.forEach(byGid::remove);
    return gone.size();
  }

  @Override
  public synchronized List<Transaction> wakingAfter(Instant after, int limit) {
    return TransactionStore.selectWakingAfter(byGid.values(), after, limit);
  }

  @Override
  public synchronized Optional<KvEntry> kvFind(String category, String key) {
    return Optional.ofNullable(kv.get(kvKey(category, key)));
  }

  @Override
  public synchronized List<KvEntry> kvScan(String category, String afterKey, int limit) {
    Objects.requireNonNull(afterKey, "afterKey");
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative, got " + limit);
    }
    return kv.tailMap(kvKey(category, afterKey), false).values().stream()
        .takeWhile(e -> e.category().equals(category))
        .limit(limit)
        .toList();
  }

  @Override
  public synchronized boolean kvPut(KvEntry entry, long expectedVersion) {
    Objects.requireNonNull(entry, "entry");
    if (expectedVersion < 0 || (expectedVersion == 0 ? entry.version() < 1 : entry.version() != expectedVersion + 1)) {
      throw new IllegalArgumentException("bad versions: expected " + expectedVersion + ", next " + entry.version());
    }
    String k = kvKey(entry.category(), entry.key());
    KvEntry stored = kv.get(k);
    if (expectedVersion == 0 ? stored != null : stored == null || stored.version() != expectedVersion) {
      return false;
    }
    long id = stored == null ? ++lastKvId : stored.id();
    kv.put(k, new KvEntry(id, entry.category(), entry.key(), entry.value(), entry.version(),
        stored == null ? entry.createTime() : stored.createTime(), entry.updateTime()));
    return true;
  }

  @Override
  public synchronized boolean kvDelete(String category, String key, long expectedVersion) {
    String k = kvKey(category, key);
    KvEntry stored = kv.get(k);
    if (stored == null || stored.version() != expectedVersion) {
      return false;
    }
    kv.remove(k);
    return true;
  }

  private static String kvKey(String category, String key) {
    if (Objects.requireNonNull(category, "category").indexOf('\0') >= 0) {
      throw new IllegalArgumentException("a key-value category must not contain \\0");
    }
    return category + '\0' + Objects.requireNonNull(key, "key");
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
