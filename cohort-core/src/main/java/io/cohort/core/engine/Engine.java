package io.cohort.core.engine;

import io.cohort.core.model.Branch;
import io.cohort.core.model.Transaction;
import io.cohort.core.plan.Applied;
import io.cohort.core.plan.Backoff;
import io.cohort.core.plan.BranchCall;
import io.cohort.core.plan.BranchOutcome;
import io.cohort.core.plan.MsgPlanner;
import io.cohort.core.plan.PhaseTwoPlanner;
import io.cohort.core.plan.Plan;
import io.cohort.core.plan.Planner;
import io.cohort.core.plan.SagaPlanner;
import io.cohort.core.plan.WorkflowPlanner;
import io.cohort.core.port.BranchInvoker;
import io.cohort.core.port.EngineListener;
import io.cohort.core.port.TopicDirectory;
import io.cohort.core.port.TransactionStore;
import io.cohort.protocol.BranchOp;
import io.cohort.protocol.BranchStatus;
import io.cohort.protocol.CohortException;
import io.cohort.protocol.ErrorCode;
import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.Gids;
import io.cohort.protocol.TransType;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * The engine: client commands (prepare, submit, abort, forceStop, reset) and the processing round.
 *
 * <p><b>Prepare, persist, then apply.</b> Every change is computed as a new immutable {@link Transaction}, written
 * with compare-and-set on the stored version, and only then acted on (a branch called, a client answered). A write
 * that loses the compare-and-set means another command or coordinator moved the transaction on: the engine stops
 * touching it and reports what is stored.
 *
 * <p><b>Rounds.</b> {@link #drive} runs a transaction as far as it can go now: it asks the mode's pure
 * {@link Planner} what to do, does it (branch calls through the {@link BranchInvoker} port, writes through the
 * {@link TransactionStore} port), feeds the outcomes back, and repeats until the transaction is final, has to wait, or
 * must retry later. Branches with an empty URL succeed without a call. While a round runs, the transaction's
 * {@code nextWake} is this coordinator's lease (request timeout plus a margin, renewed by every write), so a scheduler
 * elsewhere claims it only if this coordinator dies.
 *
 * <p><b>Threads.</b> None are created here. Commands and rounds run on the caller's thread (a virtual thread in the
 * server); concurrent branch calls are futures from the invoker, joined before the round moves on.
 */
public final class Engine {
  private static final System.Logger LOG = System.getLogger(Engine.class.getName());
  private static final int MAX_STEPS_PER_ROUND = 100_000;
  /** Most branch rows one tcc, xa or workflow may register (a tcc branch is two rows). */
  static final int MAX_BRANCHES = 2000;

  private final TransactionStore store;
  private final BranchInvoker invoker;
  private final InstantSource clock;
  private final EngineSettings settings;
  private final EngineListener listener;
  private final TopicDirectory topics;
  private final Planner saga = new SagaPlanner();
  private final Planner msg = new MsgPlanner();
  private final Planner tcc = PhaseTwoPlanner.tcc();
  private final Planner xa = PhaseTwoPlanner.xa();
  private final Planner workflow = new WorkflowPlanner();

  public Engine(TransactionStore store, BranchInvoker invoker, InstantSource clock, EngineSettings settings,
      EngineListener listener) {
    this(store, invoker, clock, settings, listener, TopicDirectory.NONE);
  }

  public Engine(TransactionStore store, BranchInvoker invoker, InstantSource clock, EngineSettings settings,
      EngineListener listener, TopicDirectory topics) {
    this.store = store;
    this.invoker = invoker;
    this.clock = clock;
    this.settings = settings;
    this.listener = listener;
    this.topics = topics;
  }

  public EngineSettings settings() {
    return settings;
  }

  Planner planner(TransType type) {
    return switch (type) {
      case SAGA -> saga;
      case MSG -> msg;
      case TCC -> tcc;
      case XA -> xa;
      case WORKFLOW -> workflow;
    };
  }

  // ---------------------------------------------------------------- commands

