package io.cohort.server.crash;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohort.server.crash.Bank.Behaviour;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * One transaction a crash test runs: how it is submitted, what each branch does, and so what its final status must be.
 * Immutable plan; what the coordinator answered is kept in the {@link Ledger}.
 */
final class Txn {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How the client drives the transaction. */
  enum Mode {
    /** {@code submit} of a saga. */
    SAGA,
    /** {@code submit} of a msg that was never prepared. */
    MSG_SUBMIT,
    /** {@code prepare}, then {@code submit}; the check-back answers SUCCESS should the submit be lost. */
    MSG_PREPARE_SUBMIT,
    /** {@code prepare} only; the coordinator's check-back decides. */
    MSG_CHECK_BACK,
    /** {@code prepare} a tcc, {@code registerBranch} each branch (the tries are the client's own business), decide. */
    TCC,
    /** {@code prepare} an xa, {@code registerBranch} each branch (its local XA transaction prepared), decide. */
    XA
  }

  /** TCC and XA: what the client decides once every branch is registered. */
  enum Decision {
    /** {@code submit}: every confirm (commit) must be delivered, no cancel (rollback). */
    SUBMIT,
    /** {@code abort}: every registered branch's cancel (rollback) must be delivered, no confirm (commit). */
    ABORT,
    /**
     * Nothing: the client leaves it prepared, and the coordinator aborts it once older than its {@code timeout_to_fail}
     * ({@link #TIMEOUT_SECONDS}); the outcome is that of an abort.
     */
    TIMEOUT
  }

  /** TCC and XA left prepared on purpose ({@link Decision#TIMEOUT}) time out after this long. */
  static final int TIMEOUT_SECONDS = 1;
  /**
   * TCC and XA the client decides: {@code timeout_to_fail}, far longer than the client needs to register and decide,
   * yet short enough that one whose decision a crash cut off times out (and fails) before the test stops waiting.
   */
  static final int DECIDE_WITHIN_SECONDS = 5;
  /**
   * TCC and XA branch ids in registration order: a nested one after its parent, and {@code 03} before {@code 02}, so
   * that neither a store nor a planner that ordered branches by id would go unnoticed.
   */
  private static final List<String> BRANCH_IDS = List.of("01", "0101", "03", "02", "0301", "04");

  /**
   * A step: what its action does, and (saga) what its compensation does. TCC: a branch, what its confirm and its
   * cancel do. XA: a branch, what its one phase-2 URL does ({@code action}; commit and rollback alike).
   */
  record Step(Behaviour action, Behaviour compensate) {
    static Step of(Behaviour action) {
      return new Step(action, Behaviour.OK);
    }
  }

  final String gid;
  final Mode mode;
  final List<Step> steps;
  /** Saga DAG (step to the steps it waits for); {@code null} for a sequential saga. */
  final Map<Integer, List<Integer>> orders;
  final boolean waitResult;
  /** Msg: run the actions in parallel. */
  final boolean concurrent;
  /** Msg: {@code custom_data.delay} in seconds, or 0. */
  final int delaySeconds;
  /** MSG_CHECK_BACK: what the check-back answers. */
  final boolean committed;
  /**
   * Saga: {@code timeout_to_fail} in seconds, or 0; used only where the saga certainly outlives it. TCC, XA: always
   * set ({@link #TIMEOUT_SECONDS} or {@link #DECIDE_WITHIN_SECONDS}).
   */
  final int timeoutToFail;
  /** TCC, XA: what the client decides; null otherwise. */
  final Decision decision;

