package io.cohort.server.crash;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohort.server.crash.Bank.Behaviour;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
    MSG_CHECK_BACK
  }

  /** A step: what its action does, and (saga) what its compensation does. */
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
  /** Saga: {@code timeout_to_fail} in seconds, or 0; used only where the saga certainly outlives it. */
  final int timeoutToFail;

  private Txn(String gid, Mode mode, List<Step> steps, Map<Integer, List<Integer>> orders, boolean waitResult,
      boolean concurrent, int delaySeconds, boolean committed, int timeoutToFail) {
    this.gid = gid;
    this.mode = mode;
    this.steps = List.copyOf(steps);
    this.orders = orders == null ? null : Map.copyOf(orders);
    this.waitResult = waitResult;
    this.concurrent = concurrent;
    this.delaySeconds = delaySeconds;
    this.committed = committed;
    this.timeoutToFail = timeoutToFail;
    if (mode != Mode.SAGA && steps.stream().anyMatch(s -> s.action() == Behaviour.FAIL)) {
      throw new IllegalArgumentException("a msg action that answers FAILURE is retried forever; not a crash-test case");
    }
  }

  static Txn saga(String gid, Step... steps) {
    return new Txn(gid, Mode.SAGA, List.of(steps), null, false, false, 0, true, 0);
  }

  static Txn sagaDag(String gid, Map<Integer, List<Integer>> orders, Step... steps) {
    return new Txn(gid, Mode.SAGA, List.of(steps), orders, false, false, 0, true, 0);
  }

  static Txn msg(String gid, Mode mode, Behaviour... actions) {
    if (mode == Mode.SAGA) {
      throw new IllegalArgumentException("use saga()");
    }
    return new Txn(gid, mode, java.util.Arrays.stream(actions).map(Step::of).toList(), null, false, false, 0, true, 0);
  }

  Txn waitResult() {
    return new Txn(gid, mode, steps, orders, true, concurrent, delaySeconds, committed, timeoutToFail);
  }

  Txn concurrent() {
    return new Txn(gid, mode, steps, orders, waitResult, true, delaySeconds, committed, timeoutToFail);
  }

  Txn delay(int seconds) {
    return new Txn(gid, mode, steps, orders, waitResult, concurrent, seconds, committed, timeoutToFail);
  }

  /** MSG_CHECK_BACK: the check-back answers FAILURE (the local transaction rolled back). */
  Txn rolledBack() {
    return new Txn(gid, mode, steps, orders, waitResult, concurrent, delaySeconds, false, timeoutToFail);
  }

  /**
   * Saga: aborts once older than {@code seconds} ({@code timeout_to_fail}). Only for sagas held past that age, so
   * the expected outcome is certain: failed, with every action that was attempted compensated.
   */
  Txn timeoutToFail(int seconds) {
    if (mode != Mode.SAGA) {
      throw new IllegalArgumentException("timeout_to_fail of a msg is its check-back time, not a failure");
    }
    return new Txn(gid, mode, steps, orders, waitResult, concurrent, delaySeconds, committed, seconds);
  }

  boolean isSaga() {
    return mode == Mode.SAGA;
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

  String expectedStatus() {
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

  /** The body of {@code submit} (or {@code prepare}: the same body). */
  String body(Bank bank, boolean forSubmit) {
    ObjectNode n = JSON.createObjectNode();
    n.put("gid", gid);
    n.put("trans_type", isSaga() ? "saga" : "msg");
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

  @Override
  public String toString() {
    return gid + "[" + mode + (orders != null ? " dag" + orders : "") + (waitResult ? " wait_result" : "")
        + (concurrent ? " concurrent" : "") + (delaySeconds > 0 ? " delay=" + delaySeconds : "")
        + (timeoutToFail > 0 ? " timeout_to_fail=" + timeoutToFail : "")
        + (mode == Mode.MSG_CHECK_BACK ? (committed ? " check-back=SUCCESS" : " check-back=FAILURE") : "") + " "
        + steps.stream().map(s -> isSaga() ? s.action().path() + "/" + s.compensate().path() : s.action().path())
            .toList() + "]";
  }
}
