package io.cohort.client.barrier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.SlotHash;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/** The barrier contract on the real Redis at 127.0.0.1:6379, plus the atomic adjust-amount script. */
class RedisBarrierTest extends BarrierContractTest {
  private RedisClient client;
  private StatefulRedisConnection<String, String> connection;
  private RedisCommands<String, String> redis;
  private RedisBarrier barrier;

  @Override
  void open() {
    client = RedisClient.create(System.getProperty("cohort.test.redis.url", "redis://127.0.0.1:6379"));
    connection = client.connect();
    redis = connection.sync();
    barrier = RedisBarrier.builder().expiry(Duration.ofHours(1)).build(redis);
  }

  @Override
  void close() {
    if (connection != null) {
      connection.close();
    }
    if (client != null) {
      client.shutdown();
    }
  }

  private static String effectKey(String gid, String op) {
    return "cohort-test-effect:{" + gid + "}:" + op;
  }

  @Override
  BarrierOutcome branch(BranchBarrier b, Business business) {
    return barrier.call(b, () -> {
      if (business == Business.FAIL) {
        throw new IllegalStateException("business failed on purpose");
      }
      if (business == Business.SLOW) {
        Thread.sleep(ThreadLocalRandom.current().nextInt(2, 15));
      }
      redis.incr(effectKey(b.gid(), b.op()));
      redis.expire(effectKey(b.gid(), b.op()), 3600);
      return null;
    }).outcome();
  }

  @Override
  int effects(String gid, String op) {
    String v = redis.get(effectKey(gid, op));
    return v == null ? 0 : Integer.parseInt(v);
  }

  @Override
  boolean queryPrepared(String gid) {
    return barrier.queryPrepared(gid);
  }

  @Test
  void keysOfOneTransactionShareASlotAndExpire() {
    String gid = newGid();
    branch(tcc(gid, "cancel"), Business.OK);
    String tryKey = barrier.key(gid, "01", "try", "01");
    String cancelKey = barrier.key(gid, "01", "cancel", "01");
    assertThat(tryKey).isEqualTo("{" + gid + "}-01-try-01");
    assertThat(SlotHash.getSlot(tryKey)).isEqualTo(SlotHash.getSlot(cancelKey));
    assertThat(redis.get(tryKey)).isEqualTo("cancel");
    assertThat(redis.ttl(tryKey)).isBetween(1L, 3600L);
  }

  @Test
  void adjustAmountIsIdempotentAndRefusesNegativeBalances() {
    String gid = newGid();
    String account = "cohort-test-balance:{" + gid + "}";
    redis.set(account, "100");
    BarrierResult<Long> debit = barrier.adjustAmount(tcc(gid, "try"), account, -30);
    assertThat(debit.outcome()).isEqualTo(BarrierOutcome.EXECUTED);
    assertThat(debit.value()).isEqualTo(70L);
    assertThat(barrier.adjustAmount(tcc(gid, "try"), account, -30).outcome()).isEqualTo(BarrierOutcome.DUPLICATE);
    assertThat(redis.get(account)).isEqualTo("70");
    assertThat(barrier.adjustAmount(tcc(gid, "cancel"), account, 30).value()).isEqualTo(100L);

    String other = newGid();
    assertThatThrownBy(() -> barrier.adjustAmount(tcc(other, "try"), account, -500))
        .isInstanceOf(BranchFailedException.class)
        .hasMessageContaining("negative")
        .satisfies(e -> assertThat(((BranchFailedException) e).retryable()).isFalse());
    assertThat(redis.get(account)).isEqualTo("100");
    assertThat(barrier.adjustAmount(tcc(other, "cancel"), account, 500).outcome())
        .isEqualTo(BarrierOutcome.NULL_COMPENSATION);
    assertThat(redis.get(account)).isEqualTo("100");
    redis.del(account);
  }

  @Test
  void adjustAmountCancelBeforeTryBlocksTheLateTry() {
    String gid = newGid();
    String account = "cohort-test-balance:{" + gid + "}";
    redis.set(account, "10");
    assertThat(barrier.adjustAmount(tcc(gid, "cancel"), account, 5).outcome())
        .isEqualTo(BarrierOutcome.NULL_COMPENSATION);
    assertThat(barrier.adjustAmount(tcc(gid, "try"), account, -5).outcome()).isEqualTo(BarrierOutcome.BLOCKED);
    assertThat(redis.get(account)).isEqualTo("10");
    assertThatThrownBy(() -> barrier.adjustAmount(tcc(newGid(), "try"), "cohort-test-missing:{x}", -1))
        .isInstanceOf(BranchFailedException.class)
        .hasMessageContaining("missing");
    redis.del(account);
  }

  @Test
  void scriptsSurviveAScriptCacheFlush() {
    redis.scriptFlush();
    assertThat(branch(tcc(newGid(), "try"), Business.OK)).isEqualTo(BarrierOutcome.EXECUTED);
  }
}
