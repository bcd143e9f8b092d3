package io.cohort.server.crash;

import io.cohort.server.support.Participant;
import io.cohort.server.support.Participant.Call;
import io.cohort.server.support.Participant.Reply;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * The participants of the crash tests: three real HTTP servers on loopback. {@code fast} serves the quick behaviours,
 * {@code slow} the slow and gated ones, {@code app} the msg check-back. A branch's behaviour is in its path, the same
 * on every participant: {@code /a/<behaviour>} for an action, {@code /c/<behaviour>} for a compensation,
 * {@code /confirm/<behaviour>} and {@code /cancel/<behaviour>} for a TCC branch's phase 2, {@code /xa/<behaviour>} for
 * an XA branch's one phase-2 URL (commit and rollback alike).
 *
 * <ul>
 *   <li>{@code ok}: 200 SUCCESS at once.
 *   <li>{@code slow}: 200 SUCCESS after 300 to 800 ms (fixed per gid, branch and op).
 *   <li>{@code flaky}: 500 on the first two calls of each gid, branch and op, then 200.
 *   <li>{@code fail}: 409 FAILURE (a business failure: the saga must compensate). In phase 2 (confirm, cancel, commit,
 *       rollback), which must succeed, 409 FAILURE on the first two calls of each gid, branch and op, then 200: the
 *       coordinator has to retry a FAILURE like any other error.
 *   <li>{@code gate}: waits while the {@link Gate} is closed, then 200. Lets a test hold calls in flight and kill the
 *       coordinator while they are.
 * </ul>
 *
 * <p>The check-back ({@code /query-prepared}) answers what the test registered for the gid with
 * {@link #expectCheckBack}, and 500 for a gid it does not know.
 */
final class Bank implements AutoCloseable {

  /** How a branch answers. */
  enum Behaviour {
    OK, SLOW, FLAKY, FAIL, GATE;

    String path() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  static final String QUERY_PREPARED = "/query-prepared";

  /** Holds calls until opened. */
  static final class Gate {
    private volatile CountDownLatch latch = new CountDownLatch(0);
    private final AtomicInteger held = new AtomicInteger();

    void close() {
      latch = new CountDownLatch(1);
    }

    void open() {
      latch.countDown();
    }

    /** How many calls are waiting at the gate now. */
    int held() {
      return held.get();
    }

    void pass() {
      CountDownLatch l = latch;
      if (l.getCount() == 0) {
        return;
      }
      held.incrementAndGet();
      try {
        // Bounded so a test that forgets to open the gate cannot hang a participant forever.
        l.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        held.decrementAndGet();
      }
    }
  }

  private record Trigger(Predicate<Call> when, Runnable action, CompletableFuture<Call> fired) {}

  final Participant fast;
  final Participant slow;
  final Participant app;
  final Gate gate = new Gate();
  private final Map<String, Boolean> checkBack = new ConcurrentHashMap<>();
  private final AtomicReference<Trigger> trigger = new AtomicReference<>();

  Bank() throws IOException {
    fast = new Participant();
    slow = new Participant();
    app = new Participant();
    for (Participant p : List.of(fast, slow)) {
      p.on("/a/ok", Reply.ok()).on("/c/ok", Reply.ok());
      p.on("/a/slow", Bank::slowly).on("/c/slow", Bank::slowly);
      p.on("/a/flaky", c -> flakily(p, c)).on("/c/flaky", c -> flakily(p, c));
      p.on("/a/fail", Reply.failure());
      p.on("/a/gate", this::gated).on("/c/gate", this::gated);
      for (Behaviour b : Behaviour.values()) {
        for (String prefix : List.of("/confirm/", "/cancel/", "/xa/")) {
          p.on(prefix + b.path(), c -> phaseTwo(p, b, c));
        }
      }
    }
    app.on(QUERY_PREPARED, c -> {
      Boolean ok = checkBack.get(c.gid());
      return ok == null ? Reply.error() : ok ? Reply.ok() : Reply.failure();
    });
    for (Participant p : List.of(fast, slow, app)) {
      p.afterReply(this::replied);
    }
  }

  String actionUrl(Behaviour b) {
    return participant(b).url("/a/" + b.path());
  }

  String compensateUrl(Behaviour b) {
    return participant(b).url("/c/" + b.path());
  }

  String confirmUrl(Behaviour b) {
    return participant(b).url("/confirm/" + b.path());
  }

  String cancelUrl(Behaviour b) {
    return participant(b).url("/cancel/" + b.path());
  }

  String xaUrl(Behaviour b) {
    return participant(b).url("/xa/" + b.path());
  }

  /**
   * Phase 2: the earliest call of a gid, branch and op that {@code b} answers SUCCESS (1 for the first call). No
   * coordinator can have recorded the branch as done before this call was received.
   */
  static int phaseTwoSucceedsOnCall(Behaviour b) {
    return b == Behaviour.FLAKY || b == Behaviour.FAIL ? 3 : 1;
  }

  String queryPreparedUrl() {
    return app.url(QUERY_PREPARED);
  }

  /** What {@code query_prepared} answers for {@code gid}: SUCCESS (the local transaction committed) or FAILURE. */
  void expectCheckBack(String gid, boolean committed) {
    checkBack.put(gid, committed);
  }

  /** Every call any participant received, in the order received. */
  List<Call> calls() {
    List<Call> all = new ArrayList<>();
    all.addAll(fast.calls());
    all.addAll(slow.calls());
    all.addAll(app.calls());
    all.sort(Comparator.comparingLong(Call::atNanos));
    return all;
  }

  /**
   * Arms a one-shot trigger: right after a participant has answered the first call matching {@code when} (the reply is
   * on the wire, the coordinator may not have recorded it yet), {@code action} runs on the participant's thread.
   *
   * @return completes with the call once the action ran
   */
  CompletableFuture<Call> afterFirstReply(Predicate<Call> when, Runnable action) {
    Trigger t = new Trigger(when, action, new CompletableFuture<>());
    if (!trigger.compareAndSet(null, t)) {
      throw new IllegalStateException("a trigger is already armed");
    }
    return t.fired();
  }

  private void replied(Call call) {
    Trigger t = trigger.get();
    if (t != null && t.when().test(call) && trigger.compareAndSet(t, null)) {
      t.action().run();
      t.fired().complete(call);
    }
  }

  private Participant participant(Behaviour b) {
    return b == Behaviour.SLOW || b == Behaviour.GATE ? slow : fast;
  }

  private static Reply slowly(Call c) {
    return Reply.ok().after(300 + Math.floorMod((c.gid() + "/" + c.branchId() + "/" + c.op()).hashCode(), 501));
  }

  private static Reply flakily(Participant p, Call c) {
    return p.count(c.gid(), c.branchId(), c.op()) <= 2 ? Reply.error() : Reply.ok();
  }

  private Reply phaseTwo(Participant p, Behaviour b, Call c) {
    return switch (b) {
      case OK -> Reply.ok();
      case SLOW -> slowly(c);
      case FLAKY -> flakily(p, c);
      case FAIL -> p.count(c.gid(), c.branchId(), c.op()) <= 2 ? Reply.failure() : Reply.ok();
      case GATE -> gated(c);
    };
  }

  private Reply gated(Call c) {
    gate.pass();
    return Reply.ok();
  }

  @Override
  public void close() {
    trigger.set(null);
    gate.open();
    fast.close();
    slow.close();
    app.close();
  }
}
