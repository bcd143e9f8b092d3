package io.cohort.core.testing;

import io.cohort.core.engine.NewTransaction;
import io.cohort.core.model.Branch;
import io.cohort.core.model.TransOptions;
import io.cohort.core.model.Transaction;
import io.cohort.protocol.BranchOp;
import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.TransType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Builders for test transactions. URLs follow one pattern so a failing assertion says which step it was. */
public final class Fixtures {
  private Fixtures() {}

  public static String actionUrl(int step) {
    return "http://svc.test/step" + step + "/action";
  }

  public static String compensateUrl(int step) {
    return "http://svc.test/step" + step + "/compensate";
  }

  public static final String CHECK_BACK_URL = "http://svc.test/query-prepared";

  /** The branch id of step {@code i} (0-based), as DTM numbers them. */
  public static String id(int step) {
    return String.format("%02d", step + 1);
  }

  public static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Options, built field by field (the record has eight). */
  public static final class Opts {
    private Duration timeoutToFail;
    private Duration requestTimeout;
    private Duration retryInterval;
    private int retryLimit;
    private Map<String, String> headers = Map.of();
    private boolean concurrent;
    private final Map<Integer, List<Integer>> orders = new HashMap<>();
    private Duration delay;

    public Opts timeoutToFail(Duration d) {
      timeoutToFail = d;
      return this;
    }

    public Opts requestTimeout(Duration d) {
      requestTimeout = d;
      return this;
    }

    public Opts retryInterval(Duration d) {
      retryInterval = d;
      return this;
    }

    public Opts retryLimit(int n) {
      retryLimit = n;
      return this;
    }

    public Opts headers(Map<String, String> h) {
      headers = h;
      return this;
    }

    public Opts concurrent() {
      concurrent = true;
      return this;
    }

    /** Step {@code step} runs only after {@code deps} succeeded (implies concurrent). */
    public Opts order(int step, Integer... deps) {
      concurrent = true;
      orders.put(step, List.of(deps));
      return this;
    }

    public Opts delay(Duration d) {
      delay = d;
      return this;
    }

    public TransOptions build() {
      return new TransOptions(timeoutToFail, requestTimeout, retryInterval, retryLimit, headers, concurrent, orders,
          delay);
    }
  }

  public static Opts opts() {
    return new Opts();
  }

  // ------------------------------------------------------------------ commands for the engine

  public static NewTransaction sagaCmd(String gid, int steps, TransOptions o) {
    List<NewTransaction.Step> s = new ArrayList<>();
    for (int i = 0; i < steps; i++) {
      s.add(new NewTransaction.Step(actionUrl(i), compensateUrl(i)));
    }
    return new NewTransaction(gid, TransType.SAGA, s, List.of(), "", "", "http", o);
  }

  public static NewTransaction msgCmd(String gid, int steps, TransOptions o) {
    List<NewTransaction.Step> s = new ArrayList<>();
    for (int i = 0; i < steps; i++) {
      s.add(new NewTransaction.Step(actionUrl(i), ""));
    }
    return new NewTransaction(gid, TransType.MSG, s, List.of(), "", CHECK_BACK_URL, "http", o);
  }

  // ------------------------------------------------------------------ transactions for the planners

  /** A saga as the engine lays it out: per step, compensate (index 2i) then action (2i+1). */
  public static Transaction saga(int steps, TransOptions o, GlobalStatus status, Instant created) {
    List<Branch> b = new ArrayList<>();
    for (int i = 0; i < steps; i++) {
      b.add(Branch.create(id(i), BranchOp.COMPENSATE, compensateUrl(i), new byte[0], created));
      b.add(Branch.create(id(i), BranchOp.ACTION, actionUrl(i), new byte[0], created));
    }
    return transaction("saga-gid", TransType.SAGA, status, "", o, b, created);
  }

  /** A msg as the engine lays it out: one action branch per step. */
  public static Transaction msg(int steps, TransOptions o, GlobalStatus status, Instant created) {
    List<Branch> b = new ArrayList<>();
    for (int i = 0; i < steps; i++) {
      b.add(Branch.create(id(i), BranchOp.ACTION, actionUrl(i), new byte[0], created));
    }
    return transaction("msg-gid", TransType.MSG, status, CHECK_BACK_URL, o, b, created);
  }

  /**
   * A tcc or xa as registration lays it out: per branch (ids {@code ids}, in registration order) the backward row
   * (cancel / rollback) then the forward row (confirm / commit).
   */
  public static Transaction phaseTwo(TransType type, TransOptions o, GlobalStatus status, Instant created,
      String... ids) {
    List<Branch> b = new ArrayList<>();
    boolean tcc = type == TransType.TCC;
    for (String id : ids) {
      b.add(Branch.create(id, tcc ? BranchOp.CANCEL : BranchOp.ROLLBACK, "http://svc.test/" + id + "/back",
          tcc ? bytes("{\"b\":\"" + id + "\"}") : new byte[0], created));
      b.add(Branch.create(id, tcc ? BranchOp.CONFIRM : BranchOp.COMMIT, "http://svc.test/" + id + "/forward",
          tcc ? bytes("{\"b\":\"" + id + "\"}") : new byte[0], created));
    }
    return transaction(type.wire() + "-gid", type, status, "", o, b, created);
  }

  /** A workflow with no recorded progress, resumed at {@code callback}. */
  public static Transaction workflow(TransOptions o, GlobalStatus status, Instant created, String callback) {
    return transaction("wf-gid", TransType.WORKFLOW, status, callback, o.withWorkflow("wf-name", "aW5wdXQ="),
        List.of(), created);
  }

  public static NewTransaction phaseTwoCmd(String gid, TransType type, TransOptions o) {
    return new NewTransaction(gid, type, List.of(), List.of(), "", "", "http", o);
  }

  public static NewTransaction workflowCmd(String gid, TransOptions o) {
    return new NewTransaction(gid, TransType.WORKFLOW, List.of(), List.of(), "", CHECK_BACK_URL, "http",
        o.withWorkflow("wf-name", "aW5wdXQ="));
  }

  private static Transaction transaction(String gid, TransType type, GlobalStatus status, String queryPrepared,
      TransOptions o, List<Branch> branches, Instant created) {
    Duration interval = o.retryInterval() != null ? o.retryInterval() : Duration.ofSeconds(10);
    return new Transaction(1, gid, type, status, "http", queryPrepared, "", o, branches, created, created, null, null,
        null, null, null, interval, 0, "", 1);
  }
}