  /**
   * {@code prepare}: creates a msg, tcc or xa transaction as {@code prepared}; idempotent while it stays prepared. A
   * prepared msg is due at its first check-back, a prepared tcc or xa at its timeout; nobody owns either.
   */
  public Transaction prepare(NewTransaction cmd) {
    cmd.validate(false);
    if (cmd.type() == TransType.SAGA) {
      throw CohortException.badRequest("prepare is for msg, tcc and xa transactions; a saga is submitted directly");
    }
    if (cmd.type() == TransType.WORKFLOW) {
      throw CohortException.badRequest("a workflow is started with prepareWorkflow, not prepare");
    }
    Instant now = clock.instant();
    Transaction fresh = Layout.create(cmd, GlobalStatus.PREPARED, now, settings, topics);
    Instant due = cmd.type() == TransType.MSG
        ? now.plus(cmd.options().timeoutToFail() != null ? cmd.options().timeoutToFail() : settings.plan().timeoutToFail())
        : PhaseTwoPlanner.deadline(fresh, settings.plan());
    fresh = fresh.withSchedule(due, fresh.retryInterval(), 0, "");
    TransactionStore.InsertResult r = store.insert(fresh);
    if (r.inserted()) {
      listener.written(r.stored());
      return r.stored();
    }
    Transaction existing = r.stored();
    if (existing.type() != cmd.type()) {
      throw typeMismatch(existing, cmd.type());
    }
    if (existing.status() == GlobalStatus.PREPARED) {
      return existing;
    }
    throw CohortException.failure("current status '" + existing.status().wire() + "', cannot prepare");
  }

  /**
   * {@code prepareWorkflow}: creates a workflow as {@code prepared}, or returns the existing one with its recorded
   * progress (whatever its status: a finished workflow tells the client its outcome). Its first resume call is one
   * retry interval away.
   */
  public Transaction prepareWorkflow(NewTransaction cmd) {
    if (cmd.type() != TransType.WORKFLOW) {
      throw CohortException.badRequest("prepareWorkflow is for trans_type workflow, got "
          + (cmd.type() == null ? "none" : cmd.type().wire()));
    }
    cmd.validate(false);
    Instant now = clock.instant();
    Transaction fresh = Layout.create(cmd, GlobalStatus.PREPARED, now, settings, topics);
    fresh = fresh.withSchedule(now.plus(Backoff.base(fresh, settings.plan())), fresh.retryInterval(), 0, "");
    TransactionStore.InsertResult r = store.insert(fresh);
    if (r.inserted()) {
      listener.written(r.stored());
      return r.stored();
    }
    if (r.stored().type() != TransType.WORKFLOW) {
      throw typeMismatch(r.stored(), TransType.WORKFLOW);
    }
    return r.stored();
  }

  /**
   * {@code registerBranch}: adds a tcc, xa or workflow branch to a prepared transaction. A tcc branch is stored as two
   * rows (cancel, then confirm), an xa branch as two (rollback, then commit) at its one URL, a workflow step as one row
   * with the status the client recorded. Registering a (branch id, op) that exists is refused and changes nothing.
   */
  public Transaction registerBranch(RegisterBranch cmd) {
    cmd.validate();
    Supplier<CohortException> missing = () -> CohortException.failure(
        "no transaction with gid '" + cmd.gid() + "'; prepare it before registering branches");
    // More attempts than other commands: the branches of one transaction are often registered concurrently.
    return change(cmd.gid(), null, 64, missing, (t, now) -> {
      if (t.type() != cmd.type()) {
        throw typeMismatch(t, cmd.type());
      }
      if (t.status() != GlobalStatus.PREPARED) {
        throw CohortException.failure("transaction " + t.gid() + " is " + t.status().wire()
            + ", not prepared; branches can only be registered while it is prepared");
      }
      List<Branch> rows = branchRows(cmd, now);
      if (t.branches().size() + rows.size() > MAX_BRANCHES) {
        throw CohortException.failure("transaction " + t.gid() + " has " + t.branches().size()
            + " branch rows; the limit is " + MAX_BRANCHES);
      }
      for (Branch row : rows) {
        for (Branch b : t.branches()) {
          if (b.branchId().equals(row.branchId()) && b.op().equals(row.op())) {
            throw CohortException.failure("branch " + row.branchId() + " (op " + row.op()
                + ") is already registered in transaction " + t.gid());
          }
        }
      }
      List<Branch> all = new ArrayList<>(t.branches());
      all.addAll(rows);
      Transaction next = t.withBranches(all);
      if (t.type() == TransType.WORKFLOW && t.owner().isEmpty()) {
        // A workflow that records progress is alive: its next resume is one quiet interval away.
        Duration base = Backoff.base(t, settings.plan());
        next = next.withSchedule(now.plus(base), t.retryInterval(), t.failures(), "");
      }
      return next;
    }).transaction();
  }

