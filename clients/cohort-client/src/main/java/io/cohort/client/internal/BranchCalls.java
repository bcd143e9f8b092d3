package io.cohort.client.internal;

import io.cohort.client.BranchCallException;
import io.cohort.client.BranchReply;
import io.cohort.client.http.OutboundRequest;
import io.cohort.client.http.OutboundResponse;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Internal, not API. The SDK's own calls to participants (TCC try, XA action): the branch parameters are added to
 * the URL's query as the coordinator adds them, the transaction's branch headers are sent, and any answer but 200
 * becomes a {@link BranchCallException}.
 */
public final class BranchCalls {
  private BranchCalls() {
  }

  public static BranchReply post(ClientRuntime rt, String url, Map<String, String> params, Map<String, String> headers,
      String payload) {
    Map<String, String> q = new LinkedHashMap<>(params);
    StringBuilder target = new StringBuilder(url);
    char sep = url.contains("?") ? '&' : '?';
    for (Map.Entry<String, String> e : q.entrySet()) {
      target.append(sep).append(enc(e.getKey())).append('=').append(enc(e.getValue()));
      sep = '&';
    }
    OutboundRequest req = OutboundRequest.of(OutboundRequest.Target.PARTICIPANT, "POST", URI.create(target.toString()),
        payload.getBytes(StandardCharsets.UTF_8), rt.options().branchCallTimeout());
    for (Map.Entry<String, String> h : headers.entrySet()) {
      req = req.withHeader(h.getKey(), h.getValue());
    }
    String what = params.getOrDefault("op", "call") + " of branch " + params.get("branch_id") + " at " + url;
    OutboundResponse resp;
    try {
      resp = rt.transport().execute(req);
    } catch (IOException e) {
      throw new BranchCallException(what + " got no answer: " + e, 0, "", e);
    }
    if (resp.status() != 200) {
      String body = resp.bodyAsString();
      String kind = resp.status() == 409 ? "refused (FAILURE)" : resp.status() == 425 ? "not done (ONGOING)"
          : "failed with HTTP " + resp.status();
      throw new BranchCallException(what + " " + kind + (body.isBlank() ? "" : ": " + abbreviate(body)),
          resp.status(), body, null);
    }
    return new BranchReply(params.get("branch_id"), resp.body(), rt.codec());
  }

  private static String abbreviate(String s) {
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
