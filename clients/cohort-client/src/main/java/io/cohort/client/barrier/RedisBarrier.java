package io.cohort.client.barrier;

import io.cohort.protocol.BranchOp;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisScriptingCommands;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The subtransaction barrier on Redis (Lettuce), with the same semantics as {@link JdbcBarrier}: idempotency, null
 * compensation, anti-hanging, and the msg check-back.
 *
 * <p><b>Model.</b> One string key per barrier row, {@code <prefix>{<gid>}-<branch_id>-<op>-<barrier_id>}, holding
 * the row's {@code reason} (the op that wrote it) and expiring after {@link Builder#expiry}. The {@code {gid}} hash
 * tag puts every key of one global transaction in one cluster slot, so each decision is a single Lua script over
 * keys of one slot: Redis runs it atomically, which is what serialises a try racing its cancel. (DTM's Redis
 * barrier names its keys {@code gid-branch-op-bid} without a hash tag, so the two do not share keys.)
 *
 * <p><b>Atomicity, honestly.</b> Redis has no transaction that spans a script and arbitrary Java code.
 * <ul>
 *   <li>{@link #adjustAmount} is fully atomic: barrier check, balance check and {@code INCRBY} are one script.
 *   <li>{@link #call} is not: the script records the barrier key and answers "go", then the business runs. If the
 *       business throws, the key is released again (deleted only if it still holds this op), so a retry runs the
 *       business again. But if the process dies between the script and the end of the business, the key stays and
 *       the retry is taken for a duplicate: the business is lost. And a cancel arriving while a try's business is
 *       still running sees the try key and compensates, even if that try then fails and releases. Use {@code call}
 *       for business that is itself idempotent or recoverable, and prefer {@code adjustAmount} (or the JDBC barrier)
 *       where money moves.
 * </ul>
 *
 * <p>Thread-safe when the given Lettuce commands object is (Lettuce's synchronous API over one shared connection
 * is). Works with standalone and cluster connections; in a cluster the balance key of {@link #adjustAmount} must
 * hash to the transaction's slot (use the same {@code {gid}} tag) since a script may only touch one slot.
 */
public final class RedisBarrier {
  private static final String CHECK = "local current = redis.call('GET', KEYS[1])\n"
      + "if current then\n"
      + "  if current == ARGV[1] then return 'DUPLICATE' end\n"
      + "  return 'BLOCKED'\n"
      + "end\n"
      + "if ARGV[2] ~= '' and redis.call('EXISTS', KEYS[2]) == 0 then\n"
      + "  redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[3])\n"
      + "  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])\n"
      + "  return 'NULL_COMPENSATION'\n"
      + "end\n";

  /** KEYS: current, origin. ARGV: op, originOp or '', expiry seconds. */
  private static final String BARRIER = CHECK
      + "redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])\n"
      + "return 'EXECUTED'\n";

  /** KEYS: current. ARGV: op. Undoes a "go" whose business failed, unless someone else owns the key now. */
  private static final String RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
      + "  redis.call('DEL', KEYS[1])\n"
      + "end\n"
      + "return 'OK'\n";

  /** KEYS: current, origin, balance. ARGV: op, originOp or '', expiry seconds, amount. */
  private static final String ADJUST = "local current = redis.call('GET', KEYS[1])\n"
      + "if current then\n"
      + "  if current == ARGV[1] then return {'DUPLICATE'} end\n"
      + "  return {'BLOCKED'}\n"
      + "end\n"
      + "if ARGV[2] ~= '' and redis.call('EXISTS', KEYS[2]) == 0 then\n"
      + "  redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[3])\n"
      + "  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])\n"
      + "  return {'NULL_COMPENSATION'}\n"
      + "end\n"
      + "local balance = redis.call('GET', KEYS[3])\n"
      + "if not balance then return {'FAILURE', 'balance key is missing'} end\n"
      + "if tonumber(balance) + tonumber(ARGV[4]) < 0 then return {'FAILURE', 'balance would go negative'} end\n"
      + "redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])\n"
      + "return {'EXECUTED', redis.call('INCRBY', KEYS[3], ARGV[4])}\n";

  /** KEYS: the msg row. ARGV: expiry seconds. */
  private static final String QUERY_PREPARED = "local v = redis.call('GET', KEYS[1])\n"
      + "if not v then\n"
      + "  redis.call('SET', KEYS[1], 'rollback', 'EX', ARGV[1])\n"
      + "  return 'rollback'\n"
      + "end\n"
      + "return v\n";

  private final RedisScriptingCommands<String, String> redis;
  private final String prefix;
  private final Duration expiry;

  private RedisBarrier(RedisScriptingCommands<String, String> redis, Builder b) {
    this.redis = redis;
    this.prefix = b.prefix;
    this.expiry = b.expiry;
  }

  /** A barrier over {@code redis} (for example {@code connection.sync()}) with default options. */
  public static RedisBarrier create(RedisScriptingCommands<String, String> redis) {
    return builder().build(redis);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Runs {@code work} when the barrier script says "go"; see the class comment for what is and is not atomic. A
   * business exception releases the barrier key and is rethrown (checked ones wrapped in
   * {@link BarrierBusinessException}).
   *
   * @throws BarrierStorageException when Redis fails (retryable; nothing was decided)
   */
  public <T> BarrierResult<T> call(BranchBarrier barrier, RedisWork<T> work) {
    Objects.requireNonNull(work, "work");
    String bid = barrier.nextBarrierId();
    String current = key(barrier.gid(), barrier.branchId(), barrier.op(), bid);
    String originOp = barrier.originOp();
    String origin = originOp == null ? current : key(barrier.gid(), barrier.branchId(), originOp, bid);
    String verdict = eval(BARRIER, ScriptOutputType.VALUE, new String[] {current, origin},
        barrier.op(), originOp == null ? "" : originOp, seconds());
    BarrierOutcome outcome = BarrierOutcome.valueOf(verdict);
    if (!outcome.businessRan()) {
      return BarrierResult.skipped(outcome);
    }
    try {
      return new BarrierResult<>(outcome, work.run());
    } catch (Exception e) {
      try {
        eval(RELEASE, ScriptOutputType.VALUE, new String[] {current}, barrier.op());
      } catch (RuntimeException suppressed) {
        e.addSuppressed(suppressed);
      }
      if (e instanceof RuntimeException) {
        throw (RuntimeException) e;
      }
      throw new BarrierBusinessException(e);
    }
  }

  /**
   * Atomically: the barrier decision and, when it says "go", {@code INCRBY balanceKey amount}, refusing to let the
   * balance go negative. The value of an {@link BarrierOutcome#EXECUTED} result is the new balance.
   *
   * @throws BranchFailedException when the balance key is missing or would go negative (answer FAILURE); nothing
   *     is written, so a later cancel of this try is a null compensation
   * @throws BarrierStorageException when Redis fails
   */
  public BarrierResult<Long> adjustAmount(BranchBarrier barrier, String balanceKey, long amount) {
    Objects.requireNonNull(balanceKey, "balanceKey");
    String bid = barrier.nextBarrierId();
    String current = key(barrier.gid(), barrier.branchId(), barrier.op(), bid);
    String originOp = barrier.originOp();
    String origin = originOp == null ? current : key(barrier.gid(), barrier.branchId(), originOp, bid);
    List<Object> verdict = eval(ADJUST, ScriptOutputType.MULTI, new String[] {current, origin, balanceKey},
        barrier.op(), originOp == null ? "" : originOp, seconds(), Long.toString(amount));
    String head = String.valueOf(verdict.get(0));
    if ("FAILURE".equals(head)) {
      throw new BranchFailedException(verdict.get(1) + " (" + balanceKey + ", amount " + amount + ")");
    }
    BarrierOutcome outcome = BarrierOutcome.valueOf(head);
    return outcome.businessRan()
        ? new BarrierResult<>(outcome, ((Number) verdict.get(1)).longValue())
        : BarrierResult.skipped(outcome);
  }

  /**
   * The msg check-back for {@code gid}: claims the msg barrier key with {@code rollback} if the local work never
   * wrote it. {@code true} means the local work committed; {@code false} means it did not and now never can
   * (answer FAILURE).
   */
  public boolean queryPrepared(String gid) {
    BranchBarrier check = BranchBarrier.forMsg(gid);
    String key = key(gid, check.branchId(), BranchOp.MSG, check.nextBarrierId());
    String reason = eval(QUERY_PREPARED, ScriptOutputType.VALUE, new String[] {key}, seconds());
    return !BranchOp.ROLLBACK.equals(reason);
  }

  String key(String gid, String branchId, String op, String bid) {
    return prefix + "{" + gid + "}-" + branchId + "-" + op + "-" + bid;
  }

  private String seconds() {
    return Long.toString(Math.max(1, expiry.toSeconds()));
  }

  private <R> R eval(String script, ScriptOutputType type, String[] keys, String... args) {
    try {
      try {
        return redis.evalsha(redis.digest(script), type, keys, args);
      } catch (RedisNoScriptException e) {
        return redis.eval(script, type, keys, args);
      }
    } catch (RedisException e) {
      throw new BarrierStorageException("Redis barrier script failed: " + e.getMessage(), e);
    }
  }

  /** Immutable options of a {@link RedisBarrier}. */
  public static final class Builder {
    private String prefix = "";
    private Duration expiry = Duration.ofDays(7);

    private Builder() {}

    /** Prepended to every barrier key (before the {@code {gid}} tag); default empty. */
    public Builder keyPrefix(String prefix) {
      this.prefix = Objects.requireNonNull(prefix, "prefix");
      return this;
    }

    /**
     * How long barrier keys live; default 7 days. Keep it well above the longest a global transaction can stay
     * unfinished: an expired key can no longer block a late try or detect a duplicate.
     */
    public Builder expiry(Duration expiry) {
      if (expiry == null || expiry.toSeconds() < 1) {
        throw new IllegalArgumentException("expiry must be at least one second, got " + expiry);
      }
      this.expiry = expiry;
      return this;
    }

    public RedisBarrier build(RedisScriptingCommands<String, String> redis) {
      return new RedisBarrier(Objects.requireNonNull(redis, "redis"), this);
    }
  }
}
