package io.cohort.client.workflow;

import io.cohort.client.Coordinator;
import io.cohort.client.CoordinatorException;
import io.cohort.client.PayloadCodec;
import io.cohort.client.PayloadSerializationException;
import io.cohort.client.barrier.BranchBarrier;
import io.cohort.client.barrier.BranchFailedException;
import io.cohort.client.internal.BranchIds;
import io.cohort.protocol.BranchOp;
import io.cohort.protocol.GlobalStatus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One run of one workflow: the {@link Workflow} handle the function sees, and the driver around the function.
 *
 * <p><b>The record is the truth.</b> Every outcome this run acts on is one the coordinator holds: a step's outcome is
 * used only once {@code registerBranch} accepted it, or after a refused (or unanswered) registration, the outcome the
 * coordinator holds for that step, read again with {@code prepareWorkflow}. A refusal has three causes, all handled by
 * that one re-read: another run recorded the step first (Cohort answers 409, DTM 500), the registration landed but
 * its answer was lost, or the workflow is no longer prepared (another run finished it, or an operator stopped it).
 * In the first two cases the recorded outcome is adopted and the function goes on with it; in the third the run is
 * abandoned ({@link Abandoned}) and {@code execute} returns the recorded final outcome. If the re-read finds nothing
 * (or cannot be made), the run stops with the original error and the next run takes the step again.
 *
 * <p><b>Crash safety.</b> A crash anywhere leaves the coordinator with a prefix of the steps recorded; the next run
 * replays that prefix and runs the rest. The window that is not covered is an action that ran but whose outcome was
 * never recorded: it runs again, which is why actions should be idempotent.
 *
 * <p>Used by one thread; {@link Workflows} keeps two runs of one gid apart within a process.
 */
final class WorkflowRun implements Workflow {
  private static final String TYPE = "workflow";
  private static final int MAX_REASON = 1000;

  private final Coordinator coordinator;
  private final PayloadCodec codec;
  private final Map<String, Object> prepareBody;
  private final String name;
  private final String gid;
  private final byte[] input;
  private final boolean resume;
  private final Map<String, Progress.Recorded> recorded;
  private final BranchIds ids = new BranchIds("");
  private final List<Undo> undos = new ArrayList<>();
  private boolean inStep;
  private boolean over;
  private WorkflowResult finishedElsewhere;

  private WorkflowRun(Coordinator coordinator, PayloadCodec codec, Map<String, Object> prepareBody, String name,
      String gid, byte[] input, Progress progress) {
    this.coordinator = coordinator;
    this.codec = codec;
    this.prepareBody = prepareBody;
    this.name = name;
    this.gid = gid;
    this.input = input;
    this.recorded = new HashMap<>(progress.steps());
    this.resume = !progress.steps().isEmpty();
  }

  /**
   * Creates or loads the workflow with {@code prepareBody}; returns its outcome if it is final, otherwise runs
   * {@code function} and ends the workflow.
   */
  static WorkflowResult execute(Coordinator coordinator, PayloadCodec codec, Map<String, Object> prepareBody,
      String name, String gid, byte[] input, WorkflowFunction function) {
    Progress progress = Progress.parse(coordinator.prepareWorkflow(prepareBody));
    progress.checkSame(gid, name, input);
    if (progress.isFinal()) {
      return progress.outcome(gid, codec);
    }
    byte[] recordedInput = progress.input() == null ? input : progress.input();
    return new WorkflowRun(coordinator, codec, prepareBody, name, gid, recordedInput, progress).drive(function);
  }

  private WorkflowResult drive(WorkflowFunction function) {
    Object value;
    try {
      value = function.run(this);
    } catch (BranchFailedException refusal) {
      over = true;
      return finishedElsewhere != null ? finishedElsewhere : rollBack(refusal);
    } catch (Exception e) {
      over = true;
      if (finishedElsewhere != null) {
        return finishedElsewhere;
      }
      throw new WorkflowIncompleteException(gid, "the run of '" + name + "' stopped: " + e, e);
    } finally {
      over = true;
    }
    if (finishedElsewhere != null) {
      return finishedElsewhere;
    }
    byte[] result;
    try {
      result = encodeResult(value);
    } catch (PayloadSerializationException e) {
      throw new WorkflowIncompleteException(gid, "the result of '" + name + "' cannot be written: " + e.getMessage(),
          e);
    }
    return finish(GlobalStatus.SUCCEED, result, "");
  }

