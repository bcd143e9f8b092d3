package io.cohort.examples.transfer;

import com.sun.net.httpserver.HttpServer;
import io.cohort.client.Coordinator;
import io.cohort.client.PayloadCodec;
import io.cohort.client.barrier.BarrierOutcome;
import io.cohort.client.barrier.BarrierResult;
import io.cohort.client.barrier.BarrierWork;
import io.cohort.client.barrier.BranchBarrier;
import io.cohort.client.barrier.BranchFailedException;
import io.cohort.client.barrier.JdbcBarrier;
import io.cohort.client.local.LocalTransactions;
import io.cohort.client.participant.BranchHandler;
import io.cohort.client.participant.BranchRequest;
import io.cohort.client.participant.BranchResponse;
import io.cohort.client.participant.JdkHttpBranchHandler;
import io.cohort.client.xa.XaParticipant;
import io.cohort.protocol.BranchOp;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.UnaryOperator;
import javax.sql.DataSource;
import javax.sql.XADataSource;

/**
 * One bank: an account table in one database and the participant service that moves money in and out of it, for
 * every transaction mode. The same class runs against PostgreSQL and MariaDB; only the DDL differs ({@link Dialect}).
 *
 * <p><b>Tables</b> (schema / database {@value #SCHEMA}, created by {@link #ensureSchema}):
 *
 * <ul>
 *   <li>{@code account(id, balance, frozen, incoming)}: {@code balance} is the money; {@code frozen} is the part of it
 *       a TCC try has reserved for an outgoing transfer, {@code incoming} what a TCC try has announced for an incoming
 *       one. CHECK constraints keep {@code balance >= frozen >= 0} and {@code incoming >= 0}; the business statements
 *       check the same in their {@code where} clause, so a refusal is a clean {@link BranchFailedException} rather
 *       than a constraint violation.
 *   <li>{@code journal(gid, branch_id, step, account, delta)}: one row per business step that ran, written in the same
 *       local transaction as the step (and so committed or rolled back with it). {@code delta} is the change to
 *       {@code balance}. The journal makes "exactly once" checkable: a step that ran twice would show two rows.
 * </ul>
 *
 * <p><b>Endpoints</b>, each a branch URL that the coordinator (or the SDK, for a TCC try and an XA action) calls
 * with the JSON of a {@link Transfer}. The withdrawing bank reads {@link Transfer#from()}, the depositing bank
 * {@link Transfer#to()}. Every step that touches money runs behind the subtransaction barrier ({@link JdbcBarrier}, a
 * fresh {@link BranchBarrier} per attempt) inside one local transaction, so a repeated delivery does nothing, a
 * compensation without its action does nothing (and blocks the action should it still arrive), and a refused step
 * leaves neither a barrier row nor a journal row. The XA endpoints are run by {@link XaParticipant}, whose branch
 * carries the same barrier row (trans_type {@code xa}) and the same business.
 *
 * <p><b>XA and connections.</b> A prepared XA branch keeps its locks until phase 2, and every local phase runs on a
 * connection of its own (the pool cannot lend one: a prepared branch must outlive the request). So local phases that
 * queue behind a prepared branch hold connections while they wait, and enough of them would leave none for the
 * phase 2 that releases the locks. The bank caps the local phases in flight ({@link Builder#maxXaLocalPhases}) and
 * never caps phase 2; {@link Databases#xa} bounds each session's lock waits.
 *
 * <p><b>Threads.</b> The HTTP server runs each request on a virtual thread; the bank holds no mutable state except
 * counters, so requests for different transfers run in parallel and the database serialises those on the same
 * account.
 */
public final class Bank implements AutoCloseable {
  /** The schema (PostgreSQL) or database (MariaDB) of the example's tables. */
  public static final String SCHEMA = "transfer_example";
  public static final String ACCOUNT_TABLE = SCHEMA + ".account";
  public static final String JOURNAL_TABLE = SCHEMA + ".journal";

