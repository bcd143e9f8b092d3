package io.cohort.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Counts the coordinator's {@code fdatasync}/{@code fsync} calls during the measurement window with Linux
 * {@code perf stat} on the syscall tracepoints ({@code --count-syncs}). Counting a tracepoint costs the coordinator
 * next to nothing, unlike strace. With the embedded store every synced group commit is one {@code fdatasync} of the
 * RocksDB write-ahead log, so transactions per sync is the group-commit batch size divided by the store writes one
 * transaction needs.
 */
final class SyncCounter {
  private static final String EVENTS = "syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync";
  private final Process perf;

  private SyncCounter(Process perf) {
    this.perf = perf;
  }

  /** Starts counting for {@code window}; null (with a note on {@code err}) when perf cannot be run. */
  static SyncCounter start(long pid, Duration window, java.io.PrintStream err) {
    long seconds = Math.max(1, Math.round(window.toMillis() / 1000.0));
    try {
      Process p = new ProcessBuilder(List.of("perf", "stat", "-x,", "-e", EVENTS, "-p", Long.toString(pid), "--",
          "sleep", Long.toString(seconds))).redirectErrorStream(true).start();
      return new SyncCounter(p);
    } catch (IOException e) {
      err.println("cohort-bench: --count-syncs needs Linux perf on the PATH: " + e.getMessage());
      return null;
    }
  }

  /** Syncs counted, or -1 with the reason when perf failed (no permission, no tracepoints). */
  record Count(long syncs, String problem) {}

  Count await() throws InterruptedException {
    try {
      if (!perf.waitFor(30, TimeUnit.SECONDS)) {
        perf.destroyForcibly();
        return new Count(-1, "perf did not finish");
      }
      String text = new String(perf.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      long total = 0;
      int found = 0;
      for (String line : text.split("\n")) {
        String[] f = line.split(",");
        if (f.length >= 3 && f[2].startsWith("syscalls:sys_enter_")) {
          try {
            total += Long.parseLong(f[0].trim());
            found++;
          } catch (NumberFormatException e) {
            return new Count(-1, "perf could not count " + f[2] + ": " + f[0]);
          }
        }
      }
      return found == 0 ? new Count(-1, "perf said: " + text.strip()) : new Count(total, null);
    } catch (IOException e) {
      return new Count(-1, e.getMessage());
    }
  }
}