  /** Runs the registered compensations, last first, skipping recorded ones; then submits {@code failed}. */
  private WorkflowResult rollBack(BranchFailedException refusal) {
    for (int i = undos.size() - 1; i >= 0; i--) {
      Undo undo = undos.get(i);
      Progress.Recorded done = recorded.get(Progress.key(undo.branchId(), BranchOp.ROLLBACK));
      if (done != null && done.succeeded()) {
        continue;
      }
      inStep = true;
      try {
        undo.action().compensate(BranchBarrier.of(TYPE, gid, undo.branchId(), BranchOp.ROLLBACK));
      } catch (Exception e) {
        e.addSuppressed(refusal);
        throw new WorkflowIncompleteException(gid, "the compensation of step " + undo.branchId() + " threw " + e
            + " while rolling back (" + refusal.getMessage() + "); it is retried on the next run", e);
      } finally {
        inStep = false;
      }
      try {
        record(undo.branchId(), BranchOp.ROLLBACK, "succeed", "");
      } catch (Abandoned a) {
        return finishedElsewhere;
      } catch (RuntimeException e) {
        e.addSuppressed(refusal);
        throw new WorkflowIncompleteException(gid, "cannot record the compensation of step " + undo.branchId()
            + ": " + e.getMessage(), e);
      }
    }
    return finish(GlobalStatus.FAILED, new byte[0], reasonOf(refusal));
  }