  /** Saga: take the money out of {@code from} (FAILURE when the balance is short). */
  public static final String SAGA_WITHDRAW = "/saga/withdraw";
  /** Saga: give it back. */
  public static final String SAGA_WITHDRAW_COMPENSATE = "/saga/withdraw-compensate";
  /** Saga: put the money into {@code to}. */
  public static final String SAGA_DEPOSIT = "/saga/deposit";
  /** Saga: take it out again. */
  public static final String SAGA_DEPOSIT_COMPENSATE = "/saga/deposit-compensate";
  /** TCC, source bank: try freezes the amount, confirm spends it, cancel unfreezes it. */
  public static final String TCC_WITHDRAW_TRY = "/tcc/withdraw-try";
  public static final String TCC_WITHDRAW_CONFIRM = "/tcc/withdraw-confirm";
  public static final String TCC_WITHDRAW_CANCEL = "/tcc/withdraw-cancel";
  /** TCC, target bank: try announces the amount as incoming, confirm credits it, cancel drops the announcement. */
  public static final String TCC_DEPOSIT_TRY = "/tcc/deposit-try";
  public static final String TCC_DEPOSIT_CONFIRM = "/tcc/deposit-confirm";
  public static final String TCC_DEPOSIT_CANCEL = "/tcc/deposit-cancel";
  /** 2-phase message, target bank: the message's action, delivered until it succeeds. */
  public static final String MSG_DEPOSIT = "/msg/deposit";
  /** 2-phase message, source bank: the check-back ({@code query_prepared}) for a message whose submit never came. */
  public static final String MSG_CHECK_BACK = "/msg/check-back";
  /** XA: the withdrawal's local phase ({@code op=action}) and its phase 2 ({@code commit} / {@code rollback}). */
  public static final String XA_WITHDRAW = "/xa/withdraw";
  /** XA: the deposit's local phase and phase 2. */
  public static final String XA_DEPOSIT = "/xa/deposit";

  private static final JdbcBarrier BARRIER = JdbcBarrier.defaults();
  /** How long an XA action waits for a free local-phase slot before it is answered 503. */
  private static final Duration XA_ADMISSION_WAIT = Duration.ofSeconds(1);
  private static final PayloadCodec CODEC = PayloadCodec.jackson();

  /** The SQL differences between the two databases: only the DDL. */
  public enum Dialect {
    POSTGRESQL(List.of(
        "create schema if not exists " + SCHEMA,
        "create table if not exists " + ACCOUNT_TABLE + " ("
            + " id bigint primary key,"
            + " balance bigint not null,"
            + " frozen bigint not null default 0,"
            + " incoming bigint not null default 0,"
            + " constraint account_balance_covers_frozen check (balance >= frozen),"
            + " constraint account_frozen_not_negative check (frozen >= 0),"
            + " constraint account_incoming_not_negative check (incoming >= 0))",
        "create table if not exists " + JOURNAL_TABLE + " ("
            + " id bigserial primary key,"
            + " gid varchar(128) not null,"
            + " branch_id varchar(128) not null,"
            + " step varchar(45) not null,"
            + " account bigint not null,"
            + " delta bigint not null,"
            + " created timestamp not null default current_timestamp)",
        "create index if not exists journal_gid on " + JOURNAL_TABLE + " (gid)")),
    MARIADB(List.of(
        "create database if not exists " + SCHEMA,
        "create table if not exists " + ACCOUNT_TABLE + " ("
            + " id bigint primary key,"
            + " balance bigint not null,"
            + " frozen bigint not null default 0,"
            + " incoming bigint not null default 0,"
            + " constraint account_balance_covers_frozen check (balance >= frozen),"
            + " constraint account_frozen_not_negative check (frozen >= 0),"
            + " constraint account_incoming_not_negative check (incoming >= 0)"
            + ") engine = InnoDB",
        "create table if not exists " + JOURNAL_TABLE + " ("
            + " id bigint auto_increment primary key,"
            + " gid varchar(128) not null,"
            + " branch_id varchar(128) not null,"
            + " step varchar(45) not null,"
            + " account bigint not null,"
            + " delta bigint not null,"
            + " created timestamp not null default current_timestamp,"
            + " key journal_gid (gid)"
            + ") engine = InnoDB"));

