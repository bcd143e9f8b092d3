package io.cohort.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;
import org.eclipse.jetty.client.ContentResponse;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cohort-bench}: measures a Cohort (or any DTM-compatible) coordinator over HTTP. See docs/benchmarks.md.
 *
 * <p>Exit status: 0 when every measured transaction was acknowledged with 200 SUCCESS and every sampled gid checked
 * out; 1 when there were errors or verification problems; 2 for bad arguments or when the coordinator cannot be
 * reached or started.
 */
@Command(name = "cohort-bench", mixinStandardHelpOptions = true, version = "cohort-bench 0.1.0", sortOptions = false,
    description = {"Load generator for Cohort: submits 2-step sagas (wait_result=true) over HTTP and reports "
        + "transactions/s, latency percentiles and errors.",
        "Closed loop with --clients N, or open loop with --rate R (latency from the scheduled send time)."})
public final class BenchMain implements Callable<Integer> {

  @Option(names = "--target", paramLabel = "URL", defaultValue = "http://127.0.0.1:36789",
      description = "Coordinator to drive (ignored with --start-server). Default: ${DEFAULT-VALUE}")
  URI target;

  @Option(names = "--start-server", paramLabel = "JAR",
      description = "Start cohort-server.jar as a child JVM on loopback with a fresh temporary data directory "
          + "(embedded store), drive it, and stop it after.")
  Path serverJar;

  @Option(names = "--server-jvm-opts", paramLabel = "FLAGS", defaultValue = "-Xms1g -Xmx1g -XX:+AlwaysPreTouch",
      description = "JVM flags of the child coordinator, space-separated, e.g. "
          + "\"-Xmx1g -XX:StartFlightRecording=duration=30s,filename=/tmp/cohort.jfr\". Default: ${DEFAULT-VALUE}")
  String serverJvmOpts;

  @Option(names = "--server-sync", paramLabel = "BOOL", defaultValue = "true", arity = "1",
      description = "store.embedded.sync of the child coordinator (durable: true). Default: ${DEFAULT-VALUE}")
  boolean serverSync;

  @Option(names = "--server-arg", paramLabel = "FLAG",
      description = "An extra flag for the child coordinator, e.g. --server-arg=--scheduler.poll-interval=1s "
          + "(repeatable).")
  List<String> serverArgs = new ArrayList<>();

  @Option(names = "--keep-data", description = "Keep the child's data directory and server.log.")
  boolean keepData;

  @Option(names = "--scenario", paramLabel = "NAME", defaultValue = "saga-empty",
      description = "saga-empty (empty branch URLs: coordinator cost only) or saga-http (4 branch URLs on the "
          + "bench's own loopback participants). Default: ${DEFAULT-VALUE}")
  String scenario;

  @Option(names = "--clients", paramLabel = "N",
      description = "Closed loop: N clients, each submitting back-to-back (default 64 when --rate is not given).")
  Integer clients;

  @Option(names = "--rate", paramLabel = "TX_PER_S",
      description = "Open loop: submit at this fixed rate (ramping up from 10%% during the warm-up); latency counts "
          + "from each scheduled send time.")
  Double rate;

