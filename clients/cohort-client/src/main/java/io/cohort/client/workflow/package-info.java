/**
 * The workflow mode: a plain Java function whose steps are recorded at the coordinator, so that a run cut short (an
 * error, a crash, a redeploy) is resumed later and carries on from the last recorded step instead of starting over.
 *
 * <h2>Model</h2>
 *
 * <p>A workflow is a {@link io.cohort.client.workflow.WorkflowFunction} registered under a name with
 * {@link io.cohort.client.workflow.Workflows}. Executing it with a gid creates the workflow at the coordinator
 * ({@code prepareWorkflow}, which also returns what was recorded so far), runs the function, and ends the workflow
 * with a {@code submit} carrying the final status: {@code succeed} with the function's result, or {@code failed} with
 * the reason. Each {@link io.cohort.client.workflow.Workflow#step step} the function takes gets the next branch id
 * ({@code 01}, {@code 02}, ...); its outcome is recorded with {@code registerBranch} (op {@code action}, status
 * {@code succeed} with the result, or {@code failed} with the refusal's message) before the function goes on.
 *
 * <p><b>Replay.</b> When the same gid runs again (the coordinator's resume call, a restart, a caller retrying), the
 * function runs from the top, and every step whose outcome is recorded returns that outcome without running its
 * action. Replay is by position: the n-th step of this run is matched with the n-th recorded step. The function
 * must therefore take the same steps in the same order on every run, deciding only from its input and from what
 * earlier steps returned (never from the clock, random numbers or data read outside a step).
 *
 * <p><b>Failure.</b> A step's action that throws {@link io.cohort.client.barrier.BranchFailedException} (the
 * business "no") is recorded {@code failed}. If that exception leaves the function (the function may also catch it
 * and take another path), the workflow is rolled back: the compensations of the steps that succeeded run in reverse
 * order, each recorded with op {@code rollback}, and the workflow is submitted {@code failed}. Any other exception,
 * from a step or from the function, records nothing and ends the run without a final status: the workflow stays
 * {@code prepared} and the coordinator resumes it, running the interrupted step again. A step's action can therefore
 * run more than once and should be idempotent (behind the subtransaction barrier, for example; the action receives
 * the branch's barrier). Compensations are retried the same way until they succeed.
 *
 * <p><b>Concurrency.</b> One {@link io.cohort.client.workflow.Workflows} runs a gid at most once at a time: a second
 * {@code execute} of the same gid waits for the first and then replays its record, and a resume call arriving while
 * the gid runs is answered "ongoing". Across processes nothing prevents two runs of one gid (a resume racing a slow
 * original, for example). The coordinator keeps the first outcome recorded for each step; the run that loses the race
 * adopts that outcome and goes on with it, so the record and every run's view of it stay consistent, but the loser's
 * action has run as well. Idempotent actions make that harmless.
 */
package io.cohort.client.workflow;
