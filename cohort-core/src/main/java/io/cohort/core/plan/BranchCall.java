package io.cohort.core.plan;

import java.time.Duration;
import java.util.Map;

/**
 * One call to a participant, fully decided by the engine: the invoker only performs it.
 *
 * @param post true for POST with {@code body}, false for GET (DTM: POST when the payload is non-empty or for XA)
 */
public record BranchCall(
    String gid,
    String transType,
    String branchId,
    String op,
    String url,
    byte[] body,
    boolean post,
    Map<String, String> headers,
    Duration timeout) {}