  private Txn(String gid, Mode mode, List<Step> steps, Map<Integer, List<Integer>> orders, boolean waitResult,
      boolean concurrent, int delaySeconds, boolean committed, int timeoutToFail, Decision decision) {
    this.gid = gid;
    this.mode = mode;
    this.steps = List.copyOf(steps);
    this.orders = orders == null ? null : Map.copyOf(orders);
    this.waitResult = waitResult;
    this.concurrent = concurrent;
    this.delaySeconds = delaySeconds;
    this.committed = committed;
    this.timeoutToFail = timeoutToFail;
    this.decision = decision;
    if (isTwoPhase() != (decision != null) || steps.size() > BRANCH_IDS.size()) {
      throw new IllegalArgumentException("a tcc or xa has a decision and at most " + BRANCH_IDS.size() + " branches");
    }
    if (isTwoPhase() && decision == Decision.TIMEOUT && waitResult) {
      throw new IllegalArgumentException("a tcc or xa left to time out sends no submit or abort to wait on");
    }
    if (isMsg() && steps.stream().anyMatch(s -> s.action() == Behaviour.FAIL)) {
      throw new IllegalArgumentException("a msg action that answers FAILURE is retried forever; not a crash-test case");
    }
  }

  static Txn saga(String gid, Step... steps) {
    return new Txn(gid, Mode.SAGA, List.of(steps), null, false, false, 0, true, 0, null);
  }

  static Txn sagaDag(String gid, Map<Integer, List<Integer>> orders, Step... steps) {
    return new Txn(gid, Mode.SAGA, List.of(steps), orders, false, false, 0, true, 0, null);
  }

  static Txn msg(String gid, Mode mode, Behaviour... actions) {
    if (mode == Mode.SAGA || mode == Mode.TCC || mode == Mode.XA) {
      throw new IllegalArgumentException("use saga(), tcc() or xa()");
    }
    return new Txn(gid, mode, Arrays.stream(actions).map(Step::of).toList(), null, false, false, 0, true, 0, null);
  }

  /** A TCC whose branches ({@code Step(confirm, cancel)}) are registered in the order given. */
  static Txn tcc(String gid, Decision decision, Step... branches) {
    return new Txn(gid, Mode.TCC, List.of(branches), null, false, false, 0, true, timeoutOf(decision), decision);
  }

  /** An XA whose branches (what each one's phase-2 URL does) are registered in the order given. */
  static Txn xa(String gid, Decision decision, Behaviour... branches) {
    return new Txn(gid, Mode.XA, Arrays.stream(branches).map(Step::of).toList(), null, false, false, 0, true,
        timeoutOf(decision), decision);
  }

  private static int timeoutOf(Decision d) {
    return d == Decision.TIMEOUT ? TIMEOUT_SECONDS : DECIDE_WITHIN_SECONDS;
  }

  Txn waitResult() {
    return new Txn(gid, mode, steps, orders, true, concurrent, delaySeconds, committed, timeoutToFail, decision);
  }

  Txn concurrent() {
    return new Txn(gid, mode, steps, orders, waitResult, true, delaySeconds, committed, timeoutToFail, decision);
  }

  Txn delay(int seconds) {
    return new Txn(gid, mode, steps, orders, waitResult, concurrent, seconds, committed, timeoutToFail, decision);
  }

  /** MSG_CHECK_BACK: the check-back answers FAILURE (the local transaction rolled back). */
  Txn rolledBack() {
    return new Txn(gid, mode, steps, orders, waitResult, concurrent, delaySeconds, false, timeoutToFail, decision);
  }

  /**
   * Saga: aborts once older than {@code seconds} ({@code timeout_to_fail}). Only for sagas held past that age, so
   * the expected outcome is certain: failed, with every action that was attempted compensated.
   */
  Txn timeoutToFail(int seconds) {
    if (mode != Mode.SAGA) {
      throw new IllegalArgumentException("timeout_to_fail of a msg is its check-back time, not a failure");
    }
    return new Txn(gid, mode, steps, orders, waitResult, concurrent, delaySeconds, committed, seconds, decision);
  }

  boolean isSaga() {
    return mode == Mode.SAGA;
  }

  boolean isMsg() {
    return mode == Mode.MSG_SUBMIT || mode == Mode.MSG_PREPARE_SUBMIT || mode == Mode.MSG_CHECK_BACK;
  }