  private static List<Branch> branchRows(RegisterBranch cmd, Instant now) {
    return switch (cmd.type()) {
      case TCC -> List.of(
          Branch.create(cmd.branchId(), BranchOp.CANCEL, cmd.cancel(), cmd.data(), now),
          Branch.create(cmd.branchId(), BranchOp.CONFIRM, cmd.confirm(), cmd.data(), now));
      case XA -> List.of(
          Branch.create(cmd.branchId(), BranchOp.ROLLBACK, cmd.url(), new byte[0], now),
          Branch.create(cmd.branchId(), BranchOp.COMMIT, cmd.url(), new byte[0], now));
      case WORKFLOW -> {
        Branch b = Branch.create(cmd.branchId(), cmd.op(), "", cmd.data(), now);
        BranchStatus status = BranchStatus.fromWire(cmd.status());
        yield List.of(status == BranchStatus.PREPARED ? b : b.transition(status, now, null));
      }
      case SAGA, MSG -> throw new IllegalStateException("validated: " + cmd.type());
    };
  }

  /**
   * {@code submit} of a workflow: the client ends it with the final status it reached ({@code succeed} or
   * {@code failed}), its result (base64 text, kept as given) and its rollback reason. Repeating the same final
   * status is accepted and changes nothing.
   */
  public Transaction finishWorkflow(String gid, String status, String result, String reason) {
    Gids.check(gid);
    GlobalStatus target = GlobalStatus.fromWire(status == null ? "" : status);
    if (target != GlobalStatus.SUCCEED && target != GlobalStatus.FAILED) {
      throw CohortException.badRequest("req_extra.status must be succeed or failed to submit a workflow, got '"
          + (status == null ? "" : status) + "'");
    }
    return change(gid, null, 10, () -> notFound(gid), (t, now) -> {
      if (t.type() != TransType.WORKFLOW) {
        throw typeMismatch(t, TransType.WORKFLOW);
      }
      if (t.status() == target) {
        return t;
      }
      if (t.status() != GlobalStatus.PREPARED) {
        throw CohortException.failure("current status '" + t.status().wire() + "', cannot submit");
      }
      Transaction next = target == GlobalStatus.SUCCEED
          ? t.transition(GlobalStatus.SUCCEED, now, null)
          : t.transition(GlobalStatus.FAILED, now, reason == null || reason.isEmpty() ? "workflow failed" : reason);
      if (result != null && !result.isEmpty()) {
        next = next.withResult(result);
      }
      return finalSchedule(next);
    }).transaction();
  }

  /** The result of {@link #submit}: {@code drive} tells the caller to run {@link #drive} on {@code transaction}. */
  public record Submitted(Transaction transaction, boolean drive) {}

  /**
   * {@code submit}: creates a saga or msg as {@code submitted}, promotes a prepared msg, or takes up a submitted one
   * again (idempotent). The caller then runs the first round, synchronously for {@code wait_result}.
   */
  public Submitted submit(NewTransaction cmd) {
    cmd.validate(true);
    if (cmd.type() == TransType.WORKFLOW) {
      throw CohortException.badRequest("a workflow is submitted with req_extra.status (finishWorkflow)");
    }
    if (cmd.type() == TransType.TCC || cmd.type() == TransType.XA) {
      // The branches were registered while it was prepared; a tcc or xa that was never prepared has nothing to run.
      Transaction existing = find(cmd.gid()).orElseThrow(() -> new CohortException(ErrorCode.NOT_FOUND,
          "no transaction with gid '" + cmd.gid() + "'; a " + cmd.type().wire() + " is prepared before it is submitted"));
      return takeUp(cmd, existing);
    }
    if (cmd.type() == TransType.MSG && cmd.steps().isEmpty()) {
      // Submitting a prepared msg may omit the steps: the stored ones are used. A new msg needs them.
      Transaction existing = find(cmd.gid()).orElseThrow(
          () -> CohortException.badRequest("a msg needs at least one step in steps"));
      return takeUp(cmd, existing);
    }
    Instant now = clock.instant();
    Transaction fresh = Layout.create(cmd, GlobalStatus.SUBMITTED, now, settings, topics);
    fresh = fresh.withSchedule(lease(fresh, now), fresh.retryInterval(), 0, settings.nodeId());
    TransactionStore.InsertResult r = store.insert(fresh);
    if (r.inserted()) {
      listener.written(r.stored());
      return new Submitted(r.stored(), true);
    }
    return takeUp(cmd, r.stored());
  }

