package io.cohort.testkit;

/**
 * One branch of a transaction as a test sees it, in the words of the wire protocol.
 *
 * <p>Why a separate record and not the engine's own branch type: tests should assert on what a DTM client would see
 * ({@code "01"}, {@code "action"}, {@code "succeed"}), and should not break when the engine's internal model changes.
 * A saga step is two branches, {@code compensate} then {@code action}, both with the step's id; a TCC branch is
 * {@code cancel} then {@code confirm}; a message step is one {@code action}.
 *
 * @param branchId the id sent to the participant: {@code 01}, {@code 02}, ... for saga and msg steps, the client's
 *     own id for TCC and XA
 * @param op the op sent to the participant: {@code action}, {@code compensate}, {@code confirm}, {@code cancel},
 *     {@code commit} or {@code rollback}
 * @param status {@code prepared} (not done yet), {@code succeed} or {@code failed}
 * @param url the participant URL; empty when the step has nothing to call (it counts as done)
 */
public record BranchView(String branchId, String op, String status, String url) {}
