package io.cohort.core.engine;

import static io.cohort.core.testing.Fixtures.actionUrl;
import static org.assertj.core.api.Assertions.assertThat;
import static io.cohort.core.testing.Fixtures.bytes;
import static io.cohort.core.testing.Fixtures.compensateUrl;

import io.cohort.core.model.Branch;
import io.cohort.core.model.TransOptions;
import io.cohort.core.model.Transaction;
import io.cohort.core.plan.BranchCall;
import io.cohort.core.plan.BranchOutcome;
import io.cohort.core.plan.PlanSettings;
import io.cohort.core.port.BranchInvoker;
import io.cohort.core.port.EngineListener;
import io.cohort.core.testing.Fixtures;
import io.cohort.core.testing.ManualClock;
import io.cohort.core.testing.SimulatedCrash;
import io.cohort.core.testing.TestStore;
import io.cohort.core.testing.TransitionRecorder;
import io.cohort.protocol.BranchOp;
import io.cohort.protocol.BranchStatus;
import io.cohort.protocol.CohortException;
import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.TransType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Seeded simulation (STYLE practice 8). One transaction per try, a generated shape ({@link Spec}) and a seed for
 * everything that happens at run time: participant answers (success, FAILURE, ONGOING, unreachable, a hang that
 * costs the request timeout), client commands (re-submit, submit or abort of a prepared msg, tcc or xa, branch
 * registration), clock jumps, and
 * crashes. A crash is a {@link SimulatedCrash} thrown by the store (before a write, or after it is durable but before
 * the caller learns it) or by the participant side (after it received a call, before the answer arrives); the
 * simulation then drops the engine and carries on as a restarted process would: only the store survives, and the
 * scheduler claims the transaction again once its lease has passed. After a random number of steps the world calms
 * down (no faults, every call succeeds) so that every run must end final.
 *
 * <p>Checked at every call, every write and after every step: see {@link Sim}.
 */
class EngineSimulationTest {

  /** The shape of the transaction of one try. Orders are masks: step i depends on j < i when bit j of mask i is set. */
  record Spec(TransType type, int steps, boolean concurrent, List<Integer> orderMasks, int timeoutToFailSeconds,
      int retryLimit, boolean prepareFirst, int delaySeconds, int emptyCompensationMask) {

    Map<Integer, List<Integer>> orders() {
      Map<Integer, List<Integer>> o = new HashMap<>();
      if (type != TransType.SAGA || !concurrent) {
        return o;
      }
      for (int i = 1; i < steps; i++) {
        List<Integer> deps = new ArrayList<>();
        for (int j = 0; j < i; j++) {
          if ((orderMasks.get(i) & (1 << j)) != 0) {
            deps.add(j);
          }
        }
        if (!deps.isEmpty()) {
          o.put(i, deps);
        }
      }
      return o;
    }

    boolean phaseTwo() {
      return type == TransType.TCC || type == TransType.XA;
    }

    /** Branch id of registered branch {@code i}: odd ones are nested under the one before (01, 0101, 03, 0301...). */
    static String registeredId(int i) {
      return i % 2 == 1 ? Fixtures.id(i - 1) + "01" : Fixtures.id(i);
    }

    RegisterBranch registration(String gid, int i) {
      String id = registeredId(i);
      return type == TransType.TCC
          ? new RegisterBranch(gid, type, id, "", "", bytes("{\"b\":" + i + "}"), "http://svc.test/" + id + "/confirm",
              "http://svc.test/" + id + "/cancel", "")
          : new RegisterBranch(gid, type, id, "", "", null, "", "", "http://svc.test/xa/" + id);
    }

    NewTransaction command(String gid) {
      if (phaseTwo()) {
        TransOptions o = new TransOptions(
            timeoutToFailSeconds == 0 ? null : Duration.ofSeconds(timeoutToFailSeconds), null, null, 0, Map.of(),
            false, Map.of(), null);
        return new NewTransaction(gid, type, List.of(), List.of(), "", "", "http", o);
      }
      List<NewTransaction.Step> s = new ArrayList<>();
      List<byte[]> payloads = new ArrayList<>();
      for (int i = 0; i < steps; i++) {
        boolean noCompensation = type != TransType.SAGA || (emptyCompensationMask & (1 << i)) != 0;
        s.add(new NewTransaction.Step(actionUrl(i), noCompensation ? "" : compensateUrl(i)));
        payloads.add(i % 2 == 0 ? bytes("{\"step\":" + i + "}") : new byte[0]);
      }
      TransOptions o = new TransOptions(
          timeoutToFailSeconds == 0 ? null : Duration.ofSeconds(timeoutToFailSeconds), null, null,
          type == TransType.SAGA ? retryLimit : 0, Map.of(), concurrent, orders(),
          delaySeconds == 0 ? null : Duration.ofSeconds(delaySeconds));
      return new NewTransaction(gid, type, s, payloads, "", type == TransType.MSG ? Fixtures.CHECK_BACK_URL : "",
          "http", o);
    }
  }

