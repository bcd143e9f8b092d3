package io.cohort.examples.transfer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.cohort.client.CohortClient;
import io.cohort.client.CohortClientOptions;
import io.cohort.client.barrier.BarrierOutcome;
import io.cohort.testkit.CohortTestServer;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One mode's load test: 1,000 transfers between a PostgreSQL bank and a MariaDB bank, 64 at a time, in both
 * directions, with random amounts (some larger than any balance), while {@link FaultInjector} makes the banks'
 * endpoints fail, time out and deliver twice. Then every transaction must be final, and the books must balance:
 *
 * <ul>
 *   <li>the money in both banks together is what it was;
 *   <li>no balance is negative, and nothing is left frozen or announced (TCC holds all released);
 *   <li>each account's balance is its opening balance plus its journal;
 *   <li>per transfer, by the journal written in the same local transactions as the money: a succeeded one debited
 *       the source and credited the target exactly once, a failed one left both as they were; no step ran twice;
 *   <li>the faults really happened, and the barrier really absorbed repeated deliveries.
 * </ul>
 *
 * <p>The coordinator is the testkit's, on the real clock: a timeout is real time whatever the clock says, and with the
 * manual clock every retry would wait for the test to move it. The retry interval is 1 s (the server's default is
 * 10 s, which would stretch a run to minutes: a few faults in a row on one transfer double it each time) and the
 * backoff is capped at 4 s, so the slowest transfer is done within seconds of the last fault. The seed is printed;
 * set {@code -Dexample.seed=...} to rerun with the same one.
 */