  /** Submit of an existing gid: promote a prepared msg, take up a submitted one whose lease passed, or refuse. */
  private Submitted takeUp(NewTransaction cmd, Transaction first) {
    return change(cmd.gid(), first, 10, () -> notFound(cmd.gid()), (existing, at) -> {
      if (existing.type() != cmd.type()) {
        throw typeMismatch(existing, cmd.type());
      }
      Transaction next;
      if (existing.status() == GlobalStatus.PREPARED) {
        next = existing.transition(GlobalStatus.SUBMITTED, at, null);
      } else if (existing.status() == GlobalStatus.SUBMITTED) {
        if (leasedElsewhere(existing, at)) {
          return existing; // a round is running somewhere; it will finish the work
        }
        next = existing;
      } else {
        throw CohortException.failure("current status '" + existing.status().wire() + "', cannot submit");
      }
      return next.withSchedule(lease(next, at), next.retryInterval(), next.failures(), settings.nodeId());
    }).submitted();
  }

  /**
   * {@code abort}: a prepared msg fails at once (nothing was delivered); a prepared tcc or xa starts aborting (its
   * cancels or rollbacks run next), an aborting one is taken up again. A saga cannot be aborted by the client.
   */
  public Submitted abort(String gid, TransType requestType, String reason) {
    Gids.check(gid);
    if (requestType == null) {
      throw CohortException.badRequest("trans_type is required");
    }
    if (requestType == TransType.SAGA) {
      throw CohortException.failure("a saga cannot be aborted by the client; it compensates on its own when an action fails");
    }
    if (requestType == TransType.WORKFLOW) {
      throw CohortException.failure("a workflow is not aborted; submit it with req_extra.status failed");
    }
    String why = reason == null || reason.isEmpty() ? "aborted by client" : reason;
    return change(gid, null, 10, () -> notFound(gid), (t, now) -> {
      if (t.type() != requestType) {
        throw typeMismatch(t, requestType);
      }
      if (t.type() == TransType.MSG && t.status() == GlobalStatus.PREPARED) {
        return finalSchedule(t.transition(GlobalStatus.FAILED, now, why)); // nothing was delivered: nothing to run
      }
      if (t.type() != TransType.MSG && t.status() == GlobalStatus.PREPARED) {
        return held(t.transition(GlobalStatus.ABORTING, now, why), now);
      }
      if (t.type() != TransType.MSG && t.status() == GlobalStatus.ABORTING) {
        return leasedElsewhere(t, now) ? t : held(t, now); // leased: a round elsewhere will finish the work
      }
      throw CohortException.failure("current status '" + t.status().wire() + "', cannot abort");
    }).submitted();
  }

  /** {@code forceStop}: an operator ends any unfinished transaction as {@code failed}; no more calls are made. */
  public Transaction forceStop(String gid) {
    Gids.check(gid);
    return change(gid, null, 10, () -> notFound(gid), (t, now) -> {
      if (t.isFinal()) {
        throw CohortException.failure("current status '" + t.status().wire() + "', cannot force stop");
      }
      return finalSchedule(t.transition(GlobalStatus.FAILED, now, "stopped by operator (forceStop)"));
    }).transaction();
  }

  /** {@code resetNextCronTime}: makes an unfinished transaction due now (the scheduler takes it up at once). */
  public Transaction resetNextWake(String gid) {
    Gids.check(gid);
    return change(gid, null, 10, () -> notFound(gid), (t, now) -> {
      if (t.isFinal()) {
        throw CohortException.failure("current status '" + t.status().wire() + "', nothing to retry");
      }
      return t.withSchedule(now, t.retryInterval(), t.failures(), "");
    }).transaction();
  }

  /** What {@link #change} did: {@code written} is false when the decision was to answer without a change. */
  private record Changed(Transaction transaction, boolean written) {
    /** As a submit or abort result: run a round when this node wrote a state that is not final (it holds the lease). */
    Submitted submitted() {
      return new Submitted(transaction, written && !transaction.isFinal());
    }
  }

  /**
   * The compare-and-set loop of every command on an existing transaction. {@code decide} gets the stored transaction
   * (starting with {@code first} when the caller already read it) and the time, and refuses by throwing, answers
   * without a change by returning the transaction it was given, or returns the next state, which is written with
   * compare-and-set. A write that loses to another writer reads again and decides again.
   */
  private Changed change(String gid, Transaction first, int attempts, Supplier<CohortException> missing,
      BiFunction<Transaction, Instant, Transaction> decide) {
    Transaction t = first;
    for (int attempt = 0; attempt < attempts; attempt++) {
      if (t == null) {
        t = find(gid).orElseThrow(missing);
      }
      Transaction next = decide.apply(t, clock.instant());
      if (next == t) {
        return new Changed(t, false);
      }
      Transaction written = write(t, next);
      if (written != null) {
        return new Changed(written, true);
      }
      t = null;
    }
    throw new CohortException(ErrorCode.UNAVAILABLE, "transaction " + gid + " is changing too fast; retry");
  }