  @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "30s",
      description = "Measurement window. Default: ${DEFAULT-VALUE}")
  String duration;

  @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "10s",
      description = "Load before the window, not measured (JIT, connections, store). Default: ${DEFAULT-VALUE}")
  String warmup;

  @Option(names = "--connections", paramLabel = "N",
      description = "Most HTTP connections to the coordinator (default: the client count; 1024 in open loop).")
  Integer connections;

  @Option(names = "--max-in-flight", paramLabel = "N", defaultValue = "20000",
      description = "Open loop: most outstanding transactions; the pacer waits beyond it (and the wait counts as "
          + "latency). Default: ${DEFAULT-VALUE}")
  int maxInFlight;

  @Option(names = "--request-timeout", paramLabel = "DURATION", defaultValue = "30s",
      description = "Timeout of one submit; a timed-out submit is an error. Default: ${DEFAULT-VALUE}")
  String requestTimeout;

  @Option(names = "--verify", paramLabel = "N", defaultValue = "200",
      description = "After the run, query this many sampled acknowledged gids and check they are stored as "
          + "succeed (0 to skip). Default: ${DEFAULT-VALUE}")
  int verify;

  @Option(names = "--participant-port", paramLabel = "PORT", defaultValue = "0",
      description = "saga-http: port of the bench's participant server (0: any free port). Default: ${DEFAULT-VALUE}")
  int participantPort;

  @Option(names = "--coordinator-pid", paramLabel = "PID",
      description = "With --target: the coordinator's process id, to report its CPU use.")
  Long coordinatorPid;

  @Option(names = "--count-syncs",
      description = "Count the coordinator's fdatasync/fsync calls in the window with Linux perf (needs perf and the "
          + "coordinator's pid: --start-server or --coordinator-pid).")
  boolean countSyncs;

  @Option(names = "--quiet", description = "No per-second progress lines.")
  boolean quiet;

  private final PrintStream out = System.out;

  public static void main(String[] args) {
    // Jetty logs through SLF4J; the bench brings no binding, so choose SLF4J's no-op explicitly (no warning banner).
    System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
    System.setProperty("slf4j.internal.verbosity", "WARN");
    CommandLine cl = new CommandLine(new BenchMain());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    System.exit(cl.execute(args));
  }

  @Override
  public Integer call() throws Exception {
    Settings s;
    try {
      s = settings();
    } catch (IllegalArgumentException e) {
      System.err.println("cohort-bench: " + e.getMessage());
      return 2;
    }
    printMachine();
    ChildCoordinator child = null;
    Participants participants = null;
    try {
      if (serverJar != null) {
        try {
          child = ChildCoordinator.start(serverJar, splitFlags(serverJvmOpts), serverSync, serverArgs, keepData, out);
        } catch (IOException | IllegalArgumentException e) {
          System.err.println("cohort-bench: cannot start the coordinator: " + e.getMessage());
          return 2;
        }
        target = child.uri();
      }
      if (s.scenario.needsParticipants()) {
        participants = new Participants(participantPort);
        out.println("participants: " + participants.baseUrl() + "/saga/step{1,2}/{action,compensate}");
      }
      return run(s, child, participants);
    } finally {
      if (participants != null) {
        participants.close();
      }
      if (child != null) {
        child.close();
      }
    }
  }

  /** The validated arguments. */
  record Settings(Scenario scenario, boolean open, int clients, double rate, Duration warmup, Duration duration,
      Duration timeout, int connections) {}

  Settings settings() {
    Scenario sc = Scenario.fromWire(scenario);
    Duration w = Durations.parse(warmup);
    Duration d = Durations.parse(duration);
    Duration t = Durations.parse(requestTimeout);
    if (d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException("--duration must be positive");
    }
    if (w.isNegative()) {
      throw new IllegalArgumentException("--warmup must not be negative");
    }
    if (rate != null && clients != null) {
      throw new IllegalArgumentException("give --clients (closed loop) or --rate (open loop), not both");
    }
    boolean open = rate != null;
    if (open && !(rate > 0)) {
      throw new IllegalArgumentException("--rate must be positive");
    }
    int n = clients == null ? 64 : clients;
    if (n < 1) {
      throw new IllegalArgumentException("--clients must be at least 1");
    }
    if (maxInFlight < 1) {
      throw new IllegalArgumentException("--max-in-flight must be at least 1");
    }
    int conns = connections != null ? connections : open ? 1024 : n;
    if (conns < 1) {
      throw new IllegalArgumentException("--connections must be at least 1");
    }
    if (target == null || target.getHost() == null) {
      throw new IllegalArgumentException("--target must be a URL such as http://127.0.0.1:36789");
    }
    return new Settings(sc, open, n, open ? rate : 0, w, d, t, conns);
  }

  private int run(Settings s, ChildCoordinator child, Participants participants) throws Exception {
    ObjectMapper json = new ObjectMapper();
    Scenario.Body body = s.scenario.body(participants == null ? "" : participants.baseUrl(), json);
    String gidPrefix = "bench-" + Long.toString(System.currentTimeMillis(), 36) + "-";
    int maxQueued = s.open ? maxInFlight + s.connections : s.clients + s.connections;
    try (LoadRunner runner = new LoadRunner(target, body, gidPrefix, s.connections, maxQueued, s.timeout)) {
      if (child == null && !ping(runner)) {
        return 2;
      }
      ProcessHandle coordinator = child != null ? child.handle()
          : coordinatorPid != null ? ProcessHandle.of(coordinatorPid).orElse(null) : null;
      CpuMeter cpu = new CpuMeter(coordinator);
      out.printf(Locale.ROOT, "target %s, scenario %s, %s, warm-up %s, window %s, %d connections%n", target,
          s.scenario.wire(), s.open ? String.format(Locale.ROOT, "open loop at %.0f tx/s", s.rate)
              : "closed loop with " + s.clients + " clients",
          Durations.human(s.warmup), Durations.human(s.duration), s.connections);

      long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
      long measureStart = t0 + s.warmup.toNanos();
      long measureEnd = measureStart + s.duration.toNanos();
      RunStats stats = new RunStats(measureStart, measureEnd, verify);
      sleepUntil(t0);
      if (s.open) {
        runner.startOpen(s.rate, maxInFlight, t0, s.warmup.toNanos(), stats);
      } else {
        runner.startClosed(s.clients, stats);
      }
      SyncCounter[] syncs = new SyncCounter[1];
      Runnable atWindowStart = () -> {
        if (countSyncs && coordinator != null) {
          syncs[0] = SyncCounter.start(coordinator.pid(), s.duration, System.err);
        }
      };
      CpuMeter.Usage usage = timeline(stats, cpu, t0, atWindowStart);
      boolean drained = runner.stopAndDrain(s.timeout.plusSeconds(5));
      Histogram h = stats.measuredLatencies();
      long ok = stats.okInWindow.sum();
      double tps = ok / (s.duration.toNanos() / 1e9);
      long errors = stats.measuredErrors.sum();

      out.println();
      out.println("== result ==");
      out.println("scenario     " + s.scenario.wire() + ": " + s.scenario.description());
      out.println("load         " + (s.open ? String.format(Locale.ROOT, "open loop, %.0f tx/s offered (%.0f sent in "
          + "the window)", s.rate, (double) h.getTotalCount() + errors) : "closed loop, " + s.clients + " clients"));
      out.printf(Locale.ROOT, "throughput   %,.0f tx/s  (%,d acknowledged SUCCESS inside the %s window)%n", tps, ok,
          Durations.human(s.duration));
      out.println("steadiness   " + steadiness(stats.perSecond()));
      out.printf(Locale.ROOT, "latency      p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (%,d measured%s)%n",
          ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(90)), ms(h.getValueAtPercentile(99)),
          ms(h.getValueAtPercentile(99.9)), ms(h.getMaxValue()), h.getTotalCount(),
          s.open ? ", from scheduled send time" : "");
      out.printf(Locale.ROOT, "errors       %,d in the window, %,d in warm-up%s%n", errors, stats.warmupErrors.sum(),
          drained ? "" : "; " + stats.inFlight() + " still outstanding after the drain timeout");
      for (Map.Entry<String, Long> e : stats.errorKinds().entrySet()) {
        out.printf(Locale.ROOT, "             %,d × %s%n", e.getValue(), e.getKey());
      }
      for (String sample : stats.errorSamples()) {
        out.println("  sample     " + sample);
      }
      out.println("cpu          " + usage.describe(ok));
      double txPerSync = Double.NaN;
      if (syncs[0] != null) {
        SyncCounter.Count c = syncs[0].await();
        if (c.syncs() < 0) {
          out.println("syncs        not counted: " + c.problem());
        } else {
          txPerSync = c.syncs() == 0 ? Double.NaN : ok / (double) c.syncs();
          out.printf(Locale.ROOT, "syncs        %,d fdatasync/fsync by the coordinator in the window: %,.0f/s, "
              + "%.1f acknowledged tx per sync%n", c.syncs(), c.syncs() / (s.duration.toNanos() / 1e9), txPerSync);
        }
      } else if (countSyncs) {
        out.println("syncs        not counted: the coordinator's pid is unknown (use --coordinator-pid)");
      }
      if (participants != null) {
        long acked = stats.okAll.sum();
        out.printf(Locale.ROOT, "participants %,d action calls (%.2f per acknowledged tx), %,d compensate calls, "
                + "%,d connections opened%n", participants.actions.sum(),
            acked == 0 ? 0.0 : participants.actions.sum() / (double) acked, participants.compensations.sum(),
            participants.connectionsOpened.sum());
      }
      boolean verified = true;
      if (verify > 0) {
        List<String> sample = stats.gidSample();
        Verifier.Outcome v = new Verifier(runner.client(), target, json).verify(sample);
        verified = v.problems().isEmpty();
        out.printf(Locale.ROOT, "verify       %d of %d sampled gids stored as succeed with both actions succeed%n",
            v.checked() - v.problems().size(), v.checked());
        v.problems().stream().limit(10).forEach(p -> out.println("  problem    " + p));
      }
      out.printf(Locale.ROOT, "RESULT scenario=%s mode=%s %s tps=%.0f p50_ms=%s p90_ms=%s p99_ms=%s max_ms=%s "
              + "errors=%d bench_cores=%.2f coord_cores=%.2f machine_cores=%.2f tx_per_sync=%.1f thirds=%s%n",
          s.scenario.wire(), s.open ? "open" : "closed",
          s.open ? String.format(Locale.ROOT, "rate=%.0f", s.rate) : "clients=" + s.clients, tps,
          num(h.getValueAtPercentile(50)), num(h.getValueAtPercentile(90)), num(h.getValueAtPercentile(99)),
          num(h.getMaxValue()), errors, usage.bench(), usage.coordinator(), usage.machineBusy(), txPerSync,
          thirds(stats.perSecond()));
      return errors == 0 && verified && drained ? 0 : 1;
    }
  }

  /** Prints a progress line every second; takes the CPU readings at the window's edges. */
  private CpuMeter.Usage timeline(RunStats stats, CpuMeter cpu, long t0, Runnable atWindowStart)
      throws InterruptedException {
    boolean begun = false;
    long tick = t0;
    long lastCompleted = 0;
    long lastErrors = 0;
    while (true) {
      long next = Math.min(tick + TimeUnit.SECONDS.toNanos(1), begun ? stats.measureEnd : stats.measureStart);
      sleepUntil(next);
      long now = System.nanoTime();
      if (!begun && now >= stats.measureStart) {
        atWindowStart.run();
        cpu.begin();
        begun = true;
      }
      if (now >= stats.measureEnd) {
        return cpu.end();
      }
      if (now - tick >= TimeUnit.MILLISECONDS.toNanos(999)) {
        Histogram h = stats.progressInterval();
        long completed = stats.okAll.sum();
        long errs = stats.progressErrors.sum();
        double secs = (now - tick) / 1e9;
        if (!quiet) {
          out.printf(Locale.ROOT, "[%4.0fs %-7s] %,8.0f tx/s  p50 %s  p99 %s  max %s  in-flight %,d  errors %,d%n",
              (now - t0) / 1e9, now < stats.measureStart ? "warm-up" : "measure", (completed - lastCompleted) / secs,
              ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(99)), ms(h.getMaxValue()), stats.inFlight(),
              errs - lastErrors);
        }
        lastCompleted = completed;
        lastErrors = errs;
        tick = now;
      }
    }
  }

  /** Mean acknowledged tx/s in each third of the window. */
  static double[] thirdsOf(long[] perSecond) {
    int n = perSecond.length;
    double[] thirds = new double[3];
    for (int t = 0; t < 3; t++) {
      int from = Math.min(t * n / 3, n - 1);
      int to = Math.max(from + 1, (t + 1) * n / 3);
      long sum = 0;
      for (int i = from; i < to; i++) {
        sum += perSecond[i];
      }
      thirds[t] = sum / (double) (to - from);
    }
    return thirds;
  }

  /** {@code 22100/7800/5600}: the thirds for the RESULT line. */
  static String thirds(long[] perSecond) {
    double[] t = thirdsOf(perSecond);
    return Math.round(t[0]) + "/" + Math.round(t[1]) + "/" + Math.round(t[2]);
  }

  /**
   * The window's thirds side by side ({@code 22,100 / 7,800 / 5,600 tx/s}), and a warning when the last third fell
   * below 80% of the best one: the average then hides a change of regime (a compaction, a GC, a neighbour).
   */
  static String steadiness(long[] perSecond) {
    if (perSecond.length < 3) {
      return "window too short to judge";
    }
    double[] t = thirdsOf(perSecond);
    long min = Long.MAX_VALUE;
    long max = 0;
    for (long v : perSecond) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    double best = Math.max(t[0], Math.max(t[1], t[2]));
    String verdict = best > 0 && t[2] < 0.8 * best
        ? String.format(Locale.ROOT, "  NOT STEADY: the last third ran at %.0f%% of the best", 100 * t[2] / best)
        : "";
    return String.format(Locale.ROOT, "%,.0f / %,.0f / %,.0f tx/s by thirds of the window (seconds: min %,d, max %,d)%s",
        t[0], t[1], t[2], min, max, verdict);
  }

  private boolean ping(LoadRunner runner) {
    try {
      ContentResponse r = runner.client().newRequest(target.resolve("/api/ping")).timeout(5, TimeUnit.SECONDS).send();
      if (r.getStatus() == 200) {
        return true;
      }
      System.err.println("cohort-bench: " + target + "/api/ping answered HTTP " + r.getStatus());
    } catch (Exception e) {
      System.err.println("cohort-bench: cannot reach the coordinator at " + target + ": " + e
          + " (start one, or use --start-server cohort-server/target/cohort-server.jar)");
    }
    return false;
  }

  private void printMachine() {
    String model = "?";
    try {
      model = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
          .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    out.printf(Locale.ROOT, "machine: %d cores (%s), JDK %s (%s), %s %s%n", Runtime.getRuntime().availableProcessors(),
        model, System.getProperty("java.version"), System.getProperty("java.vm.name"), System.getProperty("os.name"),
        System.getProperty("os.arch"));
  }

  static List<String> splitFlags(String flags) {
    if (flags == null || flags.isBlank()) {
      return List.of();
    }
    return Arrays.stream(flags.trim().split("\\s+")).toList();
  }

  private static void sleepUntil(long nanos) throws InterruptedException {
    long wait = nanos - System.nanoTime();
    if (wait > 0) {
      TimeUnit.NANOSECONDS.sleep(wait);
    }
  }

  /** Microseconds as milliseconds for humans: {@code 3.10 ms}. */
  static String ms(long micros) {
    return num(micros) + " ms";
  }

  static String num(long micros) {
    double v = micros / 1000.0;
    return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : v >= 10 ? String.format(Locale.ROOT, "%.1f", v)
        : String.format(Locale.ROOT, "%.2f", v);
  }
}
