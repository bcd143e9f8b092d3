package io.cohort.server.crash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.cohort.server.crash.Txn.Mode;
import io.cohort.server.support.Participant.Call;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;

/**
 * What the clients of a crash test did and were told, and the checks run once everything has settled.
 *
 * <p>A transaction counts as <b>acknowledged</b> only when the coordinator answered: 200 to {@code prepare} or
 * {@code submit}, or 409 to a {@code submit} with {@code wait_result} (the saga exists; its first round just did not
 * end in success). An acknowledged transaction must exist after any number of crashes and end in the status its
 * branches dictate. A request that got no answer (the coordinator was killed, or down) may or may not have been
 * recorded: if the transaction exists it must end correctly too; if not, no participant may have heard of it.
 */
final class Ledger {

  /** One transaction as the client saw it. */
  static final class Entry {
    final Txn txn;
    volatile boolean acknowledged;
    /** For a {@code wait_result} submit answered 200: how many calls the participants had received by then. */
    volatile int callsWhenAcknowledgedFinal = -1;
    final List<String> replies = Collections.synchronizedList(new ArrayList<>());

    Entry(Txn txn) {
      this.txn = txn;
    }
  }

  private final Bank bank;
  private final ConcurrentLinkedQueue<Entry> entries = new ConcurrentLinkedQueue<>();
  private final List<String> clientViolations = Collections.synchronizedList(new ArrayList<>());
  /** Final statuses seen while settling; they must not change afterwards. */
  private final Map<String, String> settled = new ConcurrentHashMap<>();

  Ledger(Bank bank) {
    this.bank = bank;
  }

  /** Drives {@code t} the way a DTM client does and records what the coordinator answered. */
  Entry run(CoordinatorProcess c, Txn t) throws InterruptedException {
    Entry e = new Entry(t);
    entries.add(e);
    switch (t.mode) {
      case SAGA, MSG_SUBMIT -> submit(c, e);
      case MSG_PREPARE_SUBMIT -> {
        bank.expectCheckBack(t.gid, true);
        if (prepare(c, e)) {
          submit(c, e);
        }
      }
      case MSG_CHECK_BACK -> {
        bank.expectCheckBack(t.gid, t.committed);
        prepare(c, e);
      }
    }
    return e;
  }

  private boolean prepare(CoordinatorProcess c, Entry e) throws InterruptedException {
    try {
      CoordinatorProcess.Answer a = c.post("/api/dtmsvr/prepare", e.txn.body(bank, false));
      e.replies.add("prepare " + a.status());
      if (a.status() == 200) {
        e.acknowledged = true;
        return true;
      }
      clientViolations.add(e.txn + ": prepare answered " + a.status() + " " + a.text());
    } catch (IOException x) {
      e.replies.add("prepare: no answer (" + x.getClass().getSimpleName() + ")");
    }
    return false;
  }

  private void submit(CoordinatorProcess c, Entry e) throws InterruptedException {
    try {
      CoordinatorProcess.Answer a = c.post("/api/dtmsvr/submit", e.txn.body(bank, true));
      e.replies.add("submit " + a.status());
      if (a.status() == 200) {
        e.acknowledged = true;
        if (e.txn.waitResult) {
          if (!e.txn.expectedStatus().equals("succeed")) {
            clientViolations.add(e.txn + ": submit with wait_result answered 200 for a transaction that must fail");
          }
          e.callsWhenAcknowledgedFinal = callsOf(e.txn.gid).size();
        }
      } else if (a.status() == 409 && e.txn.waitResult && a.text().contains("FAILURE")) {
        e.acknowledged = true;
      } else {
        clientViolations.add(e.txn + ": submit answered " + a.status() + " " + a.text());
      }
    } catch (IOException x) {
      e.replies.add("submit: no answer (" + x.getClass().getSimpleName() + ")");
    }
  }

  /**
   * A client retrying a submit that got no answer, after the coordinator came back: submit is idempotent, so the
   * answer is 200 (taken up again, or already being worked on) or 409 (already final, or a wait_result round that did
   * not succeed); either way the transaction now counts as acknowledged.
   */
  void retrySubmit(CoordinatorProcess c, Entry e) throws InterruptedException {
    try {
      CoordinatorProcess.Answer a = c.post("/api/dtmsvr/submit", e.txn.body(bank, true));
      e.replies.add("retried submit " + a.status());
      if (a.status() == 200 || a.status() == 409) {
        e.acknowledged = true;
      } else {
        clientViolations.add(e.txn + ": retried submit answered " + a.status() + " " + a.text());
      }
    } catch (IOException x) {
      clientViolations.add(e.txn + ": retried submit got no answer from a running coordinator: " + x);
    }
  }

  List<Entry> entries() {
    return List.copyOf(entries);
  }

  long acknowledged() {
    return entries.stream().filter(e -> e.acknowledged).count();
  }

