package io.cohort.client.saga;

import io.cohort.client.CohortClient;
import io.cohort.client.TransactionBuilder;
import io.cohort.client.TransactionFailedException;
import io.cohort.client.internal.ClientRuntime;
import io.cohort.client.internal.HttpCoordinator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A saga: steps, each an action and the compensation that undoes it, run by the coordinator after {@link #submit()}.
 * If an action answers FAILURE (HTTP 409), the coordinator compensates every step already started, in reverse order.
 * Any other error is retried with backoff until {@link #timeoutToFail} or {@link #retryLimit} says stop.
 *
 * <pre>{@code
 * String gid = client.saga()
 *     .add("http://bank-a/withdraw", "http://bank-a/withdraw-undo", new Transfer("alice", 30))
 *     .add("http://bank-b/deposit", "http://bank-b/deposit-undo", new Transfer("bob", 30))
 *     .submit();
 * }</pre>
 *
 * <p>Steps run one after another by default. {@link #concurrent()} runs them in parallel, and
 * {@link #after(int, int...)} adds ordering edges (a DAG of step indexes, 0-based). Payloads are objects, written as
 * JSON by the client's codec when the step is added, so an object that cannot be serialized fails at {@code add},
 * before anything is sent.
 *
 * <p>A builder is for one transaction and is not thread-safe.
 */
public final class Saga extends TransactionBuilder<Saga> {
  private final List<String[]> steps = new ArrayList<>();
  private final List<String> payloads = new ArrayList<>();
  private boolean concurrent;
  private final Map<Integer, TreeSet<Integer>> orders = new TreeMap<>();
  private Integer retryLimit;
  private boolean submitted;

  /** Use {@link CohortClient#saga()}. */
  public Saga(ClientRuntime runtime, String gid) {
    super(runtime, gid, "saga");
  }

  /**
   * Adds a step. {@code action} and {@code compensate} are absolute http(s) URLs, or empty for a step with nothing to
   * call (an empty compensation means there is nothing to undo). The coordinator POSTs the payload's JSON to both.
   */
  public Saga add(String action, String compensate, Object payload) {
    checkOpen();
    int index = steps.size();
    String a = checkUrl("step " + index + " action", action, true);
    String c = checkUrl("step " + index + " compensate", compensate, true);
    String body = encode("step " + index + " payload", payload);
    steps.add(new String[] {a, c});
    payloads.add(body);
    return this;
  }

  /** Runs steps in parallel, subject to the edges given with {@link #after}. */
  public Saga concurrent() {
    checkOpen();
    this.concurrent = true;
    return this;
  }

  /**
   * Step {@code step} runs only after each of {@code before} succeeded (indexes are 0-based, in the order added).
   * Implies {@link #concurrent()}. Checked at {@link #submit()}: every index must name a step, and the edges must not
   * form a cycle.
   */
  public Saga after(int step, int... before) {
    checkOpen();
    if (before.length == 0) {
      throw new IllegalArgumentException("after(" + step + ") needs at least one step to wait for");
    }
    concurrent = true;
    TreeSet<Integer> deps = orders.computeIfAbsent(step, k -> new TreeSet<>());
    for (int b : before) {
      deps.add(b);
    }
    return this;
  }

  /**
   * How many times, within one processing round, a failing action is retried before the saga is compensated. At
   * least 1; unset means retry until {@link #timeoutToFail}.
   */
  public Saga retryLimit(int limit) {
    checkOpen();
    if (limit < 1) {
      throw new IllegalArgumentException("retryLimit must be at least 1: " + limit);
    }
    this.retryLimit = limit;
    return this;
  }

  /** The steps added so far. */
  public int size() {
    return steps.size();
  }

  /**
   * Hands the saga to the coordinator and returns its gid. Without {@link #waitResult}, returns once the coordinator
   * has stored it (the coordinator then runs it to the end, whatever happens to this process). With it, returns after
   * the first round succeeded, or throws {@link TransactionFailedException} if the saga failed.
   *
   * @throws IllegalStateException with no steps, a bad ordering edge, or when already submitted
   */
  public String submit() {
    checkOpen();
    if (steps.isEmpty()) {
      throw new IllegalStateException("a saga needs at least one step");
    }
    checkOrders();
    Map<String, Object> body = body();
    List<Map<String, String>> wireSteps = new ArrayList<>();
    for (String[] s : steps) {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("action", s[0]);
      m.put("compensate", s[1]);
      wireSteps.add(m);
    }
    body.put("steps", wireSteps);
    body.put("payloads", payloads);
    if (retryLimit != null) {
      body.put("retry_limit", retryLimit);
    }
    if (concurrent) {
      Map<String, Object> custom = new LinkedHashMap<>();
      custom.put("concurrent", true);
      Map<String, List<Integer>> o = new LinkedHashMap<>();
      orders.forEach((k, v) -> o.put(Integer.toString(k), new ArrayList<>(v)));
      custom.put("orders", o);
      try {
        body.put("custom_data", HttpCoordinator.JSON.writeValueAsString(custom));
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
    submitted = true;
    submitBody(body);
    return gid();
  }

  private void checkOrders() {
    int n = steps.size();
    for (Map.Entry<Integer, TreeSet<Integer>> e : orders.entrySet()) {
      int step = e.getKey();
      if (step < 0 || step >= n) {
        throw new IllegalStateException("after(" + step + ", ...) names no step: the saga has steps 0.." + (n - 1));
      }
      for (int b : e.getValue()) {
        if (b < 0 || b >= n) {
          throw new IllegalStateException("step " + step + " waits for step " + b + ", which does not exist: the saga "
              + "has steps 0.." + (n - 1));
        }
        if (b == step) {
          throw new IllegalStateException("step " + step + " cannot wait for itself");
        }
      }
    }
    // Cycle check: depth-first search with colours.
    int[] colour = new int[n];
    for (int i = 0; i < n; i++) {
      if (colour[i] == 0) {
        visit(i, colour, new ArrayList<>());
      }
    }
  }

  private void visit(int step, int[] colour, List<Integer> path) {
    colour[step] = 1;
    path.add(step);
    for (int b : orders.getOrDefault(step, new TreeSet<>())) {
      if (colour[b] == 1) {
        List<Integer> cycle = new ArrayList<>(path.subList(path.indexOf(b), path.size()));
        cycle.add(b);
        throw new IllegalStateException("the step ordering has a cycle: " + cycle + " (step waits for step)");
      }
      if (colour[b] == 0) {
        visit(b, colour, path);
      }
    }
    path.remove(path.size() - 1);
    colour[step] = 2;
  }

  private void checkOpen() {
    if (submitted) {
      throw new IllegalStateException("saga " + gid() + " was already submitted; build a new one");
    }
  }

  @Override
  public String toString() {
    return "Saga{gid=" + gid() + ", steps=" + steps.stream().map(Arrays::toString).toList() + "}";
  }
}
