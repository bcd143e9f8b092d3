package io.cohort.store.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.cohort.core.codec.RecordCodec;
import io.cohort.core.model.Branch;
import io.cohort.core.model.TransOptions;
import io.cohort.core.model.Transaction;
import io.cohort.protocol.BranchStatus;
import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.TransType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A throughput measurement, not a test, against one store (one Lettuce connection), in phases:
 *
 * <ul>
 *   <li><b>saga</b>: {@code threads} virtual threads each run coordinator-only sagas in a loop: insert, then two
 *       compare-and-set updates (a branch done, then final), as the engine writes a two-step saga whose branches answer
 *       at once; one more thread polls {@code claimDue} every 100 ms meanwhile, as an idle scheduler does;
 *   <li><b>retry</b>: every transaction goes through a claim, as after an outage: a backlog of transactions due at
 *       once is inserted (not timed), then two claimers (two coordinators' schedulers, with the scheduler's defaults:
 *       batches of up to 200, at most 1,000 rounds at once) claim it and finish each claimed one with an update on a
 *       virtual thread of its own, until nothing is due;
 *   <li><b>one thread</b>: the saga loop on one thread, to show latency without load.
 * </ul>
 *
 * <pre>
 * java -cp ... io.cohort.store.redis.RedisThroughputProbe [threads=64] [seconds=10] [uri=redis://127.0.0.1:6379 |
 *     cluster] [partitions=64]
 * </pre>
 *
 * With {@code cluster} it starts a throwaway three-master cluster on this machine ({@link ThrowawayCluster}).
 */
