package io.cohort.store.embedded;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.cohort.core.codec.RecordCodec;
import io.cohort.core.model.Branch;
import io.cohort.core.model.TransOptions;
import io.cohort.core.model.Transaction;
import io.cohort.protocol.BranchStatus;
import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.TransType;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * A throughput measurement, not a test: {@code threads} virtual threads each run transactions in a loop (insert,
 * then two compare-and-set updates: a branch done, then the transaction final), against a fresh store in a temp
 * directory with synced writes, then one thread alone to show latency without load.
 *
 * <pre>
 * java -cp ... io.cohort.store.embedded.GroupCommitProbe [threads=64] [seconds=10] [sync=true]
 * </pre>
 */
final class GroupCommitProbe {
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00.123Z");

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    boolean sync = args.length <= 2 || Boolean.parseBoolean(args[2]);
    Path dir = Files.createTempDirectory("cohort-group-commit-probe");
    try (EmbeddedTransactionStore store = EmbeddedTransactionStore.open(dir,
        EmbeddedStoreOptions.DEFAULTS.withSyncWrites(sync))) {
      System.out.printf(Locale.ROOT, "record size %d bytes, sync=%s, %d cores%n",
          RecordCodec.encode(transaction("x")).length, sync, Runtime.getRuntime().availableProcessors());
      run(store, "warm-up", threads, Duration.ofSeconds(3));
      run(store, "load", threads, Duration.ofSeconds(seconds));
      run(store, "one thread", 1, Duration.ofSeconds(3));
    } finally {
      deleteRecursively(dir);
    }
  }

  private static void run(EmbeddedTransactionStore store, String phase, int threads, Duration duration)
      throws Exception {
    GroupCommitWriter writer = store.writer();
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long writerThread = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("cohort-store-writer")).findFirst().orElseThrow().threadId();
    long writerAllocated0 = mx.getThreadAllocatedBytes(writerThread);
    long allAllocated0 = mx.getTotalThreadAllocatedBytes();
    long batches0 = writer.batches();
    long requests0 = writer.requests();
    long start = System.nanoTime();
    long deadline = start + duration.toNanos();
    List<Future<Histogram>> results = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < threads; i++) {
        String prefix = phase.charAt(0) + "-" + i + "-";
        results.add(pool.submit(() -> loop(store, prefix, deadline)));
      }
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    Histogram all = new Histogram();
    for (Future<Histogram> f : results) {
      all.add(f.get());
    }
    long writes = all.count;
    long writerAllocated = mx.getThreadAllocatedBytes(writerThread) - writerAllocated0;
    long allAllocated = mx.getTotalThreadAllocatedBytes() - allAllocated0;
    long batches = writer.batches() - batches0;
    long requests = writer.requests() - requests0;
    System.out.printf(Locale.ROOT,
        "%-10s %3d threads: %,9.0f transactions/s  %,9.0f writes/s  | %,d synced batches, %.1f writes/batch"
            + " (largest so far %d) | write latency p50 %s  p99 %s  max %s | allocated per write: writer thread %d B,"
            + " whole process (probe's own transaction building included) %d B%n",
        phase, threads, writes / 3.0 / elapsed, writes / elapsed, batches, (double) requests / Math.max(1, batches),
        writer.largestBatch(), micros(all.percentile(0.50)), micros(all.percentile(0.99)), micros(all.max),
        writerAllocated / Math.max(1, writes), allAllocated / Math.max(1, writes));
  }

  private static Histogram loop(EmbeddedTransactionStore store, String prefix, long deadline) {
    Histogram h = new Histogram();
    for (long n = 0; System.nanoTime() < deadline; n++) {
      long t0 = System.nanoTime();
      Transaction stored = store.insert(transaction(prefix + n)).stored();
      long t1 = System.nanoTime();
      Instant now = T0.plusMillis(n);
      Transaction running = stored.withBranch(1, stored.branches().get(1).dispatched(now)
              .transition(BranchStatus.SUCCEED, now, null))
          .withSchedule(now.plusSeconds(13), stored.retryInterval(), 0, "node-1")
          .withVersion(stored.version() + 1);
      if (!store.update(running, stored.version())) {
        throw new IllegalStateException("lost an uncontended update");
      }
      long t2 = System.nanoTime();
      Transaction done = running.withBranch(3, running.branches().get(3).dispatched(now)
              .transition(BranchStatus.SUCCEED, now, null))
          .transition(GlobalStatus.SUCCEED, now, null)
          .withSchedule(null, running.retryInterval(), 0, "")
          .withVersion(running.version() + 1);
      if (!store.update(done, running.version())) {
        throw new IllegalStateException("lost an uncontended update");
      }
      long t3 = System.nanoTime();
      h.record(t1 - t0);
      h.record(t2 - t1);
      h.record(t3 - t2);
    }
    return h;
  }

  /** A two-step saga as the engine would submit it: four branches with small JSON bodies. */
  static Transaction transaction(String gid) {
    List<Branch> branches = List.of(
        Branch.create("01", "compensate", "http://svc-a:8080/api/trans/out/compensate",
            "{\"amount\":30,\"user\":\"u-1\"}".getBytes(UTF_8), T0),
        Branch.create("01", "action", "http://svc-a:8080/api/trans/out",
            "{\"amount\":30,\"user\":\"u-1\"}".getBytes(UTF_8), T0),
        Branch.create("02", "compensate", "http://svc-b:8080/api/trans/in/compensate",
            "{\"amount\":30,\"user\":\"u-2\"}".getBytes(UTF_8), T0),
        Branch.create("02", "action", "http://svc-b:8080/api/trans/in",
            "{\"amount\":30,\"user\":\"u-2\"}".getBytes(UTF_8), T0));
    return new Transaction(0, gid, TransType.SAGA, GlobalStatus.SUBMITTED, "http", "", "",
        new TransOptions(null, Duration.ofSeconds(3), Duration.ofSeconds(10), 0, Map.of(), false, Map.of(), null),
        branches, T0, T0, null, null, null, null, T0.plusSeconds(13), Duration.ofSeconds(10), 0, "node-1", 1);
  }

  private static String micros(long nanos) {
    return nanos < 10_000_000 ? String.format(Locale.ROOT, "%.0fus", nanos / 1e3)
        : String.format(Locale.ROOT, "%.1fms", nanos / 1e6);
  }

  /** Log-linear buckets (16 per power of two, about 4% wide): constant memory, no allocation per sample. */
  private static final class Histogram {
    private final long[] buckets = new long[64 * 16];
    long count;
    long max;

    void record(long nanos) {
      long v = Math.max(1, nanos);
      int exp = 63 - Long.numberOfLeadingZeros(v);
      int sub = exp >= 4 ? (int) ((v >>> (exp - 4)) & 15) : (int) (v & 15);
      buckets[exp * 16 + sub]++;
      count++;
      max = Math.max(max, nanos);
    }

    void add(Histogram other) {
      for (int i = 0; i < buckets.length; i++) {
        buckets[i] += other.buckets[i];
      }
      count += other.count;
      max = Math.max(max, other.max);
    }

    long percentile(double p) {
      long target = (long) Math.ceil(p * count);
      long seen = 0;
      for (int i = 0; i < buckets.length; i++) {
        seen += buckets[i];
        if (seen >= target && buckets[i] > 0) {
          int exp = i / 16;
          int sub = i % 16;
          return exp >= 4 ? ((16L + sub) << (exp - 4)) : sub;
        }
      }
      return max;
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private GroupCommitProbe() {}
}