    private final List<String> ddl;

    Dialect(List<String> ddl) {
      this.ddl = ddl;
    }
  }

  private final String name;
  private final Dialect dialect;
  private final DataSource dataSource;
  private final LocalTransactions tx;
  private final XaParticipant xa;
  private final Coordinator coordinator;
  private final Semaphore xaLocalPhases;
  private final Map<BarrierOutcome, LongAdder> outcomes = new EnumMap<>(BarrierOutcome.class);
  private HttpServer server;
  private ExecutorService executor;
  private String baseUrl;

  private Bank(Builder b) {
    this.name = b.name;
    this.dialect = b.dialect;
    this.dataSource = b.dataSource;
    this.tx = LocalTransactions.create(b.dataSource);
    this.xa = b.xaDataSource == null ? null : XaParticipant.create(b.xaDataSource);
    this.coordinator = b.coordinator;
    this.xaLocalPhases = new Semaphore(b.maxXaLocalPhases);
    for (BarrierOutcome o : BarrierOutcome.values()) {
      outcomes.put(o, new LongAdder());
    }
  }

  /** A bank called {@code name} whose tables live in {@code dataSource}, a database of {@code dialect}. */
  public static Builder builder(String name, Dialect dialect, DataSource dataSource) {
    return new Builder(name, dialect, dataSource);
  }

  public String name() {
    return name;
  }

  public Dialect dialect() {
    return dialect;
  }

  public DataSource dataSource() {
    return dataSource;
  }

  /** Creates the schema, the account and journal tables and the barrier table if missing. Idempotent. */
  public void ensureSchema() throws SQLException {
    try (Connection conn = dataSource.getConnection(); Statement st = conn.createStatement()) {
      for (String sql : dialect.ddl) {
        st.execute(sql);
      }
    }
    BARRIER.ensureSchema(dataSource);
  }

  /**
   * Opens accounts {@code 0 .. count-1} with {@code balance} each, leaving accounts that exist as they are. For a run
   * that must start from known balances, {@link #resetAccounts} instead.
   */
  public void openAccounts(int count, long balance) throws SQLException {
    String sql = dialect == Dialect.POSTGRESQL
        ? "insert into " + ACCOUNT_TABLE + " (id, balance) values (?, ?) on conflict (id) do nothing"
        : "insert ignore into " + ACCOUNT_TABLE + " (id, balance) values (?, ?)";
    tx.run(conn -> {
      try (PreparedStatement ps = conn.prepareStatement(sql)) {
        for (int id = 0; id < count; id++) {
          ps.setLong(1, id);
          ps.setLong(2, balance);
          ps.addBatch();
        }
        ps.executeBatch();
      }
      return null;
    });
  }

  /** Empties the account and journal tables and opens accounts {@code 0 .. count-1} with {@code balance} each. */
  public void resetAccounts(int count, long balance) throws SQLException {
    tx.run(conn -> {
      try (Statement st = conn.createStatement()) {
        st.executeUpdate("delete from " + JOURNAL_TABLE);
        st.executeUpdate("delete from " + ACCOUNT_TABLE);
      }
      return null;
    });
    openAccounts(count, balance);
  }

  /** The balance of {@code account}, or {@code null} if it does not exist. */
  public Long balance(long account) throws SQLException {
    try (Connection conn = dataSource.getConnection();
        PreparedStatement ps = conn.prepareStatement("select balance from " + ACCOUNT_TABLE + " where id = ?")) {
      ps.setLong(1, account);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    }
  }

