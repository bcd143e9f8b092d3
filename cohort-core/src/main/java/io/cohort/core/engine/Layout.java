package io.cohort.core.engine;

import io.cohort.core.model.Branch;
import io.cohort.core.model.Transaction;
import io.cohort.core.port.TopicDirectory;
import io.cohort.protocol.BranchOp;
import io.cohort.protocol.CohortException;
import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.TransType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Builds a new transaction's branches from its steps, with the ids and ops participants' barriers expect. */
final class Layout {
  /** A msg step whose action is {@code topic://name} is delivered to every subscriber of topic {@code name}. */
  static final String TOPIC_PREFIX = "topic://";

  private Layout() {}

  static Transaction create(NewTransaction cmd, GlobalStatus status, Instant now, EngineSettings s,
      TopicDirectory topics) {
    List<Branch> branches = new ArrayList<>();
    for (int i = 0; i < cmd.steps().size(); i++) {
      String id = branchId(i);
      byte[] payload = cmd.payloads().isEmpty() ? new byte[0] : cmd.payloads().get(i);
      NewTransaction.Step step = cmd.steps().get(i);
      if (cmd.type() == TransType.SAGA) {
        branches.add(Branch.create(id, BranchOp.COMPENSATE, step.compensate(), payload, now));
      }
      if (cmd.type() == TransType.MSG && step.action().startsWith(TOPIC_PREFIX)) {
        // Fan-out: one branch per subscriber, ids 01-01, 01-02, ... (a single subscriber keeps the plain id, as DTM).
        String topic = step.action().substring(TOPIC_PREFIX.length());
        List<String> urls = topics.subscribers(topic);
        if (urls.isEmpty()) {
          throw CohortException.badRequest("steps[" + i + "].action: topic '" + topic
              + "' has no subscribers; subscribe a URL first (GET /api/dtmsvr/subscribe)");
        }
        for (int j = 0; j < urls.size(); j++) {
          String fanId = urls.size() == 1 ? id : id + "-" + branchId(j);
          branches.add(Branch.create(fanId, BranchOp.ACTION, urls.get(j), payload, now));
        }
        continue;
      }
      branches.add(Branch.create(id, BranchOp.ACTION, step.action(), payload, now));
    }
    var interval = cmd.options().retryInterval() != null ? cmd.options().retryInterval() : s.plan().retryInterval();
    return new Transaction(0, cmd.gid(), cmd.type(), status, cmd.protocol(), cmd.queryPrepared(), cmd.customData(),
        cmd.options(), branches, now, now, null, null, null, null, null, interval, 0, "", 1);
  }

  static String branchId(int step) {
    int n = step + 1;
    return n < 10 ? "0" + n : Integer.toString(n);
  }
}
