package io.cohort.core.plan;

import java.time.Duration;

/**
 * Server defaults the planners need.
 *
 * @param requestTimeout default timeout of one branch call
 * @param retryInterval default base retry interval
 * @param maxRetryInterval cap of the exponential backoff
 * @param timeoutToFail default for msg check-back (and tcc/xa abort later)
 */
public record PlanSettings(
    Duration requestTimeout, Duration retryInterval, Duration maxRetryInterval, Duration timeoutToFail) {

  public static final PlanSettings DEFAULTS =
      new PlanSettings(Duration.ofSeconds(3), Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofSeconds(35));
}