  /** Another coordinator (or a round of this one) holds the transaction under a lease that has not run out. */
  private static boolean leasedElsewhere(Transaction t, Instant now) {
    return !t.owner().isEmpty() && t.nextWake() != null && t.nextWake().isAfter(now);
  }

  /** The result of {@link #resetCronTime}. */
  public record ResetResult(int reset, boolean hasRemaining) {}

  /**
   * {@code resetCronTime}: after an outage, makes due now every unfinished transaction whose next wake is more than
   * {@code horizon} away (they backed off far while participants were down), at most {@code limit} of them.
   */
  public ResetResult resetCronTime(Duration horizon, int limit) {
    if (horizon.isNegative()) {
      throw CohortException.badRequest("timeout must not be negative");
    }
    if (limit < 1) {
      throw CohortException.badRequest("limit must be at least 1");
    }
    Instant now = clock.instant();
    List<Transaction> far = store.wakingAfter(now.plus(horizon), limit + 1);
    int reset = 0;
    for (Transaction t : far.subList(0, Math.min(limit, far.size()))) {
      if (write(t, t.withSchedule(now, t.retryInterval(), t.failures(), "")) != null) {
        reset++;
      }
    }
    return new ResetResult(reset, far.size() > limit);
  }

  public Optional<Transaction> find(String gid) {
    return store.find(gid);
  }

  // ---------------------------------------------------------------- the round

  /**
   * Runs a transaction this coordinator owns (just created, promoted or claimed) as far as it can go now.
   *
   * @return the transaction as last written by this round, or as stored when another writer took it over
   */
  public Transaction drive(Transaction owned) {
    Planner planner = planner(owned.type());
    Transaction stored = owned;
    Transaction work = owned;
    for (int step = 0; step < MAX_STEPS_PER_ROUND; step++) {
      Instant now = clock.instant();
      Plan plan = planner.plan(work, now, settings.plan());
      switch (plan) {
        case Plan.Done done -> {
          if (work != stored) {
            stored = write(stored, work.isFinal() ? finalSchedule(work) : work);
          }
          return stored == null ? current(owned) : stored;
        }
        case Plan.Sleep sleep -> {
          Transaction w = write(stored, work.withSchedule(sleep.until(), work.retryInterval(), work.failures(), ""));
          return w == null ? current(owned) : w;
        }
        case Plan.Write change -> {
          stored = write(stored, held(change.next(), now));
          if (stored == null) {
            return current(owned);
          }
          work = stored;
          if (work.isFinal()) {
            return work;
          }
        }
        case Plan.Call call -> {
          work = call.marked();
          boolean leaseShort = stored.nextWake() == null
              || stored.nextWake().isBefore(now.plus(requestTimeout(work)).plus(settings.leaseMargin().dividedBy(2)));
          if (anyUrl(work, call.branches()) && (call.durableFirst() || leaseShort)) {
            // Durable dispatch where the mode needs it; otherwise only renew a lease that could run out mid-call.
            stored = write(stored, held(work, now));
            if (stored == null) {
              return current(owned);
            }
            work = stored;
          }
          List<BranchOutcome> outcomes = invokeAll(work, call.branches());
          GlobalStatus before = work.status();
          Instant at = clock.instant();
          Applied applied = planner.apply(work, call.branches(), outcomes, at, settings.plan());
          work = applied.next();
          if (applied.retryAt() != null) {
            Transaction w = write(stored, work.withSchedule(applied.retryAt(), work.retryInterval(), work.failures(), ""));
            return w == null ? current(owned) : w;
          }
          if (work.status() != before) {
            // The outcomes decided a global transition (a saga aborting, a msg submitted or failed by its check-back):
            // store it before anything acts on it. Otherwise compensations run while the store still says submitted
            // (a crash then re-runs actions after their compensation), and a msg is delivered while the store still
            // says prepared (a concurrent abort wins the compare-and-set, yet the message went out).
            stored = write(stored, held(work, at));
            if (stored == null) {
              return current(owned);
            }
            work = stored;
            if (work.isFinal()) {
              return work;
            }
          }
        }
      }
    }
    LOG.log(System.Logger.Level.ERROR, "gid={0}: round did not converge; parking it", owned.gid());
    Transaction w = write(stored, work.withSchedule(clock.instant().plus(settings.plan().retryInterval()),
        work.retryInterval(), work.failures(), ""));
    return w == null ? current(owned) : w;
  }