final class RedisThroughputProbe {
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00.123Z");
  private static RedisKeys keys;

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    String target = args.length > 2 ? args[2] : "redis://127.0.0.1:6379";
    int partitions = args.length > 3 ? Integer.parseInt(args[3]) : 64;
    String prefix = RedisKeys.uniquePrefix();
    ThrowawayCluster cluster = target.equals("cluster") ? ThrowawayCluster.start(3) : null;
    RedisStoreOptions options = (cluster != null ? RedisStoreOptions.cluster(cluster.seeds())
        : RedisStoreOptions.standalone(target)).withKeyPrefix(prefix).withPartitions(partitions);
    keys = cluster == null ? new RedisKeys(target) : null;
    try (RedisTransactionStore store = RedisTransactionStore.open(options)) {
      System.out.printf(Locale.ROOT, "record size %d bytes, %s, %d partitions, %d cores%n",
          RecordCodec.encode(transaction("x")).length, cluster != null ? "3-master cluster" : target, partitions,
          Runtime.getRuntime().availableProcessors());
      run(store, "warm-up", threads, Duration.ofSeconds(3));
      run(store, "saga", threads, Duration.ofSeconds(seconds));
      runBacklog(store, threads, seconds * 5_000);
      run(store, "one thread", 1, Duration.ofSeconds(3));
    } finally {
      if (cluster != null) {
        cluster.close();
      } else {
        keys.deleteAll(prefix);
        keys.close();
      }
    }
  }

  /** The CPU seconds the Redis server has used so far (standalone only; {@code NaN} on a cluster). */
  private static double redisCpu(RedisKeys keys) {
    if (keys == null) {
      return Double.NaN;
    }
    double cpu = 0;
    for (String line : keys.commands().info("cpu").split("\\R")) {
      if (line.startsWith("used_cpu_sys:") || line.startsWith("used_cpu_user:")) {
        cpu += Double.parseDouble(line.substring(line.indexOf(':') + 1));
      }
    }
    return cpu;
  }

  private static double processCpu() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime() / 1e9;
  }

  private static void run(RedisTransactionStore store, String phase, int threads, Duration duration)
      throws Exception {
    double redis0 = redisCpu(keys);
    double jvm0 = processCpu();
    long start = System.nanoTime();
    long deadline = start + duration.toNanos();
    AtomicBoolean done = new AtomicBoolean();
    AtomicLong polls = new AtomicLong();
    Samples all = new Samples();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<?> scheduler = pool.submit(() -> {
        while (!done.get()) {
          store.claimDue(T0, 200, "scheduler", T0.plusSeconds(30));
          polls.incrementAndGet();
          Thread.sleep(100);
        }
        return null;
      });
      List<Future<Samples>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        String prefix = phase.charAt(0) + "-" + i + "-";
        results.add(pool.submit(() -> sagaLoop(store, prefix, deadline)));
      }
      for (Future<Samples> f : results) {
        all.add(f.get());
      }
      done.set(true);
      scheduler.get();
    }
    report(phase, threads, all, start, jvm0, redis0, " | " + polls.get() + " idle claim polls meanwhile");
  }

  /** The retry phase: {@link #insertBacklog} (not timed), then {@link #drainBacklog} (timed). */
  private static void runBacklog(RedisTransactionStore store, int threads, int backlog) throws Exception {
    insertBacklog(store, threads, backlog);
    double redis0 = redisCpu(keys);
    double jvm0 = processCpu();
    long start = System.nanoTime();
    Samples all = drainBacklog(store, 2);
    if (all.sagas != backlog) {
      throw new IllegalStateException("claimed " + all.sagas + " of " + backlog);
    }
    report("retry", threads, all, start, jvm0, redis0, String.format(Locale.ROOT,
        " | backlog of %,d drained by 2 claimers: %d claims, %.1f transactions per claim", backlog, all.claims,
        (double) all.claimed / Math.max(1, all.claims)));
  }

  private static void report(String phase, int threads, Samples all, long start, double jvm0, double redis0,
      String more) {
    double elapsed = (System.nanoTime() - start) / 1e9;
    long[] sorted = all.sorted();
    System.out.printf(Locale.ROOT,
        "%-10s %3d threads: %,9.0f sagas/s | CPU: probe JVM %.2f cores, redis-server %.2f cores | call latency p50 %s"
            + "  p99 %s  max %s%s%n",
        phase, threads, all.sagas / elapsed, (processCpu() - jvm0) / elapsed, (redisCpu(keys) - redis0) / elapsed,
        micros(percentile(sorted, 0.50)), micros(percentile(sorted, 0.99)),
        micros(sorted.length == 0 ? 0 : sorted[sorted.length - 1]), more);
  }

  /** Insert, branch done, final: the writes of a two-step saga whose branches answer at once. */
  private static Samples sagaLoop(RedisTransactionStore store, String prefix, long deadline) {
    Samples s = new Samples();
    for (long n = 0; System.nanoTime() < deadline; n++) {
      long t0 = System.nanoTime();
      Transaction stored = store.insert(transaction(prefix + n)).stored();
      long t1 = System.nanoTime();
      Transaction running = branchDone(stored, 1);
      check(store.update(running, stored.version()));
      long t2 = System.nanoTime();
      Transaction done = finished(running);
      check(store.update(done, running.version()));
      long t3 = System.nanoTime();
      s.record(t1 - t0);
      s.record(t2 - t1);
      s.record(t3 - t2);
      s.sagas++;
    }
    return s;
  }

  /** Inserts {@code backlog} transactions due at once, from {@code threads} threads. */
  private static void insertBacklog(RedisTransactionStore store, int threads, int backlog) throws Exception {
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> producers = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        int first = i;
        producers.add(pool.submit(() -> {
          for (int n = first; n < backlog; n += threads) {
            store.insert(transaction("b-" + n).withSchedule(T0.minusSeconds(1), Duration.ofSeconds(10), 0, ""));
          }
          return null;
        }));
      }
      for (Future<?> f : producers) {
        f.get();
      }
    }
  }

  /**
   * The retry path as the scheduler runs it (with its defaults): {@code coordinators} claimers take batches of up to
   * 200 and finish each claimed transaction with an update on a virtual thread of its own (at most 1,000 at once per
   * claimer), until nothing is due.
   */
  private static Samples drainBacklog(RedisTransactionStore store, int coordinators) throws Exception {
    Samples all = new Samples();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<Samples>> claimers = new ArrayList<>();
      for (int c = 0; c < coordinators; c++) {
        String token = "coordinator-" + c;
        claimers.add(pool.submit(() -> {
          Samples s = new Samples();
          Semaphore rounds = new Semaphore(1_000);
          try (ExecutorService finishers = Executors.newVirtualThreadPerTaskExecutor()) {
            while (true) {
              int room = Math.min(200, Math.max(1, rounds.availablePermits()));
              long t0 = System.nanoTime();
              List<Transaction> claimed = store.claimDue(T0, room, token, T0.plusSeconds(30));
              s.record(System.nanoTime() - t0);
              s.claims++;
              s.claimed += claimed.size();
              if (claimed.isEmpty()) {
                break;
              }
              for (Transaction t : claimed) {
                rounds.acquire();
                finishers.submit(() -> {
                  try {
                    check(store.update(finished(t), t.version()));
                  } finally {
                    rounds.release();
                  }
                });
              }
            }
          }
          s.sagas = s.claimed;
          return s;
        }));
      }
      for (Future<Samples> f : claimers) {
        all.add(f.get());
      }
    }
    return all;
  }

  private static Transaction branchDone(Transaction t, int branch) {
    Instant now = T0.plusMillis(5);
    return t.withBranch(branch, t.branches().get(branch).dispatched(now).transition(BranchStatus.SUCCEED, now, null))
        .withSchedule(now.plusSeconds(13), t.retryInterval(), 0, "node-1")
        .withVersion(t.version() + 1);
  }

  private static Transaction finished(Transaction t) {
    Instant now = T0.plusMillis(9);
    return t.withBranch(3, t.branches().get(3).dispatched(now).transition(BranchStatus.SUCCEED, now, null))
        .transition(GlobalStatus.SUCCEED, now, null)
        .withSchedule(null, t.retryInterval(), 0, "")
        .withVersion(t.version() + 1);
  }

  private static void check(boolean written) {
    if (!written) {
      throw new IllegalStateException("lost an uncontended update");
    }
  }

  /** A two-step saga as the engine would submit it: four branches with small JSON bodies. */
  static Transaction transaction(String gid) {
    byte[] out = "{\"amount\":30,\"user\":\"u-1\"}".getBytes(UTF_8);
    byte[] in = "{\"amount\":30,\"user\":\"u-2\"}".getBytes(UTF_8);
    List<Branch> branches = List.of(
        Branch.create("01", "compensate", "http://svc-a:8080/api/trans/out/compensate", out, T0),
        Branch.create("01", "action", "http://svc-a:8080/api/trans/out", out, T0),
        Branch.create("02", "compensate", "http://svc-b:8080/api/trans/in/compensate", in, T0),
        Branch.create("02", "action", "http://svc-b:8080/api/trans/in", in, T0));
    return new Transaction(0, gid, TransType.SAGA, GlobalStatus.SUBMITTED, "http", "", "",
        new TransOptions(null, Duration.ofSeconds(3), Duration.ofSeconds(10), 0, Map.of(), false, Map.of(), null),
        branches, T0, T0, null, null, null, null, T0.plusSeconds(13), Duration.ofSeconds(10), 0, "node-1", 1);
  }

  private static String micros(long nanos) {
    return nanos < 10_000_000 ? String.format(Locale.ROOT, "%.0fus", nanos / 1e3)
        : String.format(Locale.ROOT, "%.1fms", nanos / 1e6);
  }

  private static long percentile(long[] sorted, double p) {
    return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
  }

  /** Latencies of one thread's store calls, and what it got done. */
  private static final class Samples {
    private long[] nanos = new long[1 << 14];
    private int count;
    long sagas;
    long claims;
    long claimed;

    void record(long n) {
      if (count == nanos.length) {
        nanos = Arrays.copyOf(nanos, count * 2);
      }
      nanos[count++] = n;
    }

    void add(Samples other) {
      for (int i = 0; i < other.count; i++) {
        record(other.nanos[i]);
      }
      sagas += other.sagas;
      claims += other.claims;
      claimed += other.claimed;
    }

    long[] sorted() {
      long[] out = Arrays.copyOf(nanos, count);
      Arrays.sort(out);
      return out;
    }
  }

  private RedisThroughputProbe() {}
}
