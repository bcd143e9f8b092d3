package io.cohort.client.workflow;

import io.cohort.client.barrier.BranchBarrier;

/**
 * The handle a {@link WorkflowFunction} takes its steps through, for one run of one workflow.
 *
 * <p>Why steps go through a handle: it is what records each step's outcome at the coordinator and replays it on a
 * later run. Each call of {@code step} is the next step of the workflow and gets the next branch id ({@code 01},
 * {@code 02}, ..., at most 99 steps); on a replay, the n-th call returns the n-th recorded outcome without running
 * the action. So call steps one at a time, from the function's thread, in the same order on every run, and let their
 * exceptions propagate (see the {@linkplain io.cohort.client.workflow package description}).
 *
 * <p><b>Outcomes of a step.</b> The action's return value is recorded {@code succeed} and returned. A
 * {@link io.cohort.client.barrier.BranchFailedException} is recorded {@code failed} (its message kept) and thrown on;
 * on a replay the same exception type is thrown with the recorded message, without running the action. Any other
 * exception records nothing and is thrown on unchanged: the step runs again on the next run, so its action should be
 * idempotent; it receives the step's {@link BranchBarrier} (trans type {@code workflow}, the gid, the step's branch
 * id, op {@code action}) for exactly that.
 *
 * <p><b>Results are text.</b> The coordinator keeps a step's result as text (DTM's {@code registerBranch} takes
 * string values), so a step returns either text ({@link #step(StepAction)}: kept as is) or an object written as JSON
 * with the client's codec ({@link #step(Class, StepAction)}). A {@code null} result is recorded as empty text and
 * replays as {@code ""} (text) or {@code null} (objects). A typed step returns its result as read back from the
 * record, on the first run as on a replay, so both runs see the same value; a result that cannot be written, or read
 * back as its type, fails the step with {@link io.cohort.client.PayloadSerializationException} before anything is
 * recorded.
 *
 * <p><b>Compensations.</b> A step taken with a {@link Compensation} registers it once the step has succeeded (run or
 * replayed). If the workflow fails, the registered compensations run in reverse order, each given the step's result
 * and a barrier with op {@code rollback}, each recorded as op {@code rollback} so a later run does not repeat it. A
 * compensation must succeed eventually: whatever it throws stops the rollback, and the next run retries it. A step
 * that failed is not compensated (its action said no, so there is nothing to undo).
 *
 * <p>Not thread-safe; valid only while the function runs.
 */
public interface Workflow {
  /** The workflow's gid. */
  String gid();

  /** The name the workflow's function is registered under. */
  String name();

  /** The workflow's input as recorded at the coordinator (empty when there is none). */
  byte[] input();

  /**
   * The input read as JSON into {@code type} with the client's codec; {@code null} when there is none.
   *
   * @throws io.cohort.client.PayloadSerializationException when the input does not fit the type
   */
  <T> T input(Class<T> type);

  /**
   * Whether this run is a resume: the coordinator had recorded steps of this workflow before the run began, so its
   * first steps replay. For logging and metrics; the function's steps must not depend on it.
   */
  boolean isResume();

  /** The next step, with a text result and nothing to undo. */
  String step(StepAction<String> action) throws Exception;

  /** The next step, with a text result, undone by {@code compensation} if the workflow fails. */
  String step(StepAction<String> action, Compensation<String> compensation) throws Exception;

  /** The next step, whose result is an object of {@code type}, recorded as JSON; nothing to undo. */
  <T> T step(Class<T> type, StepAction<T> action) throws Exception;

  /** The next step, whose result is an object of {@code type}, undone by {@code compensation} if the workflow fails. */
  <T> T step(Class<T> type, StepAction<T> action, Compensation<T> compensation) throws Exception;

  /** What a step does. Runs at most once per run of the workflow, and not at all when its outcome is recorded. */
  @FunctionalInterface
  interface StepAction<T> {
    /**
     * Does the step's work.
     *
     * @param barrier the step's barrier (trans type {@code workflow}, gid, the step's branch id, op {@code action})
     * @return the step's result
     * @throws io.cohort.client.barrier.BranchFailedException to record the step as failed
     */
    T run(BranchBarrier barrier) throws Exception;
  }

  /** Undoes a step that succeeded, when the workflow fails. */
  @FunctionalInterface
  interface Compensation<T> {
    /**
     * Undoes the step.
     *
     * @param result what the step returned (as recorded)
     * @param barrier the compensation's barrier (trans type {@code workflow}, gid, the step's branch id, op
     *     {@code rollback})
     */
    void compensate(T result, BranchBarrier barrier) throws Exception;
  }
}