  List<String> unacknowledged() {
    return entries.stream().filter(e -> !e.acknowledged).map(e -> e.txn + " " + e.replies).toList();
  }

  /**
   * Waits until every transaction that exists is final. An acknowledged transaction the coordinator does not know is
   * reported at once (it was lost), not waited for.
   */
  void awaitSettled(CoordinatorProcess c, Duration atMost) {
    await("every transaction final").atMost(atMost).pollInterval(Duration.ofMillis(250))
        .ignoreExceptionsInstanceOf(IOException.class)
        .untilAsserted(() -> {
          List<String> open = new ArrayList<>();
          for (Entry e : entries) {
            String gid = e.txn.gid;
            if (settled.containsKey(gid)) {
              continue;
            }
            JsonNode t = c.query(gid);
            String status = t == null ? "absent" : t.get("status").asText();
            if (status.equals("succeed") || status.equals("failed") || status.equals("absent")) {
              settled.put(gid, status);
            } else {
              open.add(gid + " is " + status);
            }
          }
          assertThat(open).as("transactions not final yet").isEmpty();
        });
  }

  /** Every check; an empty list means the coordinator kept all its promises. Call after {@link #awaitSettled}. */
  List<String> violations(CoordinatorProcess c) throws IOException, InterruptedException {
    List<String> out = new ArrayList<>(clientViolations);
    Map<String, List<Call>> byGid = new HashMap<>();
    for (Call call : bank.calls()) {
      byGid.computeIfAbsent(String.valueOf(call.gid()), g -> new ArrayList<>()).add(call);
    }
    Set<String> known = entries.stream().map(e -> e.txn.gid).collect(Collectors.toSet());
    byGid.keySet().stream().filter(g -> !known.contains(g))
        .forEach(g -> out.add("calls for a gid no client used: " + g + " " + byGid.get(g)));
    for (Entry e : entries) {
      Txn t = e.txn;
      List<Call> calls = byGid.getOrDefault(t.gid, List.of());
      JsonNode stored = c.query(t.gid);
      String status = stored == null ? "absent" : stored.get("status").asText();
      String before = settled.get(t.gid);
      if (before != null && !before.equals(status)) {
        out.add(t + ": was " + before + ", later " + status + " (a final state changed)");
      }
      if (stored == null) {
        if (e.acknowledged) {
          out.add(t + ": acknowledged " + e.replies + " but unknown to the coordinator after the restart");
        }
        if (!calls.isEmpty()) {
          out.add(t + ": unknown to the coordinator, yet participants received " + describe(calls));
        }
        continue;
      }
      if (!status.equals(t.expectedStatus())) {
        out.add(t + ": status " + status + ", expected " + t.expectedStatus() + " (replies " + e.replies
            + ", reason '" + stored.path("rollback_reason").asText("") + "')");
      }
      if (e.callsWhenAcknowledgedFinal >= 0 && calls.size() != e.callsWhenAcknowledgedFinal) {
        out.add(t + ": final when acknowledged with " + e.callsWhenAcknowledgedFinal + " calls, now "
            + describe(calls));
      }
      List<String> problems = t.isSaga() ? sagaProblems(t, status, calls) : msgProblems(t, status, calls);
      problems.forEach(p -> out.add(t + ": " + p + "; calls " + describe(calls)));
    }
    return out;
  }

  private static List<String> sagaProblems(Txn t, String status, List<Call> calls) {
    List<String> out = new ArrayList<>();
    int n = t.steps.size();
    Map<Integer, List<Call>> actions = new TreeMap<>();
    Map<Integer, List<Call>> compensations = new TreeMap<>();
    for (Call c : calls) {
      Integer step = step(c, n);
      if (step == null || !"saga".equals(c.transType())) {
        out.add("malformed call " + describe(c));
        continue;
      }
      Txn.Step s = t.steps.get(step);
      if ("action".equals(c.op())) {
        shape(out, c, "/a/" + s.action().path(), Txn.payload(step));
        actions.computeIfAbsent(step, k -> new ArrayList<>()).add(c);
      } else if ("compensate".equals(c.op())) {
        shape(out, c, "/c/" + s.compensate().path(), Txn.payload(step));
        compensations.computeIfAbsent(step, k -> new ArrayList<>()).add(c);
      } else {
        out.add("unexpected op in " + describe(c));
      }
    }
    // The key invariant: a compensation is only ever sent for an action that was attempted, across crashes.
    compensations.forEach((step, comps) -> {
      long firstComp = comps.get(0).atNanos();
      List<Call> acts = actions.getOrDefault(step, List.of());
      if (acts.isEmpty() || acts.get(0).atNanos() > firstComp) {
        out.add("step " + (step + 1) + " compensated before its action was received");
      }
    });
    if (status.equals("succeed")) {
      for (int i = 0; i < n; i++) {
        if (!actions.containsKey(i)) {
          out.add("succeeded, but the action of step " + (i + 1) + " never ran");
        }
      }
      if (!compensations.isEmpty()) {
        out.add("succeeded, yet compensations were sent");
      }
    } else if (status.equals("failed")) {
      int f = t.failingStep();
      if (f >= 0 && !actions.containsKey(f)) {
        out.add("failed, but the failing action (step " + (f + 1) + ") never ran");
      }
      if (f >= 0) {
        for (int blocked : t.blockedBy(f)) {
          if (actions.containsKey(blocked)) {
            out.add("step " + (blocked + 1) + " ran although step " + (f + 1) + ", which it waits for, failed");
          }
        }
      }
      for (int step : actions.keySet()) {
        if (!compensations.containsKey(step)) {
          out.add("failed, but step " + (step + 1) + " ran and was never compensated");
        }
      }
      long lastAction = actions.values().stream().flatMap(List::stream).mapToLong(Call::atNanos).max().orElse(0);
      long firstComp = compensations.values().stream().flatMap(List::stream).mapToLong(Call::atNanos).min()
          .orElse(Long.MAX_VALUE);
      if (lastAction > firstComp) {
        out.add("an action was sent after compensation had begun");
      }
    }
    return out;
  }