  /** TCC or XA: the client runs phase one, the coordinator phase two. */
  boolean isTwoPhase() {
    return mode == Mode.TCC || mode == Mode.XA;
  }

  /** TCC, XA: the {@code trans_type} and the ops of phase 2 forward (submit) and backward (abort). */
  String transType() {
    return switch (mode) {
      case SAGA -> "saga";
      case TCC -> "tcc";
      case XA -> "xa";
      default -> "msg";
    };
  }

  String forwardOp() {
    return mode == Mode.TCC ? "confirm" : "commit";
  }

  String backwardOp() {
    return mode == Mode.TCC ? "cancel" : "rollback";
  }

  /** TCC, XA: the id branch {@code i} is registered with. */
  static String branchId(int i) {
    return BRANCH_IDS.get(i);
  }

  /** TCC, XA: the index of a branch id, or -1 when it is not one of the first {@code n}. */
  int branchIndex(String branchId) {
    int i = BRANCH_IDS.indexOf(branchId);
    return i < steps.size() ? i : -1;
  }

  /**
   * TCC: the {@code data} registered for branch {@code i}, which its confirm and cancel receive: empty for the nested
   * branch {@code 0101} (so both go out as GET), a payload otherwise. XA: always empty (commit and rollback are POSTs
   * without a body).
   */
  String branchData(int i) {
    return mode == Mode.XA || "0101".equals(branchId(i)) ? "" : payload(i);
  }

  /** TCC, XA: the path branch {@code i}'s phase-2 call {@code op} must reach. */
  String phaseTwoPath(int i, String op) {
    Behaviour b = op.equals("cancel") ? steps.get(i).compensate() : steps.get(i).action();
    return (mode == Mode.XA ? "/xa/" : "/" + op + "/") + b.path();
  }

  /** TCC, XA: what branch {@code i}'s phase-2 call {@code op} does. */
  Behaviour phaseTwoBehaviour(int i, String op) {
    return op.equals("cancel") ? steps.get(i).compensate() : steps.get(i).action();
  }

  /** Saga: the step whose action answers FAILURE, or -1. */
  int failingStep() {
    for (int i = 0; i < steps.size(); i++) {
      if (steps.get(i).action() == Behaviour.FAIL) {
        return i;
      }
    }
    return -1;
  }

  /** What the client's plan leads to, if every request is answered. */
  String expectedStatus() {
    if (isTwoPhase()) {
      return decision == Decision.SUBMIT ? "succeed" : "failed";
    }
    if (isSaga()) {
      return failingStep() >= 0 || timeoutToFail > 0 ? "failed" : "succeed";
    }
    return mode == Mode.MSG_CHECK_BACK && !committed ? "failed" : "succeed";
  }

  /** Saga: steps that can never run when {@code step} fails (those after it, or those depending on it in the DAG). */
  Set<Integer> blockedBy(int step) {
    Set<Integer> out = new HashSet<>();
    if (orders == null) {
      for (int i = step + 1; i < steps.size(); i++) {
        out.add(i);
      }
      return out;
    }
    Deque<Integer> todo = new ArrayDeque<>(List.of(step));
    while (!todo.isEmpty()) {
      int s = todo.pop();
      for (var e : orders.entrySet()) {
        if (e.getValue().contains(s) && out.add(e.getKey())) {
          todo.push(e.getKey());
        }
      }
    }
    return out;
  }

  /** The request body of step {@code i}'s branches; participants must receive exactly this. */
  static String payload(int i) {
    return "{\"amount\":" + (10 * (i + 1)) + ",\"step\":" + i + "}";
  }

  /** TCC, XA: the body of {@code prepare}. */
  String prepareBody() {
    ObjectNode n = JSON.createObjectNode();
    n.put("gid", gid);
    n.put("trans_type", transType());
    n.put("timeout_to_fail", timeoutToFail);
    return n.toString();
  }

