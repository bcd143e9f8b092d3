package io.cohort.core.testing;

import io.cohort.core.plan.BranchCall;
import io.cohort.core.plan.BranchOutcome;
import io.cohort.core.port.BranchInvoker;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A fake participant side: answers each call from a script per (branch id, op), records every call it received.
 * Unscripted calls, and scripted ones after their script ran out, answer with the fallback (SUCCESS by default).
 * {@link #onCall} runs when a call arrives, before it is answered: tests use it to look at the store at that moment,
 * or to act as a concurrent client.
 */
public final class ScriptedInvoker implements BranchInvoker {

  /** One call as the participant received it, and what it answered. */
  public record Received(BranchCall call, BranchOutcome outcome) {
    public String key() {
      return call.branchId() + "/" + call.op();
    }
  }

  private final Map<String, Deque<BranchOutcome>> scripts = new HashMap<>();
  private final List<Received> received = new ArrayList<>();
  private Function<BranchCall, BranchOutcome> fallback = c -> BranchOutcome.SUCCEEDED;
  private Consumer<BranchCall> onCall = c -> {};

  /** Answers the next calls of {@code branchId}/{@code op} with these outcomes, in order. */
  public synchronized ScriptedInvoker script(String branchId, String op, BranchOutcome... outcomes) {
    scripts.computeIfAbsent(branchId + "/" + op, k -> new ArrayDeque<>()).addAll(List.of(outcomes));
    return this;
  }

  public synchronized ScriptedInvoker fallback(Function<BranchCall, BranchOutcome> f) {
    this.fallback = f;
    return this;
  }

  public synchronized ScriptedInvoker onCall(Consumer<BranchCall> hook) {
    this.onCall = hook;
    return this;
  }

  @Override
  public CompletableFuture<BranchOutcome> invoke(BranchCall call) {
    Consumer<BranchCall> hook;
    synchronized (this) {
      hook = onCall;
    }
    hook.accept(call);
    BranchOutcome outcome;
    synchronized (this) {
      Deque<BranchOutcome> q = scripts.get(call.branchId() + "/" + call.op());
      outcome = q != null && !q.isEmpty() ? q.poll() : fallback.apply(call);
      received.add(new Received(call, outcome));
    }
    return CompletableFuture.completedFuture(outcome);
  }

  public synchronized List<Received> received() {
    return List.copyOf(received);
  }

  /** The calls received, as {@code branchId/op}, in order. */
  public synchronized List<String> keys() {
    return received.stream().map(Received::key).toList();
  }

  public synchronized void clear() {
    received.clear();
  }
}
