package io.cohort.client.xa;

import io.cohort.client.BranchReply;
import io.cohort.client.PayloadSerializationException;
import io.cohort.client.internal.BranchCalls;
import io.cohort.client.internal.BranchIds;
import io.cohort.client.internal.ClientRuntime;
import io.cohort.client.internal.Urls;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The handle an XA body uses to call resource managers. {@link #callBranch} POSTs the payload to the participant
 * with {@code op=action} and {@code phase2_url}; the participant (see {@link XaParticipant}) runs its local
 * work inside an XA branch, registers the branch with the coordinator, and prepares it. After the body, the
 * coordinator commits every registered branch, or rolls them all back if the body threw. Thread-safe.
 */
public final class XaGlobal {
  private final ClientRuntime runtime;
  private final String gid;
  private final BranchIds ids = new BranchIds("");
  private final Map<String, String> headers;

  /** For the SDK; use {@link io.cohort.client.CohortClient#xa()}. */
  public XaGlobal(ClientRuntime runtime, String gid, Map<String, String> headers) {
    this.runtime = runtime;
    this.gid = gid;
    this.headers = Map.copyOf(headers);
  }

  public String gid() {
    return gid;
  }

  /**
   * Calls one resource manager's action at {@code url}, which also receives the phase-2 commit or rollback.
   *
   * @throws io.cohort.client.BranchCallException when the participant answers anything but 200
   */
  public BranchReply callBranch(Object payload, String url) {
    String u = Urls.check("xa branch url", url, false);
    String body;
    try {
      body = runtime.codec().encode(payload);
    } catch (PayloadSerializationException e) {
      throw new PayloadSerializationException("xa branch payload: " + e.getMessage(), e.getCause());
    }
    Map<String, String> params = new LinkedHashMap<>();
    params.put("gid", gid);
    params.put("trans_type", "xa");
    params.put("branch_id", ids.next());
    params.put("op", "action");
    params.put("phase2_url", u);
    return BranchCalls.post(runtime, u, params, headers, body);
  }
}