  /** How often the barrier decided each {@link BarrierOutcome} in this bank's handlers (XA branches excluded). */
  public Map<BarrierOutcome, Long> barrierOutcomes() {
    Map<BarrierOutcome, Long> out = new EnumMap<>(BarrierOutcome.class);
    outcomes.forEach((o, n) -> out.put(o, n.sum()));
    return out;
  }

  /** The handler of every endpoint by path; XA endpoints only when the bank was built with an XA data source. */
  public Map<String, BranchHandler> handlers() {
    Map<String, BranchHandler> h = new LinkedHashMap<>();
    h.put(SAGA_WITHDRAW, protect("saga-withdraw", (x, t) -> debit(x, t.from(), t.amount())));
    h.put(SAGA_WITHDRAW_COMPENSATE, protect("saga-withdraw-compensate", (x, t) -> refund(x, t.from(), t.amount())));
    h.put(SAGA_DEPOSIT, protect("saga-deposit", (x, t) -> deposit(x, t.to(), t.amount())));
    h.put(SAGA_DEPOSIT_COMPENSATE, protect("saga-deposit-compensate", (x, t) -> takeBack(x, t.to(), t.amount())));
    h.put(TCC_WITHDRAW_TRY, protect("tcc-withdraw-try", (x, t) -> freeze(x, t.from(), t.amount())));
    h.put(TCC_WITHDRAW_CONFIRM, protect("tcc-withdraw-confirm", (x, t) -> spendFrozen(x, t.from(), t.amount())));
    h.put(TCC_WITHDRAW_CANCEL, protect("tcc-withdraw-cancel", (x, t) -> unfreeze(x, t.from(), t.amount())));
    h.put(TCC_DEPOSIT_TRY, protect("tcc-deposit-try", (x, t) -> announce(x, t.to(), t.amount())));
    h.put(TCC_DEPOSIT_CONFIRM, protect("tcc-deposit-confirm", (x, t) -> creditIncoming(x, t.to(), t.amount())));
    h.put(TCC_DEPOSIT_CANCEL, protect("tcc-deposit-cancel", (x, t) -> dropIncoming(x, t.to(), t.amount())));
    h.put(MSG_DEPOSIT, protect("msg-deposit", (x, t) -> deposit(x, t.to(), t.amount())));
    h.put(MSG_CHECK_BACK, BranchHandler.checkBack(gid -> BARRIER.queryPrepared(dataSource, gid)));
    if (xa != null) {
      h.put(XA_WITHDRAW, xaHandler("xa-withdraw", (x, t) -> debit(x, t.from(), t.amount())));
      h.put(XA_DEPOSIT, xaHandler("xa-deposit", (x, t) -> deposit(x, t.to(), t.amount())));
    }
    return h;
  }

  /**
   * The local business of a 2-phase message sent by this bank: withdraws the transfer's amount from
   * {@link Transfer#from()} and journals it under {@code gid}. Pass it to {@code Msg.doAndSubmitDb} with this bank's
   * {@link #dataSource()}, which runs it in the same local transaction as the message's barrier row.
   */
  public BarrierWork<Void> msgWithdraw(String gid, Transfer t) {
    return conn -> {
      debit(new Entry(conn, gid, "00", "msg-withdraw"), t.from(), t.amount());
      return null;
    };
  }

  /**
   * Starts serving every endpoint on {@code address} (port 0: any free port), each handler passed through
   * {@code decorator} first (the identity in production; the tests wrap handlers to inject faults). Branch URLs are
   * built with {@code publicHost}, the name under which the coordinator reaches this process.
   */
  public synchronized Bank start(InetSocketAddress address, String publicHost, UnaryOperator<BranchHandler> decorator)
      throws IOException {
    if (server != null) {
      throw new IllegalStateException("bank " + name + " is already serving at " + baseUrl);
    }
    HttpServer s = HttpServer.create(address, 1024);
    handlers().forEach((path, handler) -> s.createContext(path, new JdkHttpBranchHandler(decorator.apply(handler))));
    executor = Executors.newVirtualThreadPerTaskExecutor();
    s.setExecutor(executor);
    s.start();
    server = s;
    baseUrl = "http://" + publicHost + ":" + s.getAddress().getPort();
    return this;
  }