abstract class TransferLoadTest {
  static final int TRANSFERS = 1_000;
  static final int CONCURRENCY = 64;
  /**
   * Per bank. Enough that 64 transfers in flight rarely meet on one account: an XA branch holds its row lock until
   * phase 2, which a fault can delay by seconds, and every transfer queued behind it times out.
   */
  static final int ACCOUNTS = 100;
  static final long OPENING_BALANCE = 1_000;
  static final double FAULT_RATE = 0.05;
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);
  /** A second past the timeout, so that a cancel usually overtakes its late try (the hanging case). */
  static final Duration FAULT_DELAY = REQUEST_TIMEOUT.plusSeconds(1);
  static final Duration FINAL_PATIENCE = Duration.ofSeconds(90);

  HikariDataSource pgPool;
  HikariDataSource mariaPool;
  CohortTestServer cohort;
  CohortClient client;
  Bank postgres;
  Bank mariadb;
  FaultInjector faults;
  long seed;

  /** The mode under test. */
  abstract TransferMode mode();

  /** Journal steps that move the money of a succeeded transfer: the source's debit and the target's credit. */
  abstract String debitStep();

  abstract String creditStep();

  /** Mode-specific coordinator settings on top of the common ones. */
  CohortTestServer.Builder configure(CohortTestServer.Builder coordinator) {
    return coordinator;
  }

  /** Starts one transfer; the msg test overrides this to simulate a client that dies half-way. */
  Transfers.Started start(Transfers transfers, Bank source, Bank target, Transfer transfer, Random random) {
    return transfers.start(mode(), source, target, transfer);
  }

  /** Mode-specific checks after the common ones. */
  void verifyMore(Map<String, Planned> planned, Map<String, String> statuses) throws Exception {}

  /** One transfer as the test planned it. */
  record Planned(Transfer transfer, Bank source, Bank target) {}

  @BeforeEach
  void setUp() throws Exception {
    seed = Long.getLong("example.seed", ThreadLocalRandom.current().nextLong());
    pgPool = Databases.pool("test-postgres", Databases.DEFAULT_POSTGRES_URL, 20);
    mariaPool = Databases.pool("test-mariadb", Databases.DEFAULT_MARIADB_URL, 20);
    cohort = configure(CohortTestServer.builder()
        .realClock()
        .retryInterval(Duration.ofSeconds(1))
        .property("engine.max-retry-interval", "4s")
        .requestTimeout(REQUEST_TIMEOUT)
        .timeoutToFail(Duration.ofSeconds(30)))
        .start();
    client = CohortClient.create(CohortClientOptions.builder(cohort.baseUrl())
        .branchCallTimeout(REQUEST_TIMEOUT)
        .callTimeout(Duration.ofSeconds(30))
        .build());
    Bank.Builder pg = Bank.builder("bank-postgres", Bank.Dialect.POSTGRESQL, pgPool);
    Bank.Builder maria = Bank.builder("bank-mariadb", Bank.Dialect.MARIADB, mariaPool);
    if (mode() == TransferMode.XA) {
      pg.xa(Databases.xa(Databases.DEFAULT_POSTGRES_URL, REQUEST_TIMEOUT), client.coordinator());
      maria.xa(Databases.xa(Databases.DEFAULT_MARIADB_URL, REQUEST_TIMEOUT), client.coordinator());
    }
    postgres = pg.build();
    mariadb = maria.build();
    faults = new FaultInjector(seed, FAULT_RATE, FAULT_DELAY);
    for (Bank bank : List.of(postgres, mariadb)) {
      bank.ensureSchema();
      bank.resetAccounts(ACCOUNTS, OPENING_BALANCE);
      bank.start(new InetSocketAddress("127.0.0.1", 0), "127.0.0.1", faults.decorator());
    }
  }

  @AfterEach
  void tearDown() {
    for (AutoCloseable c : new AutoCloseable[] {postgres, mariadb, client, cohort, pgPool, mariaPool}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        System.err.println("closing " + c + ": " + e);
      }
    }
  }

  @Test
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void aThousandConcurrentTransfersWithFaultsKeepTheBooksBalanced() throws Exception {
    System.out.printf("%s: seed %d (rerun with -Dexample.seed=%d)%n", mode().wire(), seed, seed);
    Random random = new Random(seed);
    List<Planned> plan = new ArrayList<>();
    for (int i = 0; i < TRANSFERS; i++) {
      boolean fromPostgres = random.nextBoolean();
      // One in ten asks for more than any account can hold: the business refuses, and the transfer must fail cleanly.
      long amount = random.nextInt(10) == 0 ? 2 * OPENING_BALANCE + random.nextInt(1_000) : 1 + random.nextInt(400);
      Transfer t = new Transfer(random.nextInt(ACCOUNTS), random.nextInt(ACCOUNTS), amount);
      plan.add(fromPostgres ? new Planned(t, postgres, mariadb) : new Planned(t, mariadb, postgres));
    }
    // One random per transfer, drawn up front, so the draws do not depend on thread scheduling.
    List<Random> randoms = plan.stream().map(p -> new Random(random.nextLong())).toList();

    Transfers transfers = new Transfers(client);
    Map<String, Planned> byGid = new ConcurrentHashMap<>();
    List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
    Map<String, Integer> refusals = new ConcurrentHashMap<>();
    long started = System.nanoTime();
    Semaphore slots = new Semaphore(CONCURRENCY);
    try (ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < plan.size(); i++) {
        Planned p = plan.get(i);
        Random r = randoms.get(i);
        slots.acquire();
        workers.submit(() -> {
          try {
            Transfers.Started s = start(transfers, p.source(), p.target(), p.transfer(), r);
            byGid.put(s.gid(), p);
            if (s.refusal() != null) {
              refusals.merge(cause(s.refusal()), 1, Integer::sum);
            }
            // Wait for the end here, so that at most CONCURRENCY transfers are in flight, not all 1,000 at once.
            client.awaitFinal(s.gid(), FINAL_PATIENCE);
          } catch (Throwable e) {
            errors.add(e);
          } finally {
            slots.release();
          }
        });
      }
    }
    assertThat(errors).as("transfers that could not be started or awaited").isEmpty();
    assertThat(byGid).hasSize(TRANSFERS);

    Map<String, String> statuses = new HashMap<>();
    for (String gid : byGid.keySet()) {
      statuses.put(gid, cohort.awaitFinal(gid, FINAL_PATIENCE));
    }
    Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
    // Late deliveries (a delayed handler whose caller gave up, a background duplicate) may still be running.
    await().atMost(Duration.ofSeconds(30)).until(() -> faults.inFlight() == 0);

    long succeeded = statuses.values().stream().filter("succeed"::equals).count();
    long failed = statuses.values().stream().filter("failed"::equals).count();
    Map<BarrierOutcome, Long> outcomes = new EnumMap<>(BarrierOutcome.class);
    for (Bank bank : List.of(postgres, mariadb)) {
      bank.barrierOutcomes().forEach((o, n) -> outcomes.merge(o, n, Long::sum));
    }
    System.out.printf("%s: %d transfers in %d ms: %d succeeded, %d failed (known to the client at once: %s); %s; "
        + "barrier %s%n", mode().wire(), TRANSFERS, elapsed.toMillis(), succeeded, failed, refusals, faults, outcomes);

    assertThat(succeeded + failed).as("transactions final").isEqualTo(TRANSFERS);
    assertThat(succeeded).as("succeeded transfers").isPositive();
    assertThat(failed).as("failed transfers").isPositive();
    verifyBooks(byGid, statuses);
    assertThat(faults.injected()).as("faults injected, by kind").allSatisfy((f, n) -> assertThat(n).isPositive());
    verifyMore(byGid, statuses);
  }

  /** Why a transfer failed before the coordinator took over, in a few words. */
  static String cause(String refusal) {
    if (refusal.contains("refused (FAILURE)") || refusal.contains("the local transaction refused")) {
      return "business refused";
    }
    if (refusal.contains("failed with HTTP 500")) {
      return "participant error";
    }
    if (refusal.contains("failed with HTTP 503")) {
      return "participant busy";
    }
    if (refusal.contains("got no answer")) {
      return "participant timed out";
    }
    if (refusal.contains("the sender died")) {
      return "sender died";
    }
    System.out.println("unclassified refusal: " + refusal);
    return "other";
  }

  private void verifyBooks(Map<String, Planned> byGid, Map<String, String> statuses) throws SQLException {
    Books pg = Books.read(postgres);
    Books maria = Books.read(mariadb);
    assertThat(pg.total() + maria.total()).as("money in both banks").isEqualTo(2 * ACCOUNTS * OPENING_BALANCE);
    for (Books books : List.of(pg, maria)) {
      assertThat(books.balances()).as(books.bank() + ": accounts").hasSize(ACCOUNTS);
      assertThat(books.negative()).as(books.bank() + ": accounts with a negative balance").isEmpty();
      assertThat(books.held()).as(books.bank() + ": accounts with money left frozen or announced").isEmpty();
      assertThat(books.repeatedSteps()).as(books.bank() + ": steps that ran more than once for one transfer").isEmpty();
      books.balances().forEach((account, balance) -> assertThat(balance)
          .as(books.bank() + ": account " + account + " = opening balance + its journal")
          .isEqualTo(OPENING_BALANCE + books.journalByAccount().getOrDefault(account, 0L)));
      assertThat(byGid.keySet()).as(books.bank() + ": journal rows all belong to this run's transfers")
          .containsAll(books.netByGid().keySet());
    }
    for (Map.Entry<String, Planned> e : byGid.entrySet()) {
      String gid = e.getKey();
      Planned p = e.getValue();
      Books source = p.source() == postgres ? pg : maria;
      Books target = p.target() == postgres ? pg : maria;
      long amount = p.transfer().amount();
      String what = gid + " (" + p.transfer() + " from " + source.bank() + ", " + statuses.get(gid) + ")";
      if (statuses.get(gid).equals("succeed")) {
        assertThat(source.netByGid().get(gid)).as(what + ": source debited once").isEqualTo(-amount);
        assertThat(target.netByGid().get(gid)).as(what + ": target credited once").isEqualTo(amount);
        assertThat(source.steps(gid)).as(what + ": source steps").contains(debitStep());
        assertThat(target.steps(gid)).as(what + ": target steps").contains(creditStep());
      } else {
        assertThat(source.netByGid().getOrDefault(gid, 0L)).as(what + ": source unchanged").isZero();
        assertThat(target.netByGid().getOrDefault(gid, 0L)).as(what + ": target unchanged").isZero();
        assertThat(target.steps(gid)).as(what + ": target steps").doesNotContain(creditStep());
      }
    }
  }

  /** What one bank's tables say after the run. */
  record Books(String bank, Map<Long, Long> balances, List<String> negative, List<String> held,
      Map<String, Long> netByGid, Map<Long, Long> journalByAccount, Map<String, List<String>> stepsByGid,
      List<String> repeatedSteps) {
    static Books read(Bank bank) throws SQLException {
      Map<Long, Long> balances = new HashMap<>();
      List<String> negative = new ArrayList<>();
      List<String> held = new ArrayList<>();
      Map<String, Long> net = new HashMap<>();
      Map<Long, Long> byAccount = new HashMap<>();
      Map<String, List<String>> steps = new HashMap<>();
      List<String> repeated = new ArrayList<>();
      try (Connection conn = bank.dataSource().getConnection()) {
        try (PreparedStatement ps = conn.prepareStatement(
            "select id, balance, frozen, incoming from " + Bank.ACCOUNT_TABLE);
            ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            long id = rs.getLong(1);
            balances.put(id, rs.getLong(2));
            if (rs.getLong(2) < 0) {
              negative.add(id + ": " + rs.getLong(2));
            }
            if (rs.getLong(3) != 0 || rs.getLong(4) != 0) {
              held.add(id + ": frozen " + rs.getLong(3) + ", incoming " + rs.getLong(4));
            }
          }
        }
        String journal = "select gid, step, account, delta from " + Bank.JOURNAL_TABLE;
        try (PreparedStatement ps = conn.prepareStatement(journal); ResultSet rs = ps.executeQuery()) {
          Map<String, Integer> counts = new HashMap<>();
          while (rs.next()) {
            String gid = rs.getString(1);
            String step = rs.getString(2);
            net.merge(gid, rs.getLong(4), Long::sum);
            byAccount.merge(rs.getLong(3), rs.getLong(4), Long::sum);
            steps.computeIfAbsent(gid, g -> new ArrayList<>()).add(step);
            if (counts.merge(gid + " " + step, 1, Integer::sum) == 2) {
              repeated.add(gid + " " + step);
            }
          }
        }
      }
      return new Books(bank.name(), balances, negative, held, net, byAccount, steps, repeated);
    }

    long total() {
      return balances.values().stream().mapToLong(Long::longValue).sum();
    }

    List<String> steps(String gid) {
      return stepsByGid.getOrDefault(gid, List.of());
    }
  }

  /** Runs {@code sql} returning one long, on {@code ds}. */
  static long count(DataSource ds, String sql) throws SQLException {
    try (Connection conn = ds.getConnection(); PreparedStatement ps = conn.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
