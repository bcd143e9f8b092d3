package io.cohort.client.xa;

/**
 * The call that tells the coordinator about an XA branch ({@code registerBranch} with the branch's
 * {@code phase2_url}), made by {@link XaParticipant#localPhase} after the work and before XA PREPARE.
 *
 * <p>It is a separate step because its position is what makes XA safe: a branch is registered before it can be
 * prepared, so every prepared branch is one the coordinator knows and will commit or roll back; and a registration
 * the coordinator refuses (the global transaction is no longer {@code prepared}) rolls the branch back instead of
 * leaving a prepared transaction nobody will ever finish. The SDK does not make the HTTP call itself, so any client
 * (and any test double) can do it.
 */
@FunctionalInterface
public interface XaRegistration {
  /** Registers the branch; throwing anything rolls the branch back and reaches the caller. */
  void register() throws Exception;
}