  /** The URL of endpoint {@code path}, such as {@link #SAGA_WITHDRAW}, on the running server. */
  public synchronized String url(String path) {
    if (baseUrl == null) {
      throw new IllegalStateException("bank " + name + " is not serving: call start first");
    }
    return baseUrl + path;
  }

  /** Stops the HTTP server (the data source is the caller's). */
  @Override
  public synchronized void close() {
    if (server != null) {
      server.stop(0);
      // Not close(), which waits for every request: a local phase stuck on a lock must not hang the shutdown.
      executor.shutdownNow();
      server = null;
      baseUrl = null;
    }
  }

  @Override
  public String toString() {
    return "Bank[" + name + ", " + dialect + (baseUrl == null ? "" : ", " + baseUrl) + "]";
  }

  // ---- the business steps; each runs inside a barrier-protected local transaction (or an XA branch) ----

  /**
   * Where a step runs and how it is journaled: the connection of the local transaction that holds the barrier rows,
   * and the transfer's gid and branch id, and the step's name.
   */
  private record Entry(Connection conn, String gid, String branchId, String step) {}

  /** One business step of a transfer. */
  @FunctionalInterface
  private interface Step {
    void run(Entry entry, Transfer transfer) throws SQLException;
  }

  private void debit(Entry x, long account, long amount) throws SQLException {
    if (update(x, "update " + ACCOUNT_TABLE + " set balance = balance - ? where id = ? and balance - frozen >= ?",
        amount, account, amount) == 0) {
      throw refusal(x, account, "cannot withdraw " + amount);
    }
    journal(x, account, -amount);
  }

  private void deposit(Entry x, long account, long amount) throws SQLException {
    if (update(x, "update " + ACCOUNT_TABLE + " set balance = balance + ? where id = ?", amount, account) == 0) {
      throw new BranchFailedException(name + ": account " + account + " does not exist");
    }
    journal(x, account, amount);
  }

  /** A saga withdrawal's compensation: must succeed, so a missing account is an error to retry, never a FAILURE. */
  private void refund(Entry x, long account, long amount) throws SQLException {
    mustUpdate(x, account, "update " + ACCOUNT_TABLE + " set balance = balance + ? where id = ?", amount, account);
    journal(x, account, amount);
  }

  /**
   * Undoes a saga deposit. Must succeed, but cannot if the money has been spent meanwhile: that is the saga's known
   * weakness (its steps are visible before the end), which is why the deposit is the saga's last step, so its
   * compensation only ever runs as a null compensation. Should it ever find the money gone, it answers an error and
   * the coordinator keeps retrying (and alerting) rather than letting the balance go negative.
   */
  private void takeBack(Entry x, long account, long amount) throws SQLException {
    mustUpdate(x, account, "update " + ACCOUNT_TABLE + " set balance = balance - ?"
        + " where id = ? and balance - frozen >= ?", amount, account, amount);
    journal(x, account, -amount);
  }

  /** TCC try, source: reserves the amount; refused (FAILURE) when the unreserved balance is short. */
  private void freeze(Entry x, long account, long amount) throws SQLException {
    if (update(x, "update " + ACCOUNT_TABLE + " set frozen = frozen + ? where id = ? and balance - frozen >= ?",
        amount, account, amount) == 0) {
      throw refusal(x, account, "cannot freeze " + amount);
    }
    journal(x, account, 0);
  }