  /** TCC, XA: the body of {@code registerBranch} for branch {@code i}. */
  String registerBody(Bank bank, int i) {
    ObjectNode n = JSON.createObjectNode();
    n.put("gid", gid);
    n.put("trans_type", transType());
    n.put("branch_id", branchId(i));
    if (mode == Mode.TCC) {
      n.put("confirm", bank.confirmUrl(steps.get(i).action()));
      n.put("cancel", bank.cancelUrl(steps.get(i).compensate()));
      n.put("data", branchData(i));
    } else {
      n.put("url", bank.xaUrl(steps.get(i).action()));
    }
    return n.toString();
  }

  /** TCC, XA: the body of the {@code submit} or {@code abort} that carries the client's decision. */
  String decisionBody() {
    ObjectNode n = JSON.createObjectNode();
    n.put("gid", gid);
    n.put("trans_type", transType());
    if (waitResult) {
      n.put("wait_result", true);
    }
    return n.toString();
  }

  /** The body of {@code submit} (or {@code prepare}: the same body) of a saga or msg. */
  String body(Bank bank, boolean forSubmit) {
    if (isTwoPhase()) {
      throw new IllegalStateException("a tcc or xa is driven by prepareBody, registerBody and decisionBody");
    }
    ObjectNode n = JSON.createObjectNode();
    n.put("gid", gid);
    n.put("trans_type", transType());
    ArrayNode st = n.putArray("steps");
    ArrayNode payloads = n.putArray("payloads");
    for (int i = 0; i < steps.size(); i++) {
      ObjectNode s = st.addObject();
      s.put("action", bank.actionUrl(steps.get(i).action()));
      if (isSaga()) {
        s.put("compensate", bank.compensateUrl(steps.get(i).compensate()));
      }
      payloads.add(payload(i));
    }
    if (isSaga() && orders != null) {
      ObjectNode custom = JSON.createObjectNode();
      custom.put("concurrent", true);
      ObjectNode o = custom.putObject("orders");
      orders.forEach((k, v) -> {
        ArrayNode deps = o.putArray(Integer.toString(k));
        v.forEach(deps::add);
      });
      n.put("custom_data", custom.toString());
    }
    if (!isSaga()) {
      n.put("concurrent", concurrent);
      n.put("query_prepared", bank.queryPreparedUrl());
      if (delaySeconds > 0) {
        n.put("custom_data", "{\"delay\":" + delaySeconds + "}");
      }
    }
    if (timeoutToFail > 0) {
      n.put("timeout_to_fail", timeoutToFail);
    }
    if (forSubmit && waitResult) {
      n.put("wait_result", true);
    }
    return n.toString();
  }

  /** For counts in the test log: the mode, and a tcc's or xa's decision. */
  String kind() {
    return decision == null ? mode.toString() : mode + "_" + decision;
  }

  @Override
  public String toString() {
    if (isTwoPhase()) {
      return gid + "[" + kind() + " timeout_to_fail=" + timeoutToFail + (waitResult ? " wait_result" : "") + " "
          + IntStream.range(0, steps.size()).mapToObj(i -> branchId(i) + ":"
              + (mode == Mode.TCC ? steps.get(i).action().path() + "/" + steps.get(i).compensate().path()
                  : steps.get(i).action().path())).toList() + "]";
    }
    return gid + "[" + mode + (orders != null ? " dag" + orders : "") + (waitResult ? " wait_result" : "")
        + (concurrent ? " concurrent" : "") + (delaySeconds > 0 ? " delay=" + delaySeconds : "")
        + (timeoutToFail > 0 ? " timeout_to_fail=" + timeoutToFail : "")
        + (mode == Mode.MSG_CHECK_BACK ? (committed ? " check-back=SUCCESS" : " check-back=FAILURE") : "") + " "
        + steps.stream().map(s -> isSaga() ? s.action().path() + "/" + s.compensate().path() : s.action().path())
            .toList() + "]";
  }
}
