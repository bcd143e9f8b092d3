package io.cohort.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What a run observed. Recorded from the HTTP client's callback threads, so every field is safe for concurrent
 * writers and none takes a lock on the success path.
 *
 * <p><b>Which transactions count.</b> A transaction belongs to the measurement when its <em>intended</em> send time
 * (the moment a closed-loop client was ready, or the open-loop schedule's slot) lies in {@code [measureStart,
 * measureEnd)}; its latency is completion minus intended send time, and the run waits for all of them to complete.
 * Throughput is the number of acknowledged transactions that <em>completed</em> inside the window, divided by its
 * length, so the ramp-down at the end does not count.
 *
 * <p>Latencies are kept in microseconds in HdrHistogram recorders (3 significant digits, auto-resizing): one for the
 * measured transactions, one drained every second for the progress lines.
 */
final class RunStats {
  private static final int MAX_SAMPLES = 10;
  private static final int MAX_SAMPLE_LENGTH = 300;

  final long measureStart;
  final long measureEnd;
  private final Recorder measured = new Recorder(3);
  private final Recorder progress = new Recorder(3);
  private final Histogram measuredTotal = new Histogram(3);
  final LongAdder sent = new LongAdder();
  final LongAdder completed = new LongAdder();
  final LongAdder okInWindow = new LongAdder();
  final LongAdder okAll = new LongAdder();
  final LongAdder measuredOk = new LongAdder();
  final LongAdder measuredErrors = new LongAdder();
  final LongAdder warmupErrors = new LongAdder();
  final LongAdder progressErrors = new LongAdder();
  private final Map<String, LongAdder> errorKinds = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<String> errorSamples = new ConcurrentLinkedQueue<>();
  private final AtomicInteger sampled = new AtomicInteger();
  private final AtomicReferenceArray<String> gidSample;
  /** Acknowledged completions per second of the window, to show whether the throughput was steady. */
  private final AtomicLongArray perSecond;
  private final LongAdder gidSeen = new LongAdder();

  RunStats(long measureStart, long measureEnd, int gidSampleSize) {
    this.measureStart = measureStart;
    this.measureEnd = measureEnd;
    this.gidSample = new AtomicReferenceArray<>(Math.max(0, gidSampleSize));
    this.perSecond = new AtomicLongArray((int) Math.max(1, (measureEnd - measureStart + 999_999_999L) / 1_000_000_000L));
  }

  boolean inWindow(long nanos) {
    return nanos >= measureStart && nanos < measureEnd;
  }

  void sent() {
    sent.increment();
  }

  /** A transaction acknowledged with 200 SUCCESS. */
  void success(String gid, long intended, long end) {
    long micros = Math.max(0, (end - intended) / 1000);
    progress.recordValue(micros);
    okAll.increment();
    if (inWindow(end)) {
      okInWindow.increment();
      perSecond.incrementAndGet((int) Math.min(perSecond.length() - 1, (end - measureStart) / 1_000_000_000L));
    }
    if (inWindow(intended)) {
      measured.recordValue(micros);
      measuredOk.increment();
      sampleGid(gid);
    }
    completed.increment();
  }

  /** Anything but 200 SUCCESS: another status, another body, a transport error or a timeout. */
  void failure(long intended, long end, String kind, String detail) {
    progressErrors.increment();
    if (inWindow(intended)) {
      measuredErrors.increment();
    } else {
      warmupErrors.increment();
    }
    errorKinds.computeIfAbsent(kind, k -> new LongAdder()).increment();
    if (sampled.get() < MAX_SAMPLES && sampled.incrementAndGet() <= MAX_SAMPLES) {
      String d = detail == null ? "" : detail.length() > MAX_SAMPLE_LENGTH ? detail.substring(0, MAX_SAMPLE_LENGTH) + "…" : detail;
      errorSamples.add(kind + ": " + d);
    }
    completed.increment();
  }

  long inFlight() {
    return sent.sum() - completed.sum();
  }

  /** Reservoir sample of acknowledged measured gids (races only perturb which gids are kept, harmlessly). */
  private void sampleGid(String gid) {
    int size = gidSample.length();
    if (size == 0) {
      return;
    }
    gidSeen.increment();
    long n = gidSeen.sum();
    if (n <= size) {
      gidSample.set((int) (n - 1), gid);
    } else {
      long j = ThreadLocalRandom.current().nextLong(n);
      if (j < size) {
        gidSample.set((int) j, gid);
      }
    }
  }

  List<String> gidSample() {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < gidSample.length(); i++) {
      String g = gidSample.get(i);
      if (g != null) {
        out.add(g);
      }
    }
    return out;
  }

  /** The latencies recorded since the previous call (for the per-second progress line). */
  Histogram progressInterval() {
    return progress.getIntervalHistogram();
  }

  /** All measured latencies so far, in microseconds. Call from one thread. */
  synchronized Histogram measuredLatencies() {
    measuredTotal.add(measured.getIntervalHistogram());
    return measuredTotal.copy();
  }

  Map<String, Long> errorKinds() {
    Map<String, Long> out = new TreeMap<>();
    errorKinds.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** Acknowledged transactions per second in each whole second of the window. */
  long[] perSecond() {
    long[] out = new long[perSecond.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = perSecond.get(i);
    }
    return out;
  }

  List<String> errorSamples() {
    return List.copyOf(errorSamples);
  }
}