  private static List<String> msgProblems(Txn t, String status, List<Call> calls) {
    List<String> out = new ArrayList<>();
    int n = t.steps.size();
    Map<Integer, List<Call>> actions = new TreeMap<>();
    List<Call> checkBacks = new ArrayList<>();
    for (Call c : calls) {
      if (!"msg".equals(c.transType())) {
        out.add("malformed call " + describe(c));
      } else if ("msg".equals(c.op())) {
        if (!"00".equals(c.branchId()) || !Bank.QUERY_PREPARED.equals(c.path()) || !"GET".equals(c.method())) {
          out.add("malformed check-back " + describe(c));
        }
        checkBacks.add(c);
      } else if ("action".equals(c.op())) {
        Integer step = step(c, n);
        if (step == null) {
          out.add("malformed call " + describe(c));
          continue;
        }
        shape(out, c, "/a/" + t.steps.get(step).action().path(), Txn.payload(step));
        actions.computeIfAbsent(step, k -> new ArrayList<>()).add(c);
      } else {
        out.add("unexpected op in " + describe(c));
      }
    }
    if (t.mode == Mode.MSG_SUBMIT && !checkBacks.isEmpty()) {
      out.add("submitted directly, yet checked back");
    }
    if (status.equals("failed")) {
      if (!actions.isEmpty()) {
        out.add("the check-back said FAILURE, yet actions were delivered");
      }
      if (checkBacks.isEmpty()) {
        out.add("failed without a check-back");
      }
    } else if (status.equals("succeed")) {
      for (int i = 0; i < n; i++) {
        if (!actions.containsKey(i)) {
          out.add("succeeded, but the action of step " + (i + 1) + " was never delivered");
        }
      }
      if (t.mode == Mode.MSG_CHECK_BACK) {
        long firstCheck = checkBacks.isEmpty() ? Long.MAX_VALUE : checkBacks.get(0).atNanos();
        long firstAction = actions.values().stream().flatMap(List::stream).mapToLong(Call::atNanos).min()
            .orElse(Long.MAX_VALUE);
        if (firstAction < firstCheck) {
          out.add("only prepared, yet delivered before the check-back said SUCCESS");
        }
      }
    }
    return out;
  }

  /** The step index of a branch call ({@code 01} is step 0), or null when the branch id is not one of ours. */
  private static Integer step(Call c, int steps) {
    try {
      int i = Integer.parseInt(String.valueOf(c.branchId())) - 1;
      return c.branchId().length() == 2 && i >= 0 && i < steps ? i : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static void shape(List<String> out, Call c, String path, String body) {
    if (!path.equals(c.path()) || !"POST".equals(c.method()) || !body.equals(c.body())) {
      out.add("call went to the wrong place or lost its payload: " + describe(c) + " body " + c.body()
          + ", expected POST " + path + " " + body);
    }
  }

  private List<Call> callsOf(String gid) {
    return bank.calls().stream().filter(c -> gid.equals(c.gid())).toList();
  }

  private static String describe(Call c) {
    return c.op() + "/" + c.branchId() + " " + c.path();
  }

  private static String describe(List<Call> calls) {
    return calls.stream().map(Ledger::describe).collect(Collectors.joining(", ", "[", "]"));
  }

  /** Counts for the test log. */
  String summary() {
    Map<String, Integer> counts = new TreeMap<>();
    for (Entry e : entries) {
      String key = e.txn.mode + (e.acknowledged ? " acked " : " unacked ") + settled.getOrDefault(e.txn.gid, "?");
      counts.merge(key, 1, Integer::sum);
    }
    return entries.size() + " transactions (" + acknowledged() + " acknowledged), " + bank.calls().size()
        + " branch calls; " + counts;
  }
}
