package io.cohort.testkit;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;

/**
 * A clock that moves only when your test moves it.
 *
 * <p>Everything time-driven in the coordinator (retries after a failed branch call, a message's check-back, a TCC or
 * XA timeout) is decided by comparing this clock with the wake time stored on the transaction. Give the coordinator
 * this clock and a test can jump over a ten-second retry interval or a 35-second timeout at once, with no sleeping
 * and no race against the wall clock: nothing becomes due until you call {@link #advance} or {@link #set}.
 *
 * <p>Why whole milliseconds: durable stores keep times in milliseconds, and the server's own wall clock ticks in
 * milliseconds for that reason. This clock keeps the same rule, so a test never relies on a precision production
 * does not have; an instant or step with a sub-millisecond part is refused.
 *
 * <p>It never goes backwards (the coordinator, like any scheduler, assumes time only moves forward), and it is
 * thread-safe: the coordinator's threads read it while your test thread moves it.
 */
public final class ManualClock implements InstantSource {
  /** Where a clock starts unless told otherwise: a fixed instant, so runs are repeatable. */
  public static final Instant DEFAULT_START = Instant.parse("2026-01-01T00:00:00Z");

  private Instant now;

  /** A clock at {@link #DEFAULT_START}. */
  public ManualClock() {
    this(DEFAULT_START);
  }

  /**
   * A clock at {@code start}.
   *
   * @throws IllegalArgumentException when {@code start} has a sub-millisecond part
   */
  public ManualClock(Instant start) {
    this.now = wholeMillis(Objects.requireNonNull(start, "start"), "start");
  }

  @Override
  public synchronized Instant instant() {
    return now;
  }

  /**
   * Moves the clock forward by {@code step}; zero is allowed and changes nothing.
   *
   * <p>Work that becomes due is picked up by the coordinator's next scheduler pass (a few milliseconds of real time),
   * so after advancing, wait for the effect you expect (a participant call, a status) rather than asserting at once.
   *
   * @return the new time
   * @throws IllegalArgumentException when {@code step} is negative or has a sub-millisecond part
   */
  public synchronized Instant advance(Duration step) {
    Objects.requireNonNull(step, "step");
    if (step.isNegative()) {
      throw new IllegalArgumentException("a manual clock only moves forward; cannot advance by " + step);
    }
    if (step.getNano() % 1_000_000 != 0) {
      throw new IllegalArgumentException("advance in whole milliseconds; got " + step);
    }
    now = now.plus(step);
    return now;
  }

  /**
   * Sets the clock to {@code time}, which must not be before the current time (setting the current time is allowed
   * and changes nothing).
   *
   * @return the new time
   * @throws IllegalArgumentException when {@code time} is before now or has a sub-millisecond part
   */
  public synchronized Instant set(Instant time) {
    Objects.requireNonNull(time, "time");
    if (time.isBefore(now)) {
      throw new IllegalArgumentException("a manual clock only moves forward; it is at " + now + ", cannot set it to "
          + time);
    }
    now = wholeMillis(time, "time");
    return now;
  }

  @Override
  public String toString() {
    return "ManualClock[" + instant() + "]";
  }

  private static Instant wholeMillis(Instant t, String what) {
    if (t.getNano() % 1_000_000 != 0) {
      throw new IllegalArgumentException(what + " must be a whole millisecond; got " + t);
    }
    return t;
  }
}
