package io.cohort.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cohort.core.model.Transaction;
import io.cohort.core.port.TransactionStore;
import io.cohort.core.port.TransactionStore.KvEntry;
import io.cohort.store.tck.TransactionStoreContract;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The whole store contract against a real three-master Redis Cluster started for this class
 * ({@link ThrowawayCluster}), through Lettuce's cluster client: every script must touch one slot only, or the cluster
 * refuses it. Plus what only a cluster shows: the data lands on every master, several stores claim disjointly,
 * scripts are sent again to nodes that forgot them, and a server that stops answering is reported (by pausing the
 * nodes, which a shared server could not be). Skipped when this machine has no {@code redis-server}.
 */
@Timeout(120)
class RedisClusterStoreTest extends TransactionStoreContract {
  private static ThrowawayCluster cluster;
  private final List<RedisTransactionStore> opened = new ArrayList<>();

  @BeforeAll
  static void startCluster() throws Exception {
    assumeTrue(ThrowawayCluster.available(), "redis-server and redis-cli are not on the PATH");
    cluster = ThrowawayCluster.start(3);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Override
  protected TransactionStore newStore() {
    return open(RedisKeys.uniquePrefix());
  }

  private RedisTransactionStore open(String prefix) {
    RedisTransactionStore store = RedisTransactionStore.open(RedisStoreOptions.cluster(cluster.seeds())
        .withKeyPrefix(prefix).withPartitions(12).withCommandTimeout(Duration.ofSeconds(5)));
    opened.add(store);
    return store;
  }

  @AfterEach
  void closeStores() {
    opened.forEach(RedisTransactionStore::close);
  }

  /** Runs {@code action} with a plain connection to each node in turn. */
  private static void eachNode(Consumer<StatefulRedisConnection<String, String>> action) {
    for (int port : cluster.ports()) {
      RedisClient client = RedisClient.create("redis://127.0.0.1:" + port);
      try (StatefulRedisConnection<String, String> c = client.connect()) {
        action.accept(c);
      } finally {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      }
    }
  }

  @Test
  void everyMasterHoldsPartOfTheTransactions() {
    String prefix = RedisKeys.uniquePrefix();
    RedisTransactionStore store = open(prefix);
    for (int i = 0; i < 300; i++) {
      store.insert(saga("spread-" + i));
    }
    List<Long> perNode = new ArrayList<>();
    eachNode(c -> perNode.add((long) c.sync().keys("{" + prefix + ":*}:t:*").size()));
    assertThat(perNode).hasSize(3).allSatisfy(n -> assertThat(n).as("records on one master").isBetween(50L, 150L));
    assertThat(perNode.stream().mapToLong(Long::longValue).sum()).isEqualTo(300);
  }

  @Test
  void twoStoresClaimingConcurrentlyOnAClusterNeverGetTheSameTransaction() throws Exception {
    String prefix = RedisKeys.uniquePrefix();
    ConcurrentClaims.claimEverythingOnce(List.of(open(prefix), open(prefix), open(prefix)), 600, 4, 11,
        gid -> due(gid, T0.minusMillis(Math.floorMod(gid.hashCode(), 53))), T0);
  }

  @Test
  void scriptsAreSentAgainToNodesThatForgotThem() {
    RedisTransactionStore store = open(RedisKeys.uniquePrefix());
    eachNode(c -> assertThat(c.sync().scriptExists(java.util.Arrays.stream(Redis.Script.values()).map(s -> s.sha)
        .toArray(String[]::new))).as("loaded on open").containsOnly(true));
    eachNode(c -> c.sync().scriptFlush());

    Set<String> gids = new HashSet<>();
    for (int i = 0; i < 30; i++) {
      Transaction t = store.insert(due("after-flush-" + i, T0.minusSeconds(1))).stored();
      assertThat(store.update(t.withReason("changed").withVersion(t.version() + 1), t.version())).isTrue();
      gids.add(t.gid());
    }
    assertThat(store.claimDue(T0, 100, "me", T0.plusSeconds(9))).extracting(Transaction::gid)
        .containsExactlyInAnyOrderElementsOf(gids);
    assertThat(store.kvPut(new KvEntry(0, "topics", "t", "v", 1, T0, T0), 0)).isTrue();
    assertThat(store.kvScan("topics", "", 10)).hasSize(1);
    assertThat(store.purgeFinished(T0, 10)).isZero();
  }

  @Test
  void aCommandThatTakesTooLongFailsWithTheOperationAndTheServersNamed() {
    RedisTransactionStore impatient = RedisTransactionStore.open(RedisStoreOptions.cluster(cluster.seeds())
        .withKeyPrefix(RedisKeys.uniquePrefix()).withPartitions(12).withCommandTimeout(Duration.ofMillis(300)));
    opened.add(impatient);
    impatient.insert(saga("slow"));
    eachNode(c -> c.sync().clientPause(1_500));

    assertThatThrownBy(() -> impatient.find("slow"))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageStartingWith("Redis store at " + String.join(",", cluster.seeds()) + ": find of slow timed out");
    // The pause ends; a patient store waits it out, and the impatient one works again.
    assertThat(open(RedisKeys.uniquePrefix()).find("slow")).isEmpty();
    assertThat(impatient.find("slow")).isPresent();
  }
}