  private void spendFrozen(Entry x, long account, long amount) throws SQLException {
    mustUpdate(x, account, "update " + ACCOUNT_TABLE + " set balance = balance - ?, frozen = frozen - ?"
        + " where id = ? and frozen >= ?", amount, amount, account, amount);
    journal(x, account, -amount);
  }

  private void unfreeze(Entry x, long account, long amount) throws SQLException {
    mustUpdate(x, account, "update " + ACCOUNT_TABLE + " set frozen = frozen - ? where id = ? and frozen >= ?",
        amount, account, amount);
    journal(x, account, 0);
  }

  /** TCC try, target: announces the amount as incoming (not spendable yet); refused when the account is missing. */
  private void announce(Entry x, long account, long amount) throws SQLException {
    if (update(x, "update " + ACCOUNT_TABLE + " set incoming = incoming + ? where id = ?", amount, account) == 0) {
      throw new BranchFailedException(name + ": account " + account + " does not exist");
    }
    journal(x, account, 0);
  }

  private void creditIncoming(Entry x, long account, long amount) throws SQLException {
    mustUpdate(x, account, "update " + ACCOUNT_TABLE + " set balance = balance + ?, incoming = incoming - ?"
        + " where id = ? and incoming >= ?", amount, amount, account, amount);
    journal(x, account, amount);
  }

  private void dropIncoming(Entry x, long account, long amount) throws SQLException {
    mustUpdate(x, account, "update " + ACCOUNT_TABLE + " set incoming = incoming - ? where id = ? and incoming >= ?",
        amount, account, amount);
    journal(x, account, 0);
  }

  /** The business "no" for a short balance, or for an account that does not exist. */
  private BranchFailedException refusal(Entry x, long account, String what) throws SQLException {
    String sql = "select balance - frozen from " + ACCOUNT_TABLE + " where id = ?";
    try (PreparedStatement ps = x.conn().prepareStatement(sql)) {
      ps.setLong(1, account);
      try (ResultSet rs = ps.executeQuery()) {
        return new BranchFailedException(name + ": " + what + " from account " + account
            + (rs.next() ? ": only " + rs.getLong(1) + " available" : ": no such account"));
      }
    }
  }

  /** The journal row of the step that just changed {@code account}'s balance by {@code delta}. */
  private static void journal(Entry x, long account, long delta) throws SQLException {
    try (PreparedStatement ps = x.conn().prepareStatement("insert into " + JOURNAL_TABLE
        + " (gid, branch_id, step, account, delta) values (?, ?, ?, ?, ?)")) {
      ps.setString(1, x.gid());
      ps.setString(2, x.branchId());
      ps.setString(3, x.step());
      ps.setLong(4, account);
      ps.setLong(5, delta);
      ps.executeUpdate();
    }
  }

