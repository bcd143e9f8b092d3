package io.cohort.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.core.model.Transaction;
import io.cohort.core.port.TransactionStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Several coordinators, each with a store of its own on the same data, claiming due transactions at once: every
 * transaction must be claimed exactly once, by one of them, and each coordinator must get some.
 */
final class ConcurrentClaims {
  private ConcurrentClaims() {}

  /**
   * Inserts {@code count} due transactions through the first store, then lets {@code threadsPerStore} virtual threads
   * per store claim in batches of {@code batch} until nothing is left, and checks the outcome.
   */
  static void claimEverythingOnce(List<? extends TransactionStore> stores, int count, int threadsPerStore, int batch,
      Function<String, Transaction> dueTransaction, Instant now) throws Exception {
    TransactionStore first = stores.get(0);
    for (int i = 0; i < count; i++) {
      first.insert(dueTransaction.apply("due-" + i));
    }
    Instant lease = now.plusSeconds(600);
    Map<String, String> claimedBy = new ConcurrentHashMap<>();
    Set<String> duplicates = ConcurrentHashMap.newKeySet();
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Integer>> claimers = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int s = 0; s < stores.size(); s++) {
        for (int t = 0; t < threadsPerStore; t++) {
          TransactionStore store = stores.get(s);
          String token = "store" + s + "-thread" + t;
          claimers.add(pool.submit(() -> {
            go.await();
            int mine = 0;
            for (List<Transaction> got; !(got = store.claimDue(now, batch, token, lease)).isEmpty(); ) {
              for (Transaction c : got) {
                assertThat(c.owner()).isEqualTo(token);
                if (claimedBy.putIfAbsent(c.gid(), token) != null) {
                  duplicates.add(c.gid());
                }
                mine++;
              }
            }
            return mine;
          }));
        }
      }
      go.countDown();
      int total = 0;
      for (Future<Integer> f : claimers) {
        total += f.get(60, TimeUnit.SECONDS);
      }
      assertThat(duplicates).as("claimed twice").isEmpty();
      assertThat(total).isEqualTo(count);
    }
    assertThat(claimedBy).hasSize(count);
    for (int s = 0; s < stores.size(); s++) {
      String store = "store" + s + "-";
      assertThat(claimedBy.values().stream().filter(t -> t.startsWith(store)).count()).as("claimed by store %d", s)
          .isPositive();
    }
    TransactionStore last = stores.get(stores.size() - 1);
    claimedBy.forEach((gid, token) -> {
      Transaction stored = last.find(gid).orElseThrow();
      assertThat(stored.owner()).isEqualTo(token);
      assertThat(stored.version()).isEqualTo(2);
      assertThat(stored.nextWake()).isEqualTo(lease);
    });
    assertThat(first.claimDue(now, 10, "late", lease)).isEmpty();
  }
}
