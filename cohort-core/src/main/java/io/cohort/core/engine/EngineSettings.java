package io.cohort.core.engine;

import io.cohort.core.plan.PlanSettings;
import java.time.Duration;

/**
 * @param nodeId this coordinator's owner token, written on every transaction it works on
 * @param plan defaults the planners use
 * @param leaseMargin added to a transaction's request timeout to form the lease held while a round runs
 */
public record EngineSettings(String nodeId, PlanSettings plan, Duration leaseMargin) {}
