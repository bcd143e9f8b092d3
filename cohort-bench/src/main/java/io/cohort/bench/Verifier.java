package io.cohort.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;

/**
 * After the run, reads a sample of acknowledged gids back with {@code GET /api/dtmsvr/query} and checks that each is
 * stored as {@code succeed} with every action branch {@code succeed} and no compensation run.
 */
final class Verifier {
  private final HttpClient client;
  private final URI target;
  private final ObjectMapper json;

  Verifier(HttpClient client, URI target, ObjectMapper json) {
    this.client = client;
    this.target = target;
    this.json = json;
  }

  /** @param checked how many gids were queried; {@code problems} one line per gid that did not check out */
  record Outcome(int checked, List<String> problems) {}

  Outcome verify(List<String> gids) {
    List<String> problems = new ArrayList<>();
    for (String gid : gids) {
      String problem = check(gid);
      if (problem != null) {
        problems.add(gid + ": " + problem);
      }
    }
    return new Outcome(gids.size(), problems);
  }

  private String check(String gid) {
    try {
      ContentResponse r = client.newRequest(target.resolve("/api/dtmsvr/query?gid="
              + URLEncoder.encode(gid, StandardCharsets.UTF_8)))
          .timeout(10, TimeUnit.SECONDS).send();
      if (r.getStatus() != 200) {
        return "query answered HTTP " + r.getStatus() + " " + r.getContentAsString();
      }
      JsonNode root = json.readTree(r.getContent());
      JsonNode t = root.path("transaction");
      if (!t.isObject()) {
        return "not found";
      }
      String status = t.path("status").asText();
      if (!status.equals("succeed")) {
        return "status " + status;
      }
      for (JsonNode b : root.path("branches")) {
        String op = b.path("op").asText();
        String st = b.path("status").asText();
        if (op.equals("action") && !st.equals("succeed")) {
          return "branch " + b.path("branch_id").asText() + " action is " + st;
        }
        if (op.equals("compensate") && !st.equals("prepared")) {
          return "branch " + b.path("branch_id").asText() + " compensate is " + st;
        }
      }
      return null;
    } catch (Exception e) {
      return "query failed: " + e;
    }
  }
}
