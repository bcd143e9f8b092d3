package io.cohort.core.testing;

import io.cohort.core.model.Branch;
import io.cohort.core.model.Transaction;
import io.cohort.protocol.BranchStatus;
import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.TransType;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Watches a {@link TestStore} and records which status transitions were durably written, per mode; and every write
 * that breaks a rule the store itself does not check: a stored status change outside the transition table, a final
 * transaction changed, a branch status change outside its table, a branch list rewritten.
 */
public final class TransitionRecorder implements TestStore.Observer {

  public record Global(TransType type, GlobalStatus from, GlobalStatus to) {}

  public record BranchChange(TransType type, String op, BranchStatus from, BranchStatus to) {}

  public record Created(TransType type, GlobalStatus status) {}

  private final Set<Global> global = new LinkedHashSet<>();
  private final Set<BranchChange> branch = new LinkedHashSet<>();
  private final Set<Created> created = new LinkedHashSet<>();
  private final List<String> violations = new ArrayList<>();

  @Override
  public synchronized void changed(Transaction before, Transaction after) {
    if (before == null) {
      created.add(new Created(after.type(), after.status()));
      for (Branch b : after.branches()) {
        if (b.status() != BranchStatus.PREPARED) {
          violations.add(after.gid() + ": inserted with branch " + b + " not prepared");
        }
      }
      return;
    }
    if (before.isFinal() && !before.equals(after.withVersion(before.version()))) {
      violations.add(after.gid() + ": final transaction (" + before.status().wire() + ") rewritten as " + after);
    }
    if (before.status() != after.status()) {
      if (!GlobalStatus.canTransition(before.status(), after.status())) {
        violations.add(after.gid() + ": stored global transition " + before.status().wire() + " -> "
            + after.status().wire() + " is not in the table");
      }
      global.add(new Global(after.type(), before.status(), after.status()));
    }
    // Branches are only ever appended, and only by registration: a tcc, xa or workflow that is (and stays) prepared.
    boolean registration = after.type() != TransType.SAGA && after.type() != TransType.MSG
        && before.status() == GlobalStatus.PREPARED && after.status() == GlobalStatus.PREPARED;
    if (after.branches().size() < before.branches().size()
        || (after.branches().size() > before.branches().size() && !registration)) {
      violations.add(after.gid() + ": branch count changed " + before.branches().size() + " -> "
          + after.branches().size() + " (" + after.type().wire() + ", " + before.status().wire() + " -> "
          + after.status().wire() + ")");
      return;
    }
    for (int i = before.branches().size(); i < after.branches().size(); i++) {
      Branch added = after.branches().get(i);
      if (added.attempts() != 0) {
        violations.add(after.gid() + ": registered branch " + added + " arrived with attempts");
      }
      if (added.status() != BranchStatus.PREPARED) {
        if (after.type() != TransType.WORKFLOW) {
          violations.add(after.gid() + ": registered " + after.type().wire() + " branch " + added + " is not prepared");
        }
        branch.add(new BranchChange(after.type(), added.op(), BranchStatus.PREPARED, added.status()));
      }
    }
    for (int i = 0; i < before.branches().size(); i++) {
      Branch b0 = before.branches().get(i);
      Branch b1 = after.branches().get(i);
      if (!b0.branchId().equals(b1.branchId()) || !b0.op().equals(b1.op())) {
        violations.add(after.gid() + ": branch " + i + " changed identity " + b0 + " -> " + b1);
      }
      if (b0.status() != b1.status()) {
        if (!BranchStatus.canTransition(b0.status(), b1.status())) {
          violations.add(after.gid() + ": stored branch transition " + b0 + " -> " + b1 + " is not in the table");
        }
        branch.add(new BranchChange(after.type(), b1.op(), b0.status(), b1.status()));
      }
      if (b1.attempts() < b0.attempts()) {
        violations.add(after.gid() + ": branch " + b1 + " lost attempts (was " + b0.attempts() + ")");
      }
    }
  }

  public synchronized Set<Global> global() {
    return Set.copyOf(global);
  }

  public synchronized Set<BranchChange> branch() {
    return Set.copyOf(branch);
  }

  public synchronized Set<Created> created() {
    return Set.copyOf(created);
  }

  public synchronized List<String> violations() {
    return List.copyOf(violations);
  }
}
