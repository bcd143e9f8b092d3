package io.cohort.client.tcc;

import io.cohort.client.BranchReply;
import io.cohort.client.CohortClient;
import io.cohort.client.internal.BranchCalls;
import io.cohort.client.internal.BranchIds;
import io.cohort.client.internal.ClientRuntime;
import io.cohort.client.internal.Urls;
import io.cohort.client.PayloadSerializationException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The handle a TCC body uses to call its branches: {@link #callBranch} registers the branch's confirm and cancel URLs
 * with the coordinator, then calls its try URL. Registering first matters: once registered, the coordinator cancels
 * the branch if the transaction aborts, even when the try never arrived or failed half-way (the participant's barrier
 * turns such a cancel into a harmless "null compensation").
 *
 * <p>The same handle serves nested TCC: a participant, inside its own try, takes
 * {@link CohortClient#tccBranchOf} and calls sub-branches, whose ids ({@code 0101}, {@code 0102}, ...) extend its
 * own. Thread-safe: concurrent {@code callBranch} calls get distinct branch ids.
 */
public final class Tcc {
  private final ClientRuntime runtime;
  private final String gid;
  private final String parentBranchId;
  private final BranchIds ids;
  private final Map<String, String> headers;

  /** For the SDK; use {@link CohortClient#tcc()} or {@link CohortClient#tccBranchOf}. */
  public Tcc(ClientRuntime runtime, String gid, String parentBranchId, Map<String, String> headers) {
    this.runtime = Objects.requireNonNull(runtime, "runtime");
    this.gid = Objects.requireNonNull(gid, "gid");
    this.parentBranchId = parentBranchId == null ? "" : parentBranchId;
    this.ids = new BranchIds(this.parentBranchId);
    this.headers = Map.copyOf(headers);
  }

  public String gid() {
    return gid;
  }

  /** The branch this handle calls sub-branches under; empty at the top level. */
  public String parentBranchId() {
    return parentBranchId;
  }

  /**
   * Registers a branch and calls its try. {@code payload} is written as JSON and is the body of the try, the confirm
   * and the cancel.
   *
   * @return the try's answer
   * @throws io.cohort.client.BranchCallException when the try answers anything but 200 (the TCC runner then aborts)
   * @throws io.cohort.client.CoordinatorException when the coordinator refuses the registration (for example: the
   *     transaction has already timed out and is no longer prepared)
   */
  public BranchReply callBranch(Object payload, String tryUrl, String confirmUrl, String cancelUrl) {
    String t = checkUrl("try url", tryUrl);
    String c = checkUrl("confirm url", confirmUrl);
    String x = checkUrl("cancel url", cancelUrl);
    String body;
    try {
      body = runtime.codec().encode(payload);
    } catch (PayloadSerializationException e) {
      throw new PayloadSerializationException("tcc branch payload: " + e.getMessage(), e.getCause());
    }
    String branchId = ids.next();
    Map<String, String> reg = new LinkedHashMap<>();
    reg.put("gid", gid);
    reg.put("trans_type", "tcc");
    reg.put("branch_id", branchId);
    reg.put("confirm", c);
    reg.put("cancel", x);
    reg.put("data", body);
    runtime.coordinator().registerBranch(reg);
    Map<String, String> params = new LinkedHashMap<>();
    params.put("gid", gid);
    params.put("trans_type", "tcc");
    params.put("branch_id", branchId);
    params.put("op", "try");
    return BranchCalls.post(runtime, t, params, headers, body);
  }

  private static String checkUrl(String what, String url) {
    return Urls.check(what, url, false);
  }
}
