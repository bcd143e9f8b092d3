package io.cohort.client.xa;

import io.cohort.client.participant.BranchRequest;
import java.sql.Connection;

/**
 * A resource manager's business for one XA action, given the request (its payload, its query parameters) and the
 * connection of the XA branch. Throw {@link io.cohort.client.barrier.BranchFailedException} for a deliberate "no".
 */
@FunctionalInterface
public interface XaBranchWork {
  void run(BranchRequest request, Connection conn) throws Exception;
}
