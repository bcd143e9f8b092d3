package io.cohort.core.engine;

import io.cohort.core.model.Branch;
import io.cohort.core.model.Transaction;
import io.cohort.protocol.BranchOp;
import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.TransType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Builds a new transaction's branches from its steps, with the ids and ops participants' barriers expect. */
final class Layout {
  private Layout() {}

  static Transaction create(NewTransaction cmd, GlobalStatus status, Instant now, EngineSettings s) {
    List<Branch> branches = new ArrayList<>();
    for (int i = 0; i < cmd.steps().size(); i++) {
      String id = branchId(i);
      byte[] payload = cmd.payloads().isEmpty() ? new byte[0] : cmd.payloads().get(i);
      NewTransaction.Step step = cmd.steps().get(i);
      if (cmd.type() == TransType.SAGA) {
        branches.add(Branch.create(id, BranchOp.COMPENSATE, step.compensate(), payload, now));
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