  private static int update(Entry x, String sql, long... args) throws SQLException {
    try (PreparedStatement ps = x.conn().prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setLong(i + 1, args[i]);
      }
      return ps.executeUpdate();
    }
  }

  /**
   * An update a confirm, cancel or compensation depends on. These ops must succeed, so when the row does not match
   * (a bug, or money a saga compensation wants back that has been spent) the answer is an error the coordinator
   * retries, never a FAILURE.
   */
  private void mustUpdate(Entry x, long account, String sql, long... args) throws SQLException {
    if (update(x, sql, args) == 0) {
      throw new IllegalStateException(name + ": " + x.step() + " of " + x.gid() + " cannot change account " + account
          + " as it stands; retry once it can");
    }
  }

  /**
   * A branch handler that decodes the transfer and runs {@code step} behind the barrier in a local transaction. The
   * runner repeats the whole lambda after a deadlock, so the barrier is built inside it, fresh for every attempt.
   */
  private BranchHandler protect(String stepName, Step step) {
    return req -> {
      Transfer t = decode(req, stepName);
      BarrierResult<Void> result = tx.run(conn -> BARRIER.call(conn, BranchBarrier.fromQuery(req.query()), c -> {
        step.run(new Entry(c, req.gid(), req.branchId(), stepName), t);
        return null;
      }));
      outcomes.get(result.outcome()).increment();
      return null;
    };
  }

  /**
   * The XA endpoint of one business step: {@link XaParticipant} dispatches on {@code op}, running the step inside the
   * branch's local phase ({@code action}) or finishing the branch ({@code commit} / {@code rollback}). It answers
   * with a {@link BranchResponse} of its own, so this handler overrides {@code respond}: returning that response
   * from {@code handle} would be taken for a plain success.
   */
  private BranchHandler xaHandler(String stepName, Step step) {
    return new BranchHandler() {
      @Override
      public Object handle(BranchRequest request) {
        throw new UnsupportedOperationException("answered by respond");
      }

      @Override
      public BranchResponse respond(BranchRequest req) {
        if (!BranchOp.ACTION.equals(req.op())) {
          return xa.handle(req, null, null);
        }
        Transfer t;
        try {
          t = decode(req, stepName);
        } catch (RuntimeException e) {
          return BranchResponse.forException(e);
        }
        // Registered before the branch prepares, with the URL the coordinator calls for commit or rollback.
        Map<String, String> branch = Map.of("gid", req.gid(), "trans_type", "xa", "branch_id", req.branchId(),
            "url", String.valueOf(req.queryParam(XaParticipant.PHASE2_URL)));
        // Each local phase holds a connection of its own until it has prepared; cap them, so that phase 2 (never
        // capped: it is what frees the locks the local phases wait for) always finds the database accepting one.
        try {
          if (!xaLocalPhases.tryAcquire(XA_ADMISSION_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
            return BranchResponse.error(503, name + ": too many XA local phases in flight, try again later");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return BranchResponse.error(503, name + ": interrupted");
        }
        try {
          return xa.handle(req, conn -> {
            step.run(new Entry(conn, req.gid(), req.branchId(), stepName), t);
            return null;
          }, () -> coordinator.registerBranch(branch));
        } finally {
          xaLocalPhases.release();
        }
      }
    };
  }

  private Transfer decode(BranchRequest req, String what) {
    String body = req.bodyAsString();
    if (body.isBlank()) {
      throw new IllegalArgumentException(name + " " + what + ": the branch call carries no transfer");
    }
    return CODEC.decode(body, Transfer.class);
  }

  /** Options of a {@link Bank}. */
  public static final class Builder {
    private final String name;
    private final Dialect dialect;
    private final DataSource dataSource;
    private XADataSource xaDataSource;
    private Coordinator coordinator;
    private int maxXaLocalPhases = 16;

    private Builder(String name, Dialect dialect, DataSource dataSource) {
      this.name = Objects.requireNonNull(name, "name");
      this.dialect = Objects.requireNonNull(dialect, "dialect");
      this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    /**
     * Serves the XA endpoints too: their local phases run on connections from {@code xaDataSource} (the same database
     * as the data source), and each branch registers with {@code coordinator} before it prepares. Building then
     * checks that the database can prepare XA transactions (PostgreSQL needs {@code max_prepared_transactions > 0}).
     */
    public Builder xa(XADataSource xaDataSource, Coordinator coordinator) {
      this.xaDataSource = Objects.requireNonNull(xaDataSource, "xaDataSource");
      this.coordinator = Objects.requireNonNull(coordinator, "coordinator");
      return this;
    }

    /**
     * How many XA local phases may run at once (default 16); more wait up to a second for a slot, then get 503.
     * Each holds a database connection of its own until it has prepared, so this caps the connections the XA
     * endpoints take, leaving room for phase 2.
     */
    public Builder maxXaLocalPhases(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxXaLocalPhases must be at least 1: " + max);
      }
      this.maxXaLocalPhases = max;
      return this;
    }

    public Bank build() {
      return new Bank(this);
    }
  }
}
