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
import java.util.TreeSet;
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
 *
 * <p>A TCC or XA is acknowledged once its {@code prepare} was answered 200; each branch counts as registered once its
 * {@code registerBranch} was, and the client's decision once its {@code submit} or {@code abort} was answered 200 (or
 * 425 ONGOING to a {@code wait_result} one: decided, phase 2 still being retried). A client submits only when every
 * registration was answered; otherwise, like a real client whose try failed, it aborts. A decision that got no answer
 * may or may not have been recorded, so the outcome may be either way (a tcc or xa whose submit was lost is left
 * prepared and times out), but the calls participants received must match the outcome.
 */
final class Ledger {

  /** One transaction as the client saw it. */
  static final class Entry {
    final Txn txn;
    volatile boolean acknowledged;
    /** For a {@code wait_result} submit answered 200: how many calls the participants had received by then. */
    volatile int callsWhenAcknowledgedFinal = -1;
    final List<String> replies = Collections.synchronizedList(new ArrayList<>());
    /** TCC, XA: branches whose {@code registerBranch} was sent (answered or not), by index. */
    final Set<Integer> registerSent = ConcurrentHashMap.newKeySet();
    /** TCC, XA: branches whose {@code registerBranch} was answered 200, by index. */
    final Set<Integer> registered = ConcurrentHashMap.newKeySet();
    /** TCC, XA: the decision the client sent ({@code submit} or {@code abort}), or null. */
    volatile String decisionSent;
    /** TCC, XA: the coordinator answered the decision (200, or 425 to a wait_result one). */
    volatile boolean decisionAcknowledged;

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
      case TCC, XA -> {
        if (!prepare(c, e)) {
          break;
        }
        boolean all = true;
        for (int i = 0; i < t.steps.size() && all; i++) {
          all = register(c, e, i);
        }
        if (t.decision == Txn.Decision.TIMEOUT) {
          break;
        }
        decide(c, e, all && t.decision == Txn.Decision.SUBMIT ? "submit" : "abort");
      }
    }
    return e;
  }

  private boolean register(CoordinatorProcess c, Entry e, int i) throws InterruptedException {
    e.registerSent.add(i);
    try {
      CoordinatorProcess.Answer a = c.post("/api/dtmsvr/registerBranch", e.txn.registerBody(bank, i));
      e.replies.add("register " + Txn.branchId(i) + " " + a.status());
      if (a.status() == 200) {
        e.registered.add(i);
        return true;
      }
      if (a.status() == 409 && e.txn.decision == Txn.Decision.TIMEOUT && a.text().contains("not prepared")) {
        return false; // it outlived its short timeout_to_fail before this registration: refusing is right
      }
      clientViolations.add(e.txn + ": registerBranch " + Txn.branchId(i) + " answered " + a.status() + " " + a.text());
    } catch (IOException x) {
      e.replies.add("register " + Txn.branchId(i) + ": no answer (" + x.getClass().getSimpleName() + ")");
    }
    return false;
  }

  /** TCC, XA: sends {@code submit} or {@code abort}. */
  private void decide(CoordinatorProcess c, Entry e, String op) throws InterruptedException {
    e.decisionSent = op;
    try {
      CoordinatorProcess.Answer a = c.post("/api/dtmsvr/" + op, e.txn.decisionBody());
      e.replies.add(op + " " + a.status());
      if (a.status() == 200) {
        e.decisionAcknowledged = true;
        if (e.txn.waitResult) {
          e.callsWhenAcknowledgedFinal = callsOf(e.txn.gid).size();
        }
      } else if (a.status() == 425 && e.txn.waitResult && a.text().contains("ONGOING")) {
        e.decisionAcknowledged = true;
      } else {
        clientViolations.add(e.txn + ": " + op + " answered " + a.status() + " " + a.text());
      }
    } catch (IOException x) {
      e.replies.add(op + ": no answer (" + x.getClass().getSimpleName() + ")");
    }
  }

  /**
   * TCC, XA: a client resending a decision that got no answer, after the coordinator came back. 200 (or 425 ONGOING)
   * means it is decided that way now; 409 because it is already final that way too. A 409 because it went the other
   * way (a lost submit, timed out since) leaves the decision unacknowledged: the outcome is then the timeout's. No
   * answer (the coordinator was killed again meanwhile) leaves it unacknowledged too.
   */
  void retryDecision(CoordinatorProcess c, Entry e) throws InterruptedException {
    String op = e.decisionSent;
    if (op == null || e.decisionAcknowledged) {
      throw new IllegalStateException(e.txn + ": no unanswered decision to resend");
    }
    boolean submit = op.equals("submit");
    try {
      CoordinatorProcess.Answer a = c.post("/api/dtmsvr/" + op, e.txn.decisionBody());
      e.replies.add("retried " + op + " " + a.status());
      boolean refused = a.status() == 409;
      if (a.status() == 200 || (a.status() == 425 && a.text().contains("ONGOING"))
          || (refused && a.text().contains(submit ? "current status 'succeed'" : "current status 'failed'"))) {
        e.decisionAcknowledged = true;
      } else if (!(submit && refused && (a.text().contains("current status 'aborting'")
          || a.text().contains("current status 'failed'")))) {
        clientViolations.add(e.txn + ": retried " + op + " answered " + a.status() + " " + a.text());
      }
    } catch (IOException x) {
      e.replies.add("retried " + op + ": no answer (" + x.getClass().getSimpleName() + ")");
    }
  }

  private boolean prepare(CoordinatorProcess c, Entry e) throws InterruptedException {
    try {
      CoordinatorProcess.Answer a = c.post("/api/dtmsvr/prepare",
          e.txn.isTwoPhase() ? e.txn.prepareBody() : e.txn.body(bank, false));
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
      JsonNode answer = c.queryWithBranches(t.gid);
      JsonNode stored = answer.get("transaction") == null || answer.get("transaction").isNull() ? null
          : answer.get("transaction");
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
      Set<String> allowed = allowedStatuses(e);
      if (!allowed.contains(status)) {
        out.add(t + ": status " + status + ", expected " + String.join(" or ", allowed) + " (replies " + e.replies
            + ", reason '" + stored.path("rollback_reason").asText("") + "')");
      }
      if (e.callsWhenAcknowledgedFinal >= 0 && calls.size() != e.callsWhenAcknowledgedFinal) {
        out.add(t + ": final when acknowledged with " + e.callsWhenAcknowledgedFinal + " calls, now "
            + describe(calls));
      }
      List<String> problems = t.isSaga() ? sagaProblems(t, status, calls)
          : t.isMsg() ? msgProblems(t, status, calls)
          : twoPhaseProblems(e, status, stored, answer.path("branches"), calls);
      problems.forEach(p -> out.add(t + ": " + p + "; replies " + e.replies + "; calls " + describe(calls)));
    }
    return out;
  }

  /**
   * The final statuses a transaction may end in, given what the coordinator acknowledged. A saga or msg: the one its
   * branches dictate. A TCC or XA: that of the decision when it was acknowledged; failed when the client never sent a
   * submit (it aborted, or left it to time out); either when its submit got no answer.
   */
  private static Set<String> allowedStatuses(Entry e) {
    if (!e.txn.isTwoPhase()) {
      return Set.of(e.txn.expectedStatus());
    }
    if (e.decisionAcknowledged) {
      return Set.of("submit".equals(e.decisionSent) ? "succeed" : "failed");
    }
    return "submit".equals(e.decisionSent) ? Set.of("succeed", "failed") : Set.of("failed");
  }

  /**
   * TCC and XA. Stored branches: exactly those the client sent a registration for, every acknowledged one among them.
   * Calls: only the phase-2 ops of stored branches, at the branch's URL, with its data (a TCC branch with empty data
   * by GET, anything else by POST). Succeed: every branch's confirm (commit) delivered at least once, no cancel
   * (rollback) ever. Failed: every stored branch's cancel (rollback) delivered at least once, no confirm (commit)
   * ever; a timed-out one says so in its reason. Order, across crashes and rounds: in phase-2 order (TCC from the
   * last registered branch to the first, XA in registration order), a branch's first call is received only after the
   * branch before it received the earliest call it answers SUCCESS to ({@link Bank#phaseTwoSucceedsOnCall}); the
   * coordinator cannot have recorded that branch done any sooner. So the first deliveries follow phase-2 order, and
   * no branch is called while the one before it still waits for its success.
   */
  private static List<String> twoPhaseProblems(Entry e, String status, JsonNode stored, JsonNode branches,
      List<Call> calls) {
    Txn t = e.txn;
    List<String> out = new ArrayList<>();
    Set<Integer> storedBranches = new TreeSet<>();
    Map<String, String> rowStatus = new HashMap<>();
    for (JsonNode b : branches) {
      String id = b.path("branch_id").asText();
      String op = b.path("op").asText();
      int i = t.branchIndex(id);
      if (i < 0 || !e.registerSent.contains(i)) {
        out.add("stores branch " + id + " (" + op + "), which the client never registered");
        continue;
      }
      if (!op.equals(t.forwardOp()) && !op.equals(t.backwardOp())) {
        out.add("stores branch " + id + " with op " + op);
      }
      storedBranches.add(i);
      rowStatus.put(id + "/" + op, b.path("status").asText());
    }
    for (int i : e.registered) {
      if (!storedBranches.contains(i)) {
        out.add("registration of branch " + Txn.branchId(i) + " was acknowledged, yet the branch is not stored");
      }
    }
    Map<Integer, List<Call>> forward = new TreeMap<>();
    Map<Integer, List<Call>> backward = new TreeMap<>();
    for (Call c : calls) {
      int i = c.branchId() == null ? -1 : t.branchIndex(c.branchId());
      boolean fwd = t.forwardOp().equals(c.op());
      if (!t.transType().equals(c.transType()) || i < 0 || !(fwd || t.backwardOp().equals(c.op()))) {
        out.add("malformed call " + describe(c));
        continue;
      }
      if (!storedBranches.contains(i)) {
        out.add(c.op() + " of branch " + c.branchId() + ", which was never registered");
        continue;
      }
      String data = t.branchData(i);
      String method = t.mode == Mode.XA || !data.isEmpty() ? "POST" : "GET";
      String path = t.phaseTwoPath(i, c.op());
      if (!path.equals(c.path()) || !method.equals(c.method()) || !data.equals(c.body())) {
        out.add("call went to the wrong place or lost its data: " + c.method() + " " + describe(c) + " body '"
            + c.body() + "', expected " + method + " " + path + " '" + data + "'");
      }
      (fwd ? forward : backward).computeIfAbsent(i, k -> new ArrayList<>()).add(c);
    }
    if (status.equals("succeed")) {
      if (!backward.isEmpty()) {
        out.add("succeeded, yet " + t.backwardOp() + " was delivered to branch(es) " + ids(backward.keySet()));
      }
      if (storedBranches.size() != t.steps.size()) {
        out.add("succeeded with only branches " + ids(storedBranches) + " registered; the client submits after all");
      }
      for (int i : storedBranches) {
        if (!forward.containsKey(i)) {
          out.add("succeeded, but the " + t.forwardOp() + " of branch " + Txn.branchId(i) + " was never delivered");
        }
        if (!"succeed".equals(rowStatus.get(Txn.branchId(i) + "/" + t.forwardOp()))) {
          out.add("succeeded, but branch " + Txn.branchId(i) + " " + t.forwardOp() + " is stored as "
              + rowStatus.get(Txn.branchId(i) + "/" + t.forwardOp()));
        }
      }
      orderProblems(t, storedBranches, forward, t.forwardOp(), out);
    } else if (status.equals("failed")) {
      if (!forward.isEmpty()) {
        out.add("failed, yet " + t.forwardOp() + " was delivered to branch(es) " + ids(forward.keySet()));
      }
      for (int i : storedBranches) {
        if (!backward.containsKey(i)) {
          out.add("failed, but the " + t.backwardOp() + " of registered branch " + Txn.branchId(i)
              + " was never delivered");
        }
      }
      orderProblems(t, storedBranches, backward, t.backwardOp(), out);
      String reason = stored.path("rollback_reason").asText("");
      if (t.decision == Txn.Decision.TIMEOUT && !reason.startsWith("Timeout after")) {
        out.add("left prepared to time out, yet failed with reason '" + reason + "'");
      }
    }
    return out;
  }

  private static void orderProblems(Txn t, Set<Integer> branches, Map<Integer, List<Call>> calls, String op,
      List<String> out) {
    List<Integer> order = new ArrayList<>(branches); // registration order: index order
    if (t.mode == Mode.TCC) {
      Collections.reverse(order);
    }
    for (int k = 1; k < order.size(); k++) {
      int before = order.get(k - 1);
      int next = order.get(k);
      List<Call> nextCalls = calls.get(next);
      if (nextCalls == null) {
        continue; // reported as never delivered
      }
      int succeedsOn = Bank.phaseTwoSucceedsOnCall(t.phaseTwoBehaviour(before, op));
      List<Call> beforeCalls = calls.getOrDefault(before, List.of());
      if (beforeCalls.size() < succeedsOn) {
        out.add("phase-2 order: " + op + " of " + Txn.branchId(next) + " was delivered, but " + Txn.branchId(before)
            + ", due before it, never received the call it answers SUCCESS to (" + beforeCalls.size() + " calls)");
      } else if (nextCalls.get(0).atNanos() < beforeCalls.get(succeedsOn - 1).atNanos()) {
        out.add("phase-2 order: " + op + " of " + Txn.branchId(next) + " was delivered before " + Txn.branchId(before)
            + ", due before it, could have answered SUCCESS");
      }
    }
  }

  private static String ids(Set<Integer> indexes) {
    return indexes.stream().map(Txn::branchId).collect(Collectors.joining(", ", "[", "]"));
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
      String decided = !e.txn.isTwoPhase() || e.decisionSent == null ? ""
          : e.decisionAcknowledged ? " " + e.decisionSent + "-acked" : " " + e.decisionSent + "-unanswered";
      String key = e.txn.kind() + (e.acknowledged ? " acked" : " unacked") + decided + " "
          + settled.getOrDefault(e.txn.gid, "?");
      counts.merge(key, 1, Integer::sum);
    }
    return entries.size() + " transactions (" + acknowledged() + " acknowledged), " + bank.calls().size()
        + " branch calls; " + counts;
  }
}