  /** Submits the final status; after a refused or lost submit, the coordinator's record decides. */
  private WorkflowResult finish(GlobalStatus status, byte[] result, String reason) {
    Map<String, String> extra = new LinkedHashMap<>();
    extra.put("status", status.wire());
    if (status == GlobalStatus.SUCCEED) {
      extra.put("result", Base64.getEncoder().encodeToString(result));
    } else {
      extra.put("rollback_reason", reason);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("gid", gid);
    body.put("trans_type", TYPE);
    body.put("req_extra", extra);
    try {
      coordinator.submit(body);
    } catch (RuntimeException e) {
      Progress now;
      try {
        now = reload();
      } catch (RuntimeException again) {
        e.addSuppressed(again);
        throw new WorkflowIncompleteException(gid, "cannot submit its final status " + status.wire() + ": "
            + e.getMessage(), e);
      }
      if (now.isFinal()) {
        return now.outcome(gid, codec);
      }
      throw new WorkflowIncompleteException(gid, "cannot submit its final status " + status.wire() + ": "
          + e.getMessage(), e);
    }
    return new WorkflowResult(gid, status, result, reason, codec);
  }

  @Override
  public String gid() {
    return gid;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public byte[] input() {
    return input.clone();
  }

  @Override
  public <T> T input(Class<T> type) {
    Objects.requireNonNull(type, "type");
    return input.length == 0 ? null : codec.decode(new String(input, StandardCharsets.UTF_8), type);
  }

  @Override
  public boolean isResume() {
    return resume;
  }

  @Override
  public String step(StepAction<String> action) throws Exception {
    return step(TEXT, action, null);
  }

  @Override
  public String step(StepAction<String> action, Compensation<String> compensation) throws Exception {
    return step(TEXT, action, Objects.requireNonNull(compensation, "compensation"));
  }

  @Override
  public <T> T step(Class<T> type, StepAction<T> action) throws Exception {
    return step(new Json<>(codec, type), action, null);
  }

  @Override
  public <T> T step(Class<T> type, StepAction<T> action, Compensation<T> compensation) throws Exception {
    return step(new Json<>(codec, type), action, Objects.requireNonNull(compensation, "compensation"));
  }

  private <T> T step(Format<T> format, StepAction<T> action, Compensation<T> compensation) throws Exception {
    Objects.requireNonNull(action, "action");
    if (finishedElsewhere != null) {
      throw new Abandoned(gid);
    }
    if (over) {
      throw new IllegalStateException("workflow " + gid + ": step called after its function returned; a Workflow "
          + "handle is valid only while the function runs");
    }
    if (inStep) {
      throw new IllegalStateException("workflow " + gid + ": step called inside another step or a compensation; "
          + "steps are taken one at a time by the workflow function itself");
    }
    String id = ids.next();
    Progress.Recorded outcome = recorded.get(Progress.key(id, BranchOp.ACTION));
    if (outcome == null || !outcome.settled()) {
      outcome = runAction(id, format, action);
    }
    if (outcome.failed()) {
      throw new BranchFailedException(outcome.data());
    }
    T value = format.read(id, outcome.data());
    if (compensation != null) {
      undos.add(new Undo(id, barrier -> compensation.compensate(value, barrier)));
    }
    return value;
  }

  /**
   * Runs a step's action and records its outcome; returns the outcome that stands. A refusal that is recorded as this
   * run's own is thrown as it came (a refusal the record overrides is not).
   */
  private <T> Progress.Recorded runAction(String id, Format<T> format, StepAction<T> action) throws Exception {
    String status;
    String data;
    BranchFailedException refusal = null;
    inStep = true;
    try {
      T value = action.run(BranchBarrier.of(TYPE, gid, id, BranchOp.ACTION));
      data = format.write(id, value);
      format.read(id, data); // a result that cannot be read back would fail every replay: refuse it unrecorded
      status = "succeed";
    } catch (BranchFailedException e) {
      refusal = e;
      status = "failed";
      data = reasonOf(e);
    } finally {
      inStep = false;
    }
    Progress.Recorded outcome = record(id, BranchOp.ACTION, status, data);
    if (refusal != null && outcome.failed() && outcome.data().equals(data)) {
      throw refusal;
    }
    return outcome;
  }

  /**
   * Records a step's outcome and returns the outcome that stands: this one, or, when the coordinator refused or did
   * not answer, the one it holds (see the class comment).
   *
   * @throws Abandoned when the workflow turned out to be final
   */
  private Progress.Recorded record(String branchId, String op, String status, String data) {
    Map<String, String> body = new LinkedHashMap<>();
    body.put("gid", gid);
    body.put("trans_type", TYPE);
    body.put("branch_id", branchId);
    body.put("op", op);
    body.put("status", status);
    body.put("data", data);
    try {
      coordinator.registerBranch(body);
    } catch (CoordinatorException e) {
      Progress now;
      try {
        now = reload();
      } catch (RuntimeException again) {
        e.addSuppressed(again);
        throw e;
      }
      if (now.isFinal()) {
        finishedElsewhere = now.outcome(gid, codec);
        throw new Abandoned(gid);
      }
      Progress.Recorded theirs = now.get(branchId, op);
      if (theirs == null || !theirs.settled()) {
        throw e;
      }
      recorded.putAll(now.steps());
      return theirs;
    }
    Progress.Recorded mine = new Progress.Recorded(status, data);
    recorded.put(Progress.key(branchId, op), mine);
    return mine;
  }

  private Progress reload() {
    return Progress.parse(coordinator.prepareWorkflow(prepareBody));
  }

  private byte[] encodeResult(Object value) {
    if (value == null) {
      return new byte[0];
    }
    if (value instanceof byte[]) {
      return ((byte[]) value).clone();
    }
    try {
      return codec.encode(value).getBytes(StandardCharsets.UTF_8);
    } catch (PayloadSerializationException e) {
      throw new PayloadSerializationException("the result of workflow '" + name + "': " + e.getMessage(),
          e.getCause());
    }
  }

  private static String reasonOf(Throwable t) {
    String m = t.getMessage();
    String reason = m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    return reason.length() > MAX_REASON ? reason.substring(0, MAX_REASON) : reason;
  }

  /** A registered compensation, with the step's result bound. */
  private record Undo(String branchId, UndoAction action) {}

  @FunctionalInterface
  private interface UndoAction {
    void compensate(BranchBarrier barrier) throws Exception;
  }

  /** How a step's result is kept as text. */
  private interface Format<T> {
    String write(String branchId, T value);

    T read(String branchId, String data);
  }

  private static final Format<String> TEXT = new Format<>() {
    @Override
    public String write(String branchId, String value) {
      return value == null ? "" : value;
    }

    @Override
    public String read(String branchId, String data) {
      return data;
    }
  };

  private static final class Json<T> implements Format<T> {
    private final PayloadCodec codec;
    private final Class<T> type;

    Json(PayloadCodec codec, Class<T> type) {
      this.codec = codec;
      this.type = Objects.requireNonNull(type, "type");
    }

    @Override
    public String write(String branchId, T value) {
      if (value == null) {
        return "";
      }
      try {
        return codec.encode(value);
      } catch (PayloadSerializationException e) {
        throw new PayloadSerializationException("the result of step " + branchId + ": " + e.getMessage(),
            e.getCause());
      }
    }

    @Override
    public T read(String branchId, String data) {
      if (data.isEmpty()) {
        return null;
      }
      try {
        return codec.decode(data, type);
      } catch (PayloadSerializationException e) {
        throw new PayloadSerializationException("the result of step " + branchId + " cannot be read as "
            + type.getName() + ": " + e.getMessage(), e.getCause());
      }
    }
  }

  /**
   * Thrown into the function when the workflow turned out to be final (another run finished it, or an operator
   * stopped it) while this run was in it; {@code execute} then returns the recorded outcome, even if the function
   * catches this.
   */
  static final class Abandoned extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Abandoned(String gid) {
      super("workflow " + gid + " was finished elsewhere while this run was in it; this run stops and returns the "
          + "recorded outcome", null, false, false);
    }
  }
}
