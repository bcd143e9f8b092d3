package io.cohort.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Where the CPU went during the measurement window: the bench's own process, the coordinator's (when its pid is
 * known), and the whole machine from {@code /proc/stat} (so a noisy neighbour shows up as "other"). Readings are
 * cumulative CPU times taken at the window's start and end.
 */
final class CpuMeter {
  private static final double USER_HZ = 100.0; // /proc/stat ticks; 100 on every Linux the JDK runs on

  private final ProcessHandle coordinator;
  private long wallStart;
  private long benchStart;
  private long coordStart;
  private long[] machineStart;

  /** @param coordinator the coordinator's process, or null when it is not known (an external --target) */
  CpuMeter(ProcessHandle coordinator) {
    this.coordinator = coordinator;
  }

  void begin() {
    wallStart = System.nanoTime();
    benchStart = cpuNanos(ProcessHandle.current());
    coordStart = cpuNanos(coordinator);
    machineStart = machine();
  }

  /** The usage since {@link #begin}, in cores (CPU seconds per wall second). */
  Usage end() {
    double wall = (System.nanoTime() - wallStart) / 1e9;
    double bench = (cpuNanos(ProcessHandle.current()) - benchStart) / 1e9 / wall;
    double coord = coordinator == null ? Double.NaN : (cpuNanos(coordinator) - coordStart) / 1e9 / wall;
    long[] m = machine();
    double busy = Double.NaN;
    double steal = Double.NaN;
    if (m != null && machineStart != null) {
      busy = (m[0] - machineStart[0]) / USER_HZ / wall;
      steal = (m[1] - machineStart[1]) / USER_HZ / wall;
    }
    return new Usage(wall, bench, coord, busy, steal, Runtime.getRuntime().availableProcessors());
  }

  /**
   * @param bench cores used by the bench
   * @param coordinator cores used by the coordinator (NaN when unknown)
   * @param machineBusy cores busy machine-wide (NaN when /proc/stat is unreadable)
   * @param steal cores taken by the hypervisor from this virtual machine (NaN when unknown)
   */
  record Usage(double wallSeconds, double bench, double coordinator, double machineBusy, double steal, int cores) {
    String describe(long transactions) {
      StringBuilder sb = new StringBuilder();
      sb.append(String.format(Locale.ROOT, "bench %.2f cores", bench));
      if (!Double.isNaN(coordinator)) {
        sb.append(String.format(Locale.ROOT, ", coordinator %.2f cores", coordinator));
      }
      if (!Double.isNaN(machineBusy)) {
        double other = machineBusy - bench - (Double.isNaN(coordinator) ? 0 : coordinator);
        sb.append(String.format(Locale.ROOT, ", machine %.2f of %d busy (%s %.2f)", machineBusy, cores,
            Double.isNaN(coordinator) ? "everything else" : "other processes", Math.max(0, other)));
        if (steal >= 0.01) {
          sb.append(String.format(Locale.ROOT, ", stolen by the hypervisor %.2f", steal));
        }
      }
      if (transactions > 0) {
        double perTx = 1e6 * wallSeconds / transactions;
        if (!Double.isNaN(coordinator)) {
          sb.append(String.format(Locale.ROOT, "; per tx: coordinator %.0f µs", coordinator * perTx));
          sb.append(String.format(Locale.ROOT, ", bench %.0f µs", bench * perTx));
        } else {
          sb.append(String.format(Locale.ROOT, "; per tx: bench %.0f µs", bench * perTx));
        }
      }
      return sb.toString();
    }
  }

  private static long cpuNanos(ProcessHandle p) {
    if (p == null) {
      return 0;
    }
    return p.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
  }

  /** {busy ticks} from the first line of /proc/stat, or null. */
  private static long[] machine() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/stat"));
      String[] f = lines.get(0).trim().split("\\s+");
      // cpu user nice system idle iowait irq softirq steal ...
      long busy = 0;
      for (int i : new int[] {1, 2, 3, 6, 7}) {
        busy += Long.parseLong(f[i]);
      }
      long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
      return new long[] {busy, steal};
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