  private List<BranchOutcome> invokeAll(Transaction t, List<Integer> idx) {
    List<CompletableFuture<BranchOutcome>> futures = new ArrayList<>(idx.size());
    for (int i : idx) {
      BranchCall call = callFor(t, i);
      if (call.url().isEmpty()) {
        futures.add(CompletableFuture.completedFuture(BranchOutcome.SUCCEEDED));
      } else {
        futures.add(invoker.invoke(call));
      }
    }
    List<BranchOutcome> out = new ArrayList<>(futures.size());
    for (CompletableFuture<BranchOutcome> f : futures) {
      BranchOutcome o;
      try {
        o = f.join();
      } catch (RuntimeException e) {
        o = new BranchOutcome.Unreachable("invoker error: " + e);
      }
      out.add(o);
    }
    return out;
  }

  /** The one place a branch call's shape is decided (reference section 2.1). */
  BranchCall callFor(Transaction t, int index) {
    Duration timeout = requestTimeout(t);
    if (index == Plan.CHECK_BACK && t.type() == TransType.WORKFLOW) {
      // The resume call: op is the workflow's name, the body its input (reference section 2.7).
      String data = t.options().workflowData();
      byte[] input = data == null || data.isEmpty() ? new byte[0] : Base64.getDecoder().decode(data);
      String name = t.options().workflowName() == null ? "" : t.options().workflowName();
      return new BranchCall(t.gid(), t.type().wire(), BranchOp.CHECK_BACK_BRANCH_ID, name, t.queryPrepared(), input,
          input.length > 0, t.options().branchHeaders(), timeout);
    }
    if (index == Plan.CHECK_BACK) {
      return new BranchCall(t.gid(), t.type().wire(), BranchOp.CHECK_BACK_BRANCH_ID, BranchOp.MSG, t.queryPrepared(),
          new byte[0], false, t.options().branchHeaders(), timeout);
    }
    Branch b = t.branches().get(index);
    boolean post = b.payload().length > 0 || t.type() == TransType.XA;
    return new BranchCall(t.gid(), t.type().wire(), b.branchId(), b.op(), b.url(), b.payload(), post,
        t.options().branchHeaders(), timeout);
  }

  private boolean anyUrl(Transaction t, List<Integer> idx) {
    for (int i : idx) {
      if (i == Plan.CHECK_BACK ? !t.queryPrepared().isEmpty() : t.branches().get(i).hasUrl()) {
        return true;
      }
    }
    return false;
  }

  private Duration requestTimeout(Transaction t) {
    Duration d = t.options().requestTimeout();
    return d != null ? d : settings.plan().requestTimeout();
  }

  private Instant lease(Transaction t, Instant now) {
    return now.plus(requestTimeout(t)).plus(settings.leaseMargin());
  }

  /** A final transaction leaves the schedule; any other stays held by this node under a fresh lease. */
  private Transaction held(Transaction t, Instant now) {
    return t.isFinal() ? finalSchedule(t)
        : t.withSchedule(lease(t, now), t.retryInterval(), t.failures(), settings.nodeId());
  }

  private static Transaction finalSchedule(Transaction t) {
    return t.withSchedule(null, t.retryInterval(), t.failures(), "");
  }

  /** Compare-and-set write; null when another writer got there first. */
  private Transaction write(Transaction stored, Transaction next) {
    Transaction versioned = next.withVersion(stored.version() + 1);
    if (store.update(versioned, stored.version())) {
      listener.written(versioned);
      return versioned;
    }
    LOG.log(System.Logger.Level.DEBUG, "gid={0}: version {1} is stale, another writer moved it on", stored.gid(),
        stored.version());
    return null;
  }

  private Transaction current(Transaction fallback) {
    return store.find(fallback.gid()).orElse(fallback);
  }

  private static CohortException typeMismatch(Transaction t, TransType asked) {
    return CohortException.failure("transaction " + t.gid() + " is a " + t.type().wire() + ", not a "
        + (asked == null ? "transaction of no type" : asked.wire()));
  }

  private static CohortException notFound(String gid) {
    return new CohortException(ErrorCode.NOT_FOUND, "no transaction with gid '" + gid + "'");
  }
}
