package io.cohort.core.plan;

import io.cohort.core.model.Transaction;
import java.time.Instant;

/** The state after applying call outcomes; {@code retryAt} non-null means: stop this round, look again then. */
public record Applied(Transaction next, Instant retryAt) {}
