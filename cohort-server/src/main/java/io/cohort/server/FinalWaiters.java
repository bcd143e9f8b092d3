package io.cohort.server;

import io.cohort.core.model.Transaction;
import io.cohort.core.port.EngineListener;
import io.cohort.core.port.TransactionStore;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Lets a client wait for a transaction's final outcome (DTM's {@code wait_result} only covers the first round).
 * Writes by this coordinator complete waiters at once; the store is also polled, so a transaction finished by another
 * coordinator sharing the store is seen too.
 */
public final class FinalWaiters implements EngineListener {
  private static final Duration POLL = Duration.ofMillis(500);
  private final ConcurrentHashMap<String, CopyOnWriteArrayList<CompletableFuture<Transaction>>> waiters =
      new ConcurrentHashMap<>();
  private final TransactionStore store;

  public FinalWaiters(TransactionStore store) {
    this.store = store;
  }

  @Override
  public void written(Transaction t) {
    if (!t.isFinal() || waiters.isEmpty()) {
      return;
    }
    var list = waiters.remove(t.gid());
    if (list != null) {
      list.forEach(f -> f.complete(t));
    }
  }

  /**
   * Waits until the transaction is final or the timeout passes.
   *
   * @return empty when there is no such transaction; otherwise the transaction, final unless the timeout passed
   */
  public Optional<Transaction> await(String gid, Duration timeout) throws InterruptedException {
    CompletableFuture<Transaction> f = new CompletableFuture<>();
    waiters.computeIfAbsent(gid, g -> new CopyOnWriteArrayList<>()).add(f);
    try {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        Optional<Transaction> current = store.find(gid);
        if (current.isEmpty() || current.get().isFinal()) {
          return current;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return current;
        }
        try {
          return Optional.of(f.get(Math.min(left, POLL.toNanos()), TimeUnit.NANOSECONDS));
        } catch (TimeoutException e) {
          // poll the store again
        } catch (ExecutionException e) {
          throw new IllegalStateException(e.getCause());
        }
      }
    } finally {
      waiters.computeIfPresent(gid, (g, list) -> {
        list.remove(f);
        return list.isEmpty() ? null : list;
      });
    }
  }
}