  /** Draws a spec from a seed, with the same weights for every option as the generated cases always had. */
  static Spec spec(Random r) {
    int kind = r.nextInt(20);
    TransType type = kind < 8 ? TransType.SAGA : kind < 14 ? TransType.MSG : kind < 17 ? TransType.TCC : TransType.XA;
    int steps = 1 + r.nextInt(5);
    boolean concurrent = r.nextBoolean();
    List<Integer> masks = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      masks.add(r.nextInt(16));
    }
    int timeout = r.nextInt(5) < 3 ? 0 : 5 + r.nextInt(116);
    int retryLimit = r.nextInt(4) < 3 ? 0 : 1 + r.nextInt(3);
    boolean prepareFirst = r.nextBoolean();
    int delay = r.nextInt(4) < 3 ? 0 : 1 + r.nextInt(90);
    int emptyCompensations = r.nextInt(4) < 3 ? 0 : 1 + r.nextInt(31);
    return new Spec(type, steps, concurrent, masks, timeout, retryLimit, prepareFirst, delay, emptyCompensations);
  }

  /** Seeds per run; {@code -Dcohort.simulation.runs=30000} for a soak, {@code -Dcohort.simulation.seed=N} to replay. */
  private static final int RUNS = Integer.getInteger("cohort.simulation.runs", 600);

  @Test
  void invariantsHoldUnderFaultsCrashesAndRestarts() {
    Long only = Long.getLong("cohort.simulation.seed");
    long first = only != null ? only : 0x5EED0000L;
    int runs = only != null ? 1 : RUNS;
    Map<String, Integer> ends = new HashMap<>();
    Map<String, Integer> abortCauses = new HashMap<>();
    int crashed = 0;
    for (long seed = first; seed < first + runs; seed++) {
      Random specRandom = new Random(seed * 31 + 7);
      Spec spec = spec(specRandom);
      Sim sim = new Sim(spec, seed);
      try {
        sim.run();
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError("simulation failed for seed " + seed + " (replay with -Dcohort.simulation.seed="
            + seed + "), spec " + spec + ": " + e.getMessage(), e);
      }
      ends.merge(spec.type().wire() + " " + sim.finalStatus.wire(), 1, Integer::sum);
      abortCauses.merge(String.valueOf(sim.abortCause()), 1, Integer::sum);
      crashed += sim.crashes > 0 ? 1 : 0;
    }
    if (only != null) {
      return;
    }
    // What the runs explored is checked too, so the simulation cannot quietly go soft.
    assertThat(ends.getOrDefault("saga succeed", 0)).as("saga succeed runs %s", ends).isGreaterThan(runs / 10);
    assertThat(ends.getOrDefault("saga failed", 0)).as("saga failed runs %s", ends).isGreaterThan(runs / 10);
    assertThat(ends.getOrDefault("msg succeed", 0)).as("msg succeed runs %s", ends).isGreaterThan(runs / 10);
    assertThat(ends.getOrDefault("msg failed", 0)).as("msg failed runs %s", ends).isGreaterThan(0);
    for (String mode : List.of("tcc", "xa")) {
      assertThat(ends.getOrDefault(mode + " succeed", 0)).as("%s succeed runs %s", mode, ends).isGreaterThan(runs / 50);
      assertThat(ends.getOrDefault(mode + " failed", 0)).as("%s failed runs %s", mode, ends).isGreaterThan(runs / 50);
    }
    assertThat(crashed).as("runs with a crash").isGreaterThan(runs / 5);
    assertThat(abortCauses).as("saga abort causes").containsKeys("FAILURE", "timeout", "retry limit");
  }

  /**
   * One simulated run. Invariants:
   *
   * <ol>
   *   <li>every stored status change is in its transition table; a final transaction is never written again, and its
   *       status never changes;
   *   <li>no call is made for a transaction the store holds as final;
   *   <li>a saga action is called only while the store holds the saga as submitted with the dispatch counted, and
   *       never after any compensation of the saga was called;
   *   <li>a compensation is called only while the store holds the saga as aborting, and only for a step whose action
   *       was called; the one exception is a crash between the durable dispatch of an action and its call (the
   *       coordinator cannot know whether the request left; the participant's barrier makes that compensation a
   *       no-op), so after a crash a durably dispatched action counts as called;
   *   <li>a compensation is never marked failed;
   *   <li>a succeeded saga has every action succeeded and no compensation called;
   *   <li>a failed saga has a succeeded compensation for every action that was called;
   *   <li>a msg is checked back only while prepared; its actions are called only while the store holds it as
   *       submitted; once stored as submitted it never ends failed; a succeeded msg has every action succeeded;
   *   <li>a tcc or xa phase-2 call goes only to a registered branch; confirms and commits only while the store holds it
   *       as submitted, cancels and rollbacks only while aborting, and never both kinds in one run (a tcc never
   *       confirms after a cancel); once stored as submitted it never aborts; a final one has every row of its
   *       direction succeeded and none of the other; xa phase 2 is always POST.
   * </ol>
   */
  static final class Sim {
    static final String GID = "sim-1";
    static final PlanSettings PLAN = PlanSettings.DEFAULTS;

    record Call(String branchId, String op, BranchOutcome outcome) {
      int step() {
        return Integer.parseInt(branchId.substring(0, 2)) - 1;
      }
    }

    enum Intent { NONE, SUBMIT, ABORT }

    final Spec spec;
    final long seed;
    final Random rnd;
    final ManualClock clock = new ManualClock();
    final TestStore store = new TestStore();
    final TransitionRecorder recorder = new TransitionRecorder();
    final EngineSettings settings = new EngineSettings("node", PLAN, Duration.ofSeconds(5));
    final List<Call> calls = new ArrayList<>();
    final List<String> trace = new ArrayList<>();
    final List<String> violations = new ArrayList<>();
    final int failurePercent;
    final int faultPercent;
    Engine engine;
    boolean calm;
    int crashes;
    GlobalStatus finalStatus;
    boolean everSubmitted;
    boolean created;
    Intent intent = Intent.NONE;
    int intentAt;

    Sim(Spec spec, long seed) {
      this.spec = spec;
      this.seed = seed;
      this.rnd = new Random(seed);
      this.failurePercent = rnd.nextInt(30);
      this.faultPercent = 1 + rnd.nextInt(6);
      store.observe(recorder);
      store.observe(this::written);
      store.faults(new TestStore.Faults() {
        @Override
        public void beforeWrite(String op, Transaction next) {
          maybeCrash("before " + op + " v" + next.version());
        }

        @Override
        public void afterWrite(String op, Transaction written) {
          maybeCrash("after " + op + " v" + written.version());
        }
      });
    }

    Engine newEngine() {
      BranchInvoker invoker = this::call;
      return new Engine(store, invoker, clock, settings, EngineListener.NONE);
    }

    void maybeCrash(String where) {
      if (!calm && rnd.nextInt(100) < faultPercent) {
        throw new SimulatedCrash(where);
      }
    }

    void trace(String s) {
      trace.add(clock.instant().getEpochSecond() - ManualClock.EPOCH.getEpochSecond() + "s " + s);
    }

    void violation(String s) {
      violations.add(s);
    }

    // ------------------------------------------------------------------ the world

    void run() {
      engine = newEngine();
      int calmAt = 10 + rnd.nextInt(80);
      int maxSteps = calmAt + 300;
      int extra = -1;
      for (int step = 0; step < maxSteps; step++) {
        if (step == calmAt) {
          calm = true;
          trace("-- calm: no more faults, every call succeeds");
        }
        try {
          act(step);
        } catch (SimulatedCrash c) {
          crashes++;
          trace("CRASH " + c.getMessage() + "; restart");
          engine = newEngine();
        }
        checkState();
        if (extra < 0 && finalStatus != null) {
          extra = 8; // keep poking a final transaction: nothing may change
        }
        if (extra >= 0 && extra-- == 0) {
          break;
        }
      }
      if (finalStatus == null) {
        violation("not final after " + maxSteps + " steps: " + store.find(GID).orElse(null));
      }
      report();
    }

    void act(int step) {
      if (!created) {
        create();
        return;
      }
      int r = rnd.nextInt(100);
      if (intent != Intent.NONE && step >= intentAt && (r < 50 || spec.phaseTwo() && r < 85)) {
        clientIntent();
      } else if (r < 8) {
        resubmit();
      } else if (r < 15) {
        Duration jump = Duration.ofSeconds(1 + rnd.nextInt(40));
        clock.advance(jump);
        trace("clock +" + jump.toSeconds() + "s");
      } else {
        tick();
      }
    }

    void create() {
      NewTransaction cmd = spec.command(GID);
      if (spec.phaseTwo()) {
        // The client prepares, registers each branch (doing its try or local XA phase), then decides. A crash during
        // registration leaves the client undecided: the transaction times out and aborts.
        trace("client prepare");
        engine.prepare(cmd);
        created = true;
        for (int i = 0; i < spec.steps(); i++) {
          trace("client registers " + Spec.registeredId(i));
          engine.registerBranch(spec.registration(GID, i));
        }
        int pick = rnd.nextInt(5);
        intent = pick < 3 ? Intent.SUBMIT : pick == 3 ? Intent.ABORT : Intent.NONE;
        // At once, mostly: a scheduler pass in between jumps the clock to the prepared transaction's timeout.
        intentAt = 1;
        trace("client intends " + intent + " from step " + intentAt);
        return;
      }
      if (spec.type() == TransType.MSG && spec.prepareFirst()) {
        trace("client prepare");
        try {
          engine.prepare(cmd);
        } catch (CohortException e) {
          trace("client prepare refused: " + e.getMessage());
        }
        created = true;
        int pick = rnd.nextInt(4);
        intent = pick < 2 ? Intent.SUBMIT : pick == 2 ? Intent.ABORT : Intent.NONE;
        intentAt = 1 + rnd.nextInt(20);
        trace("client intends " + intent + " from step " + intentAt);
        return;
      }
      trace("client submit");
      Engine.Submitted s = engine.submit(cmd);
      created = true;
      if (s.drive()) {
        engine.drive(s.transaction());
      }
    }

    void clientIntent() {
      try {
        if (intent == Intent.SUBMIT) {
          trace("client submit");
          Engine.Submitted s = engine.submit(spec.command(GID));
          intent = Intent.NONE;
          if (s.drive()) {
            engine.drive(s.transaction());
          }
        } else {
          trace("client abort");
          Engine.Submitted s = engine.abort(GID, spec.type(), "client rolled back");
          intent = Intent.NONE;
          if (s.drive()) {
            engine.drive(s.transaction());
          }
        }
      } catch (CohortException e) {
        trace("client refused: " + e.code() + " " + e.getMessage());
        intent = Intent.NONE;
      }
    }

    void resubmit() {
      if (spec.type() == TransType.MSG && spec.prepareFirst() && intent != Intent.NONE) {
        return; // the client has not decided yet; a submit here would be its decision
      }
      if (spec.phaseTwo() && !everSubmitted) {
        return; // for tcc and xa only a submit the client already made may be repeated
      }
      try {
        trace("client re-submit");
        Engine.Submitted s = engine.submit(spec.command(GID));
        if (s.drive()) {
          engine.drive(s.transaction());
        } else {
          trace("  leased elsewhere; not driven");
        }
      } catch (CohortException e) {
        trace("  refused: " + e.code() + " " + e.getMessage());
      }
    }

    void tick() {
      Transaction t = store.find(GID).orElse(null);
      if (t != null && !t.isFinal() && t.nextWake() != null) {
        clock.advanceTo(t.nextWake());
      }
      Instant now = clock.instant();
      List<Transaction> claimed = store.claimDue(now, 10, "scheduler", now.plus(PLAN.retryInterval()));
      for (Transaction c : claimed) {
        trace("scheduler drives " + c.status().wire());
        Transaction after = engine.drive(c);
        trace("  round ended " + after.status().wire() + " wake=" + after.nextWake());
      }
    }

    /** The participants: a seeded answer, checked against what the store holds at the moment of the call. */
    CompletableFuture<BranchOutcome> call(BranchCall c) {
      Transaction stored = store.get(c.gid());
      checkCall(c, stored);
      BranchOutcome o;
      int r = rnd.nextInt(100);
      if (calm || r >= failurePercent + 35) {
        o = BranchOutcome.SUCCEEDED;
      } else if (r < failurePercent) {
        o = new BranchOutcome.Failed("HTTP 409: FAILURE");
      } else if (r < failurePercent + 12) {
        o = new BranchOutcome.Ongoing("HTTP 425: ONGOING");
      } else if (r < failurePercent + 28) {
        o = new BranchOutcome.Unreachable("HTTP 503");
      } else {
        clock.advance(c.timeout());
        o = new BranchOutcome.Unreachable("timed out after " + c.timeout());
      }
      calls.add(new Call(c.branchId(), c.op(), o));
      trace("call " + c.branchId() + "/" + c.op() + " -> " + o);
      maybeCrash("after the participant got " + c.branchId() + "/" + c.op());
      return CompletableFuture.completedFuture(o);
    }

    void checkCall(BranchCall c, Transaction stored) {
      String what = c.branchId() + "/" + c.op();
      if (stored.isFinal()) {
        violation(what + " called for a transaction stored as " + stored.status().wire());
      }
      if (spec.phaseTwo()) {
        boolean forward = c.op().equals(BranchOp.CONFIRM) || c.op().equals(BranchOp.COMMIT);
        String opposite = forward ? (spec.type() == TransType.TCC ? BranchOp.CANCEL : BranchOp.ROLLBACK)
            : (spec.type() == TransType.TCC ? BranchOp.CONFIRM : BranchOp.COMMIT);
        GlobalStatus expected = forward ? GlobalStatus.SUBMITTED : GlobalStatus.ABORTING;
        if (stored.status() != expected) {
          violation(what + " called while stored " + stored.status().wire());
        }
        if (calls.stream().anyMatch(x -> x.op().equals(opposite))) {
          violation(what + " called after a " + opposite + " was called");
        }
        if (stored.branches().stream().noneMatch(b -> b.branchId().equals(c.branchId()) && b.op().equals(c.op()))) {
          violation(what + " called but never registered");
        }
        if (spec.type() == TransType.XA && !c.post()) {
          violation(what + " xa phase 2 not POST");
        }
        return;
      }
      if (spec.type() == TransType.MSG) {
        if (c.op().equals(BranchOp.MSG) && stored.status() != GlobalStatus.PREPARED) {
          violation("check-back while stored " + stored.status().wire());
        }
        if (c.op().equals(BranchOp.ACTION) && stored.status() != GlobalStatus.SUBMITTED) {
          violation("msg action " + what + " called while stored " + stored.status().wire());
        }
        return;
      }
      int step = Integer.parseInt(c.branchId()) - 1;
      Branch action = stored.branches().get(2 * step + 1);
      if (c.op().equals(BranchOp.ACTION)) {
        if (stored.status() != GlobalStatus.SUBMITTED) {
          violation("saga action " + what + " called while stored " + stored.status().wire());
        }
        if (action.attempts() == 0) {
          violation("saga action " + what + " called before its dispatch was stored");
        }
        if (calls.stream().anyMatch(x -> x.op().equals(BranchOp.COMPENSATE))) {
          violation("saga action " + what + " called after a compensation");
        }
      } else if (c.op().equals(BranchOp.COMPENSATE)) {
        if (stored.status() != GlobalStatus.ABORTING) {
          violation("compensation " + what + " called while stored " + stored.status().wire());
        }
        boolean actionCalled = actionCalled(step);
        boolean durablyDispatched = action.attempts() > 0 || action.status() != BranchStatus.PREPARED;
        if (!actionCalled && !(crashes > 0 && durablyDispatched)) {
          violation("compensation " + what + " called but its action was never called (crashes=" + crashes
              + ", stored " + action + ")");
        }
      }
    }

    boolean actionCalled(int step) {
      return calls.stream().anyMatch(x -> x.step() == step && x.op().equals(BranchOp.ACTION));
    }

    void written(Transaction before, Transaction after) {
      if (after.status() == GlobalStatus.SUBMITTED) {
        everSubmitted = true;
      }
      for (Branch b : after.branches()) {
        if (b.op().equals(BranchOp.COMPENSATE) && b.status() == BranchStatus.FAILED) {
          violation("compensation marked failed: " + b);
        }
      }
    }

    void checkState() {
      Transaction t = store.find(GID).orElse(null);
      if (t == null) {
        return;
      }
      if (finalStatus != null && t.status() != finalStatus) {
        violation("final status " + finalStatus.wire() + " changed to " + t.status().wire());
      }
      if (finalStatus == null && t.isFinal()) {
        finalStatus = t.status();
        trace("FINAL " + t.status().wire() + (t.rollbackReason() == null ? "" : " (" + t.rollbackReason() + ")"));
      }
      if (spec.type() == TransType.SAGA) {
        checkSaga(t);
      } else if (spec.phaseTwo()) {
        checkPhaseTwo(t);
      } else {
        checkMsg(t);
      }
      violations.addAll(recorder.violations().stream().filter(v -> !violations.contains(v)).toList());
      if (!violations.isEmpty()) {
        report();
      }
    }

    void checkSaga(Transaction t) {
      if (t.status() == GlobalStatus.SUCCEED) {
        for (int i = 0; i < spec.steps(); i++) {
          if (t.branches().get(2 * i + 1).status() != BranchStatus.SUCCEED) {
            violation("succeeded saga with action " + t.branches().get(2 * i + 1));
          }
        }
        if (calls.stream().anyMatch(c -> c.op().equals(BranchOp.COMPENSATE))) {
          violation("succeeded saga had a compensation called");
        }
      }
      if (t.status() == GlobalStatus.FAILED) {
        for (int i = 0; i < spec.steps(); i++) {
          if (!actionCalled(i)) {
            continue;
          }
          Branch comp = t.branches().get(2 * i);
          if (comp.status() != BranchStatus.SUCCEED) {
            violation("failed saga: action " + Fixtures.id(i) + " was called but its compensation is " + comp);
          }
          int step = i;
          boolean compOk = calls.stream().anyMatch(c -> c.step() == step && c.op().equals(BranchOp.COMPENSATE)
              && c.outcome() instanceof BranchOutcome.Succeeded);
          if (comp.hasUrl() && !compOk) {
            violation("failed saga: no successful compensation call for " + Fixtures.id(i));
          }
        }
      }
    }

    /** A tcc or xa never changes its decision: all forward calls and rows, or all backward ones, never both. */
    void checkPhaseTwo(Transaction t) {
      boolean tcc = spec.type() == TransType.TCC;
      String forwardOp = tcc ? BranchOp.CONFIRM : BranchOp.COMMIT;
      String backwardOp = tcc ? BranchOp.CANCEL : BranchOp.ROLLBACK;
      if (everSubmitted && (t.status() == GlobalStatus.ABORTING || t.status() == GlobalStatus.FAILED)) {
        violation(spec.type().wire() + " stored as submitted, later " + t.status().wire());
      }
      if (t.isFinal()) {
        String done = t.status() == GlobalStatus.SUCCEED ? forwardOp : backwardOp;
        String never = t.status() == GlobalStatus.SUCCEED ? backwardOp : forwardOp;
        for (Branch b : t.branches()) {
          if (b.op().equals(done) && b.status() != BranchStatus.SUCCEED) {
            violation(t.status().wire() + " " + spec.type().wire() + " with " + b);
          }
          if (b.op().equals(never) && b.status() != BranchStatus.PREPARED) {
            violation(t.status().wire() + " " + spec.type().wire() + " with " + b);
          }
        }
        if (calls.stream().anyMatch(c -> c.op().equals(never))) {
          violation(t.status().wire() + " " + spec.type().wire() + " had a " + never + " called");
        }
      }
    }

    void checkMsg(Transaction t) {
      if (everSubmitted && t.status() == GlobalStatus.FAILED) {
        violation("msg failed after it was stored as submitted");
      }
      if (t.status() == GlobalStatus.SUCCEED) {
        t.branches().forEach(b -> {
          if (b.status() != BranchStatus.SUCCEED) {
            violation("succeeded msg with " + b);
          }
        });
      }
    }

    String abortCause() {
      Transaction t = store.find(GID).orElse(null);
      if (spec.type() != TransType.SAGA || t == null || t.status() != GlobalStatus.FAILED) {
        return "-";
      }
      String r = t.rollbackReason() == null ? "" : t.rollbackReason();
      return r.startsWith("Timeout") ? "timeout" : r.startsWith("retry limit") ? "retry limit"
          : r.contains("FAILURE") ? "FAILURE" : r;
    }

    void report() {
      if (Boolean.getBoolean("cohort.simulation.trace")) {
        System.out.println("seed " + seed + " " + spec + "\n    " + String.join("\n    ", trace));
      }
      if (violations.isEmpty()) {
        return;
      }
      List<String> tail = trace.subList(Math.max(0, trace.size() - 80), trace.size());
      throw new AssertionError("simulation violated invariants\n  spec=" + spec + "\n  seed=" + seed
          + " failure%=" + failurePercent + " fault%=" + faultPercent + " crashes=" + crashes + "\n  violations: "
          + violations + "\n  trace (last " + tail.size() + "):\n    " + String.join("\n    ", tail)
          + "\n  stored: " + store.find(GID).orElse(null));
    }
  }
}
