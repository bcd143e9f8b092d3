package io.cohort.store.tck;

import io.cohort.core.model.Transaction;
import io.cohort.core.port.TransactionStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The reference store: the contract, plainly, in memory, one lock. Not durable; for tests and the test kit.
 * Every other store must behave like this one under {@link TransactionStoreContract}.
 */
public final class InMemoryTransactionStore implements TransactionStore {
  private final Map<String, Transaction> byGid = new HashMap<>();
  /** Key-value entries by category, then key in {@link String#compareTo} order (the order kvScan promises). */
  private final Map<String, TreeMap<String, KvEntry>> kv = new HashMap<>();
  private long lastId;
  private long lastKvId;

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
    List<String> gone = TransactionStore.selectPurgeable(byGid.values(), finishedBefore, limit);
    gone.forEach(byGid::remove);
    return gone.size();
  }

  @Override
  public synchronized List<Transaction> wakingAfter(Instant after, int limit) {
    return TransactionStore.selectWakingAfter(byGid.values(), after, limit);
  }

  // ------------------------------------------------------------------------------------------ key-value entries

  @Override
  public synchronized Optional<KvEntry> kvFind(String category, String key) {
    Objects.requireNonNull(key, "key");
    TreeMap<String, KvEntry> entries = kv.get(Objects.requireNonNull(category, "category"));
    return entries == null ? Optional.empty() : Optional.ofNullable(entries.get(key));
  }

  @Override
  public synchronized List<KvEntry> kvScan(String category, String afterKey, int limit) {
    Objects.requireNonNull(afterKey, "afterKey");
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative, got " + limit);
    }
    TreeMap<String, KvEntry> entries = kv.get(Objects.requireNonNull(category, "category"));
    if (entries == null) {
      return List.of();
    }
    return entries.tailMap(afterKey, false).values().stream().limit(limit).toList();
  }

  @Override
  public synchronized boolean kvPut(KvEntry entry, long expectedVersion) {
    checkKvVersions(entry, expectedVersion);
    KvEntry stored = kvFind(entry.category(), entry.key()).orElse(null);
    if (expectedVersion == 0) {
      if (stored != null) {
        return false;
      }
      kv.computeIfAbsent(entry.category(), c -> new TreeMap<>()).put(entry.key(), withIdentity(entry, ++lastKvId,
          entry.createTime()));
      return true;
    }
    if (stored == null || stored.version() != expectedVersion) {
      return false;
    }
    kv.get(entry.category()).put(entry.key(), withIdentity(entry, stored.id(), stored.createTime()));
    return true;
  }

  @Override
  public synchronized boolean kvDelete(String category, String key, long expectedVersion) {
    KvEntry stored = kvFind(category, key).orElse(null);
    if (stored == null || stored.version() != expectedVersion) {
      return false;
    }
    TreeMap<String, KvEntry> entries = kv.get(category);
    entries.remove(key);
    if (entries.isEmpty()) {
      kv.remove(category);
    }
    return true;
  }

  /**
   * Caller bugs, refused before anything is looked up: a negative expected version, a next version that is not the
   * expected one plus one, and a new entry with a version below 1 (a stored version 0 would read as "absent" to a
   * later create).
   */
  private static void checkKvVersions(KvEntry entry, long expectedVersion) {
    Objects.requireNonNull(entry, "entry");
    if (expectedVersion < 0) {
      throw new IllegalArgumentException("expected version must not be negative, got " + expectedVersion);
    }
    if (expectedVersion == 0 ? entry.version() < 1 : entry.version() != expectedVersion + 1) {
      throw new IllegalArgumentException((expectedVersion == 0 ? "a new entry's version must be at least 1"
          : "next version must be " + (expectedVersion + 1)) + ", got " + entry.version());
    }
  }

  private static KvEntry withIdentity(KvEntry e, long id, Instant createTime) {
    return new KvEntry(id, e.category(), e.key(), e.value(), e.version(), createTime, e.updateTime());
  }

  @Override
  public void close() {}
}
