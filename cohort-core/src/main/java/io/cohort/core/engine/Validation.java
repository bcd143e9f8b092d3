package io.cohort.core.engine;

import io.cohort.protocol.BranchUrls;
import io.cohort.protocol.CohortException;
import io.cohort.protocol.Gids;
import io.cohort.protocol.TransType;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Validation of new transactions: every rule names the field it checks. */
final class Validation {
  /** Longest {@code custom_data} accepted (DTM stores it in varchar(1024)). */
  static final int MAX_CUSTOM_DATA = 1024;
  static final int MAX_STEPS = 1000;

  private Validation() {}

  static void check(NewTransaction t, boolean forSubmit) {
    Gids.check(t.gid());
    if (t.type() == null) {
      throw CohortException.badRequest("trans_type is required (saga, msg, tcc, xa or workflow)");
    }
    String protocol = t.protocol() == null ? "" : t.protocol();
    if (!protocol.isEmpty() && !protocol.equals("http")) {
      throw CohortException.badRequest("protocol '" + protocol + "' is not supported; use http");
    }
    if (t.customData() != null && t.customData().length() > MAX_CUSTOM_DATA) {
      throw CohortException.badRequest("custom_data is longer than " + MAX_CUSTOM_DATA + " characters");
    }
    List<NewTransaction.Step> steps = t.steps();
    if (steps.size() > MAX_STEPS) {
      throw CohortException.badRequest("too many steps: " + steps.size() + " (limit " + MAX_STEPS + ")");
    }
    if (t.type() == TransType.SAGA && steps.isEmpty()) {
      throw CohortException.badRequest("a saga needs at least one step in steps");
    }
    boolean registered = t.type() == TransType.TCC || t.type() == TransType.XA || t.type() == TransType.WORKFLOW;
    if (registered && (!steps.isEmpty() || !t.payloads().isEmpty())) {
      throw CohortException.badRequest("a " + t.type().wire() + " transaction takes no steps or payloads; "
          + (t.type() == TransType.WORKFLOW ? "it records its steps" : "it registers its branches")
          + " with registerBranch");
    }
    if (t.type() == TransType.WORKFLOW
        && (t.options().workflowName() == null || t.options().workflowName().isEmpty())) {
      throw CohortException.badRequest("custom_data.name is required for a workflow (the op of its resume call)");
    }
    if (!t.payloads().isEmpty() && t.payloads().size() != steps.size()) {
      throw CohortException.badRequest(
          "payloads has " + t.payloads().size() + " entries but steps has " + steps.size() + "; they must match");
    }
    for (int i = 0; i < steps.size(); i++) {
      NewTransaction.Step s = steps.get(i);
      if (t.type() == TransType.MSG && s.action().startsWith(Layout.TOPIC_PREFIX)) {
        if (s.action().length() == Layout.TOPIC_PREFIX.length()) {
          throw CohortException.badRequest("steps[" + i + "].action names no topic: '" + s.action() + "'");
        }
      } else {
        BranchUrls.check(s.action(), "steps[" + i + "].action");
      }
      if (t.type() == TransType.SAGA) {
        BranchUrls.check(s.compensate(), "steps[" + i + "].compensate");
      }
    }
    if (t.type() == TransType.MSG && !forSubmit) {
      if (t.queryPrepared() == null || t.queryPrepared().isEmpty()) {
        throw CohortException.badRequest("query_prepared is required to prepare a msg (the coordinator checks back there)");
      }
    }
    if (t.queryPrepared() != null && !t.queryPrepared().isEmpty()) {
      BranchUrls.check(t.queryPrepared(), "query_prepared");
    }
    var o = t.options();
    nonNegative(o.timeoutToFail(), "timeout_to_fail");
    nonNegative(o.requestTimeout(), "request_timeout");
    nonNegative(o.retryInterval(), "retry_interval");
    nonNegative(o.delay(), "custom_data.delay");
    if (o.retryLimit() < 0) {
      throw CohortException.badRequest("retry_limit must not be negative");
    }
    checkOrders(o.orders(), steps.size());
  }

  private static void nonNegative(Duration d, String name) {
    if (d != null && d.isNegative()) {
      throw CohortException.badRequest(name + " must not be negative");
    }
  }

  /** The saga DAG: indices in range, no self-dependency, no cycle. */
  static void checkOrders(Map<Integer, List<Integer>> orders, int n) {
    for (var e : orders.entrySet()) {
      int step = e.getKey();
      if (step < 0 || step >= n) {
        throw CohortException.badRequest("custom_data.orders names step " + step + " but there are " + n + " steps");
      }
      for (int dep : e.getValue()) {
        if (dep < 0 || dep >= n) {
          throw CohortException.badRequest(
              "custom_data.orders[" + step + "] names step " + dep + " but there are " + n + " steps");
        }
      }
    }
    // Depth-first search for a cycle: 0 = unvisited, 1 = on the stack, 2 = done.
    int[] state = new int[n];
    for (int i = 0; i < n; i++) {
      if (state[i] == 0) {
        visit(i, orders, state);
      }
    }
  }

  private static void visit(int step, Map<Integer, List<Integer>> orders, int[] state) {
    state[step] = 1;
    for (int dep : orders.getOrDefault(step, List.of())) {
      if (state[dep] == 1) {
        throw CohortException.badRequest("custom_data.orders has a cycle through step " + dep);
      }
      if (state[dep] == 0) {
        visit(dep, orders, state);
      }
    }
    state[step] = 2;
  }
}
