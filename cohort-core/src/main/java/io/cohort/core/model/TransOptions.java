package io.cohort.core.model;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Per-transaction options, as given by the client (DTM's {@code TransOptions} plus the parsed {@code custom_data}).
 * A {@code null} duration means "use the server default" (or, for a saga's {@code timeoutToFail}, "no timeout").
 *
 * @param timeoutToFail saga: abort after this age (only when set); tcc/xa: abort; msg: first check-back
 * @param requestTimeout timeout of each call to this transaction's branches
 * @param retryInterval base retry interval
 * @param retryLimit saga: failed attempts of one action allowed before the saga aborts; 0 = unlimited
 * @param branchHeaders extra headers sent with every branch call
 * @param concurrent saga: run actions along the {@code orders} DAG; msg: run actions in parallel
 * @param orders saga DAG: step index to the indices of the steps that must succeed first
 * @param delay msg: do not deliver before this age
 * @param workflowName workflow: the name sent as {@code op} in the resume call ({@code custom_data.name}); null for
 *     other modes
 * @param workflowData workflow: the workflow's input as the client sent it in {@code custom_data.data} (base64 text),
 *     sent decoded as the body of the resume call; null for other modes
 */
public record TransOptions(
    Duration timeoutToFail,
    Duration requestTimeout,
    Duration retryInterval,
    int retryLimit,
    Map<String, String> branchHeaders,
    boolean concurrent,
    Map<Integer, List<Integer>> orders,
    Duration delay,
    String workflowName,
    String workflowData) {

  public static final TransOptions DEFAULTS = new TransOptions(null, null, null, 0, Map.of(), false, Map.of(), null);

  /** Options of a saga, msg, tcc or xa transaction (no workflow fields). */
  public TransOptions(Duration timeoutToFail, Duration requestTimeout, Duration retryInterval, int retryLimit,
      Map<String, String> branchHeaders, boolean concurrent, Map<Integer, List<Integer>> orders, Duration delay) {
    this(timeoutToFail, requestTimeout, retryInterval, retryLimit, branchHeaders, concurrent, orders, delay, null,
        null);
  }

  /** These options with the workflow's name and input. */
  public TransOptions withWorkflow(String name, String data) {
    return new TransOptions(timeoutToFail, requestTimeout, retryInterval, retryLimit, branchHeaders, concurrent, orders,
        delay, name, data);
  }

  public TransOptions {
    branchHeaders = branchHeaders == null ? Map.of() : Map.copyOf(branchHeaders);
    orders = orders == null ? Map.of() : Map.copyOf(orders);
  }

  /** Dependencies of step {@code i} in the saga DAG (empty when none). */
  public List<Integer> dependenciesOf(int step) {
    return orders.getOrDefault(step, List.of());
  }
}
