package io.cohort.core.codec;

import java.time.Instant;

/**
 * Instants as the stores keep them: whole epoch milliseconds, saturated at the range of a {@code long} instead of
 * overflowing, so a query bound far in the past or future ("everything due") never throws.
 */
public final class Millis {
  private Millis() {
  }

  /** Epoch milliseconds, rounded down. */
  public static long floor(Instant i) {
    if (i.isAfter(Instant.ofEpochMilli(Long.MAX_VALUE))) {
      return Long.MAX_VALUE;
    }
    if (i.isBefore(Instant.ofEpochMilli(Long.MIN_VALUE))) {
      return Long.MIN_VALUE;
    }
    return i.toEpochMilli();
  }

  /** Epoch milliseconds, rounded up. */
  public static long ceil(Instant i) {
    long floor = floor(i);
    if (floor == Long.MAX_VALUE || floor == Long.MIN_VALUE || Instant.ofEpochMilli(floor).equals(i)) {
      return floor;
    }
    return floor + 1;
  }
}
