package io.cohort.client.local;

import java.time.Duration;

/**
 * Waits between attempts. A port so that tests can record the backoff instead of sleeping for real
 * (STYLE practice 5).
 */
@FunctionalInterface
public interface Sleeper {
  /** Blocks the calling thread for {@code duration}. */
  void sleep(Duration duration) throws InterruptedException;

  /** {@link Thread#sleep(long, int)}. */
  static Sleeper system() {
    return d -> Thread.sleep(d.toMillis(), (int) (d.toNanosPart() % 1_000_000));
  }
}
