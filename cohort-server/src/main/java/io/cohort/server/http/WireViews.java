package io.cohort.server.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cohort.core.model.Branch;
import io.cohort.core.model.TransOptions;
import io.cohort.core.model.Transaction;
import io.cohort.core.port.TransactionStore;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Renders transactions the way DTM's {@code query} and {@code all} do (reference section 1.3): snake_case fields,
 * RFC 3339 times, {@code bin_data} in base64, and no JSON {@code null}s: empty fields are left out, because the C#
 * client declares several of them non-nullable. Cohort adds {@code attempts} and {@code last_error} per branch, for
 * operators.
 */
final class WireViews {
  private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ISO_OFFSET_DATE_TIME.withZone(ZoneOffset.UTC);
  private final ObjectMapper json;

  WireViews(ObjectMapper json) {
    this.json = json;
  }

  ObjectNode query(Transaction t) {
    return withBranches(t, "branches");
  }

  ObjectNode transaction(Transaction t) {
    ObjectNode n = json.createObjectNode();
    n.put("id", t.id());
    time(n, "create_time", t.createTime());
    time(n, "update_time", t.updateTime());
    n.put("gid", t.gid());
    n.put("trans_type", t.type().wire());
    n.put("status", t.status().wire());
    text(n, "query_prepared", t.queryPrepared());
    text(n, "protocol", t.protocol());
    time(n, "finish_time", t.finishTime());
    time(n, "rollback_time", t.rollbackTime());
    text(n, "result", t.result());
    text(n, "rollback_reason", t.rollbackReason());
    ObjectNode options = options(t.options());
    if (!options.isEmpty()) {
      n.put("options", options.toString());
    }
    text(n, "custom_data", t.customData());
    if (t.retryInterval() != null) {
      n.put("next_cron_interval", t.retryInterval().toSeconds());
    }
    time(n, "next_cron_time", t.nextWake());
    text(n, "owner", t.owner());
    n.setAll(options);
    if (t.failures() > 0) {
      n.put("failures", t.failures());
    }
    return n;
  }

  private ObjectNode options(TransOptions o) {
    ObjectNode n = json.createObjectNode();
    seconds(n, "timeout_to_fail", o.timeoutToFail());
    seconds(n, "request_timeout", o.requestTimeout());
    seconds(n, "retry_interval", o.retryInterval());
    if (o.retryLimit() > 0) {
      n.put("retry_limit", o.retryLimit());
    }
    if (!o.branchHeaders().isEmpty()) {
      ObjectNode h = n.putObject("branch_headers");
      for (Map.Entry<String, String> e : o.branchHeaders().entrySet()) {
        h.put(e.getKey(), e.getValue());
      }
    }
    if (o.concurrent()) {
      n.put("concurrent", true);
    }
    return n;
  }

  private ObjectNode branch(Transaction t, Branch b, long id) {
    ObjectNode n = json.createObjectNode();
    n.put("id", id);
    time(n, "create_time", b.createTime());
    time(n, "update_time", b.updateTime());
    n.put("gid", t.gid());
    text(n, "url", b.url());
    if (b.payload().length > 0) {
      n.put("bin_data", Base64.getEncoder().encodeToString(b.payload()));
    }
    n.put("branch_id", b.branchId());
    n.put("op", b.op());
    n.put("status", b.status().wire());
    time(n, "finish_time", b.finishTime());
    if (b.attempts() > 0) {
      n.put("attempts", b.attempts());
    }
    text(n, "last_error", b.lastError());
    return n;
  }

  /**
   * The {@code prepareWorkflow} answer: the transaction (the Go and C# clients read its status, rollback_reason and
   * result) and its recorded progress (branch_id, op, status and bin_data of each step).
   */
  ObjectNode workflow(Transaction t) {
    return withBranches(t, "progresses");
  }

  private ObjectNode withBranches(Transaction t, String field) {
    ObjectNode out = json.createObjectNode();
    out.set("transaction", transaction(t));
    ArrayNode branches = out.putArray(field);
    long id = 1;
    for (Branch b : t.branches()) {
      branches.add(branch(t, b, id++));
    }
    return out;
  }

  /** A key-value entry as DTM's {@code scanKV} and {@code queryKV} show it. */
  ObjectNode kv(TransactionStore.KvEntry e) {
    ObjectNode n = json.createObjectNode();
    n.put("id", e.id());
    time(n, "create_time", e.createTime());
    time(n, "update_time", e.updateTime());
    n.put("cat", e.category());
    n.put("k", e.key());
    n.put("v", e.value());
    n.put("version", e.version());
    return n;
  }

  ObjectNode list(List<Transaction> page, long nextBeforeId) {
    ObjectNode out = json.createObjectNode();
    ArrayNode arr = out.putArray("transactions");
    for (Transaction t : page) {
      arr.add(transaction(t));
    }
    out.put("next_position", nextBeforeId > 0 ? Long.toString(nextBeforeId) : "");
    return out;
  }

  static String time(Instant i) {
    return RFC3339.format(i);
  }

  private static void time(ObjectNode n, String field, Instant i) {
    if (i != null) {
      n.put(field, RFC3339.format(i));
    }
  }

  private static void text(ObjectNode n, String field, String v) {
    if (v != null && !v.isEmpty()) {
      n.put(field, v);
    }
  }

  private static void seconds(ObjectNode n, String field, Duration d) {
    if (d != null) {
      n.put(field, d.toSeconds());
    }
  }
}
