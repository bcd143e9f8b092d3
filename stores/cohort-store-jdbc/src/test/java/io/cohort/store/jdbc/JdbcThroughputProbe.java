package io.cohort.store.jdbc;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.cohort.core.codec.RecordCodec;
import io.cohort.core.model.Branch;
import io.cohort.core.model.TransOptions;
import io.cohort.core.model.Transaction;
import io.cohort.protocol.BranchStatus;
import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.TransType;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A throughput measurement, not a test: the store's share of a coordinator-only saga. {@code threads} virtual threads
 * each run transactions in a loop, the writes the engine makes for a 2-step saga with empty branch URLs: insert
 * (submitted, leased), then {@code updates} compare-and-set updates, the last one final. A scheduler-like thread claims
 * due work every 100 ms meanwhile (there is none: every lease is in the future), as a coordinator does.
 *
 * <pre>
 * java -cp ... io.cohort.store.jdbc.JdbcThroughputProbe [postgres|mariadb] [threads=64] [seconds=10] [pool=16]
 *     [updates=1] [writers=pool/4]
 * </pre>
 */
final class JdbcThroughputProbe {
  private static final String AREA = "cohort_store_probe";

  public static void main(String[] args) throws Exception {
    TestDatabase db = args.length > 0 && args[0].startsWith("maria") ? TestDatabase.MARIADB : TestDatabase.POSTGRES;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    int pool = args.length > 3 ? Integer.parseInt(args[3]) : 16;
    int updates = args.length > 4 ? Integer.parseInt(args[4]) : 1;
    int writers = args.length > 5 ? Integer.parseInt(args[5]) : JdbcTransactionStore.writersFor(pool);
    db.recreate(AREA);
    try (JdbcTransactionStore store = JdbcTransactionStore.open(db.options(AREA).withPoolSize(pool), writers)) {
      System.out.printf(Locale.ROOT, "%s, record %d bytes, %d threads, pool %d, %d update(s) per transaction,"
              + " %d writers, %d cores%n", db, RecordCodec.encode(saga("x", Instant.now())).length, threads, pool,
          updates, writers, Runtime.getRuntime().availableProcessors());
      run(store, "warm-up", threads, updates, Duration.ofSeconds(3));
      run(store, "load", threads, updates, Duration.ofSeconds(seconds));
      run(store, "one thread", 1, updates, Duration.ofSeconds(3));
    }
  }

  private static void run(JdbcTransactionStore store, String phase, int threads, int updates, Duration duration)
      throws Exception {
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong done = new AtomicLong();
    AtomicLong latencyNanos = new AtomicLong();
    String run = phase.replace(' ', '-') + "-" + System.nanoTime() + "-";
    long batches0 = store.writer().batches();
    long writes0 = store.writer().writes();
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> futures = new ArrayList<>();
      futures.add(pool.submit(() -> {
        while (!stop.get()) {
          store.claimDue(Instant.now(), 100, "probe", Instant.now().plusSeconds(30));
          Thread.sleep(100);
        }
        return null;
      }));
      for (int i = 0; i < threads; i++) {
        int thread = i;
        futures.add(pool.submit(() -> {
          for (long n = 0; !stop.get(); n++) {
            long began = System.nanoTime();
            Instant now = Instant.now();
            Transaction t = store.insert(saga(run + thread + "-" + n, now)).stored();
            for (int u = 1; u <= updates; u++) {
              Instant later = now.plusMillis(u);
              Transaction next = u < updates
                  ? t.withBranch(1, t.branches().get(1).transition(BranchStatus.SUCCEED, later, null))
                  : t.transition(GlobalStatus.SUCCEED, later, null).withSchedule(null, t.retryInterval(), 0, "");
              next = next.withVersion(t.version() + 1);
              if (!store.update(next, t.version())) {
                throw new IllegalStateException("lost update of " + t.gid());
              }
              t = next;
            }
            latencyNanos.addAndGet(System.nanoTime() - began);
            done.incrementAndGet();
          }
          return null;
        }));
      }
      Thread.sleep(duration.toMillis());
      stop.set(true);
      for (Future<?> f : futures) {
        f.get();
      }
    }
    double secs = (System.nanoTime() - t0) / 1e9;
    double cores = (os.getProcessCpuTime() - cpu0) / 1e9 / secs;
    long n = done.get();
    System.out.printf(Locale.ROOT, "%-10s %8.0f tx/s  %8.0f writes/s  mean %.2f ms per transaction  probe JVM %.2f"
            + " cores, %.1f writes per batch%n", phase, n / secs, n * (1 + updates) / secs,
        latencyNanos.get() / 1e6 / Math.max(1, n), cores,
        (store.writer().writes() - writes0) / (double) Math.max(1, store.writer().batches() - batches0));
  }

  /** A submitted 2-step saga with empty URLs (four branch rows), leased to this node, as the engine inserts it. */
  private static Transaction saga(String gid, Instant now) {
    List<Branch> branches = List.of(
        new Branch("01", "compensate", "", "{\"amount\":30,\"user\":1}".getBytes(UTF_8), BranchStatus.PREPARED, 0,
            now, now, null, null),
        new Branch("01", "action", "", "{\"amount\":30,\"user\":1}".getBytes(UTF_8), BranchStatus.PREPARED, 0, now,
            now, null, null),
        new Branch("02", "compensate", "", "{\"amount\":30,\"user\":2}".getBytes(UTF_8), BranchStatus.PREPARED, 0,
            now, now, null, null),
        new Branch("02", "action", "", "{\"amount\":30,\"user\":2}".getBytes(UTF_8), BranchStatus.PREPARED, 0, now,
            now, null, null));
    return new Transaction(0, gid, TransType.SAGA, GlobalStatus.SUBMITTED, "http", "", "", TransOptions.DEFAULTS,
        branches, now, now, null, null, null, null, now.plusSeconds(30), Duration.ofSeconds(10), 0, "node-1", 1);
  }
}
