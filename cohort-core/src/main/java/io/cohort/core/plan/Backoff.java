package io.cohort.core.plan;

import io.cohort.core.model.Transaction;
import java.time.Duration;
import java.time.Instant;

/**
 * Retry scheduling, shared by every mode. Errors double the interval up to a cap, with jitter so that a burst of
 * transactions failing together does not retry together; ONGOING keeps the interval ("ask again later"); success
 * resets it. There is no floor: a transaction may ask for a 1 s base interval, the server config may go lower.
 *
 * <p>Jitter is derived from the gid and the failure count, so it is deterministic: planners stay pure.
 */
public final class Backoff {
  private Backoff() {}

  public static Duration base(Transaction t, PlanSettings s) {
    Duration d = t.options().retryInterval();
    return d != null ? d : s.retryInterval();
  }

  /** After an error: one more failure, doubled interval (capped), jittered wake time. */
  public static Transaction afterError(Transaction t, Instant now, PlanSettings s) {
    Duration base = base(t, s);
    Duration current = t.retryInterval() == null ? base : t.retryInterval();
    Duration next = t.failures() == 0 ? base : current.multipliedBy(2);
    Duration cap = s.maxRetryInterval().compareTo(base) < 0 ? base : s.maxRetryInterval();
    if (next.compareTo(cap) > 0) {
      next = cap;
    }
    int failures = t.failures() + 1;
    return t.withSchedule(now.plus(jitter(next, t.gid(), failures)), next, failures, t.owner());
  }

  /** After ONGOING: same interval, no jitter growth. */
  public static Transaction afterOngoing(Transaction t, Instant now, PlanSettings s) {
    Duration current = t.retryInterval() == null ? base(t, s) : t.retryInterval();
    return t.withSchedule(now.plus(current), current, t.failures(), t.owner());
  }

  /** After progress: back to the base interval. */
  public static Transaction reset(Transaction t, PlanSettings s) {
    if (t.failures() == 0 && base(t, s).equals(t.retryInterval())) {
      return t;
    }
    return t.withSchedule(t.nextWake(), base(t, s), 0, t.owner());
  }

  /** Scales {@code d} by a factor in [0.8, 1.0] chosen by hashing the gid and attempt. */
  static Duration jitter(Duration d, String gid, int attempt) {
    int h = gid.hashCode() * 31 + attempt;
    h ^= (h >>> 16);
    h *= 0x45d9f3b;
    h ^= (h >>> 16);
    double factor = 0.8 + 0.2 * ((h & 0x7fffffff) / (double) Integer.MAX_VALUE);
    return Duration.ofNanos((long) (d.toNanos() * factor));
  }
}
