package io.cohort.core.testing;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;

/** A clock that moves only when a test moves it (STYLE practice 5). Never goes backwards. */
public final class ManualClock implements InstantSource {
  public static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");

  private Instant now;

  public ManualClock() {
    this(EPOCH);
  }

  public ManualClock(Instant start) {
    this.now = start;
  }

  @Override
  public synchronized Instant instant() {
    return now;
  }

  public synchronized Instant advance(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("a manual clock does not go backwards: " + d);
    }
    now = now.plus(d);
    return now;
  }

  /** Moves to {@code t} if it is later than now; returns the (possibly unchanged) time. */
  public synchronized Instant advanceTo(Instant t) {
    if (t.isAfter(now)) {
      now = t;
    }
    return now;
  }
}
