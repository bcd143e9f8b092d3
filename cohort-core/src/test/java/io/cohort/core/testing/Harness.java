package io.cohort.core.testing;

import io.cohort.core.engine.Engine;
import io.cohort.core.engine.EngineSettings;
import io.cohort.core.engine.NewTransaction;
import io.cohort.core.model.Transaction;
import io.cohort.core.plan.PlanSettings;
import io.cohort.core.port.EngineListener;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Objects;
import java.util.Optional;

/**
 * One coordinator wired from fakes: test store (with a transition recorder), scripted invoker, manual clock. The
 * {@link #tick} method plays the scheduler: move the clock to the earliest due time, claim, drive.
 */
public final class Harness {
  public static final String NODE = "node-1";
  public static final Duration LEASE_MARGIN = Duration.ofSeconds(5);
  public static final PlanSettings PLAN = PlanSettings.DEFAULTS;

  public final ManualClock clock = new ManualClock();
  public final TestStore store = new TestStore();
  public final ScriptedInvoker invoker = new ScriptedInvoker();
  public final TransitionRecorder recorder = new TransitionRecorder();
  public final EngineSettings settings = new EngineSettings(NODE, PLAN, LEASE_MARGIN);
  /** Topic name to subscriber URLs, as the engine's topic directory sees them. */
  public final Map<String, List<String>> topics = new ConcurrentHashMap<>();
  public Engine engine;

  public Harness() {
    store.observe(recorder);
    engine = newEngine();
  }

  /** A fresh engine over the same store: what a restarted process gets. */
  public Engine newEngine() {
    return new Engine(store, invoker, clock, settings, EngineListener.NONE,
        topic -> topics.getOrDefault(topic, List.of()));
  }

  /** Submit, then run the first round as the server does. */
  public Transaction submitAndDrive(NewTransaction cmd) {
    Engine.Submitted s = engine.submit(cmd);
    return s.drive() ? engine.drive(s.transaction()) : s.transaction();
  }

  /**
   * Plays one scheduler pass: moves the clock to the earliest wake time of any unfinished transaction (if later than
   * now), claims what is due and drives it.
   *
   * @return what the rounds returned (empty when nothing was due)
   */
  public List<Transaction> tick() {
    Optional<Instant> next = store.all().stream()
        .filter(t -> !t.isFinal())
        .map(Transaction::nextWake)
        .filter(Objects::nonNull)
        .min(Comparator.naturalOrder());
    next.ifPresent(clock::advanceTo);
    Instant now = clock.instant();
    List<Transaction> claimed = store.claimDue(now, 100, "scheduler", now.plus(PLAN.retryInterval()));
    return claimed.stream().map(engine::drive).toList();
  }

  /** Ticks until {@code gid} is final; fails after {@code maxTicks}. */
  public Transaction runToFinal(String gid, int maxTicks) {
    for (int i = 0; i < maxTicks && !store.get(gid).isFinal(); i++) {
      tick();
    }
    Transaction t = store.get(gid);
    if (!t.isFinal()) {
      throw new AssertionError(gid + " not final after " + maxTicks + " ticks: " + t);
    }
    return t;
  }
}
