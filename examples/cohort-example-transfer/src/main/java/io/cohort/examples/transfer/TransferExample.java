package io.cohort.examples.transfer;

import com.zaxxer.hikari.HikariDataSource;
import io.cohort.client.CohortClient;
import io.cohort.client.TransactionInfo;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Runs the example once: starts both banks' participant services in this process, then moves money from an account
 * in one bank to an account in the other as a global transaction of the chosen mode, against a running coordinator.
 *
 * <pre>
 * java -jar target/cohort-example-transfer.jar &lt;saga|tcc|msg|xa&gt; [coordinator-url] [--option=value ...]
 * </pre>
 *
 * See the module's README.md for the options and what to look at.
 */
public final class TransferExample {
  private static final long ACCOUNT = 1;
  private static final int ACCOUNTS = 10;
  private static final long OPENING_BALANCE = 1_000;

  private TransferExample() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new LinkedHashMap<>();
    options.put("coordinator", "http://127.0.0.1:36789");
    options.put("amount", "30");
    options.put("from", "postgres");
    options.put("host", "127.0.0.1");
    options.put("postgres", Databases.DEFAULT_POSTGRES_URL);
    options.put("mariadb", Databases.DEFAULT_MARIADB_URL);
    TransferMode mode = null;
    for (String arg : args) {
      if (arg.startsWith("--") && arg.contains("=")) {
        String key = arg.substring(2, arg.indexOf('='));
        if (!options.containsKey(key) || key.equals("coordinator")) {
          usage("unknown option " + arg);
        }
        options.put(key, arg.substring(arg.indexOf('=') + 1));
      } else if (mode == null) {
        mode = TransferMode.parse(arg);
      } else {
        options.put("coordinator", arg);
      }
    }
    if (mode == null) {
      usage("no mode given");
    }
    long amount = Long.parseLong(options.get("amount"));
    boolean fromPostgres = switch (options.get("from")) {
      case "postgres", "pg" -> true;
      case "mariadb" -> false;
      default -> throw new IllegalArgumentException("--from must be postgres or mariadb, got " + options.get("from"));
    };
    String host = options.get("host");
    // Listen on loopback unless the coordinator reaches this process under another name.
    InetSocketAddress address = host.equals("127.0.0.1") || host.equals("localhost")
        ? new InetSocketAddress("127.0.0.1", 0) : new InetSocketAddress(0);

    try (HikariDataSource pg = Databases.pool("bank-postgres", options.get("postgres"), 8);
        HikariDataSource maria = Databases.pool("bank-mariadb", options.get("mariadb"), 8);
        CohortClient client = CohortClient.create(options.get("coordinator"))) {
      Bank.Builder pgBank = Bank.builder("bank-postgres", Bank.Dialect.POSTGRESQL, pg);
      Bank.Builder mariaBank = Bank.builder("bank-mariadb", Bank.Dialect.MARIADB, maria);
      if (mode == TransferMode.XA) {
        pgBank.xa(Databases.xa(options.get("postgres"), client.options().branchCallTimeout()), client.coordinator());
        mariaBank.xa(Databases.xa(options.get("mariadb"), client.options().branchCallTimeout()), client.coordinator());
      }
      try (Bank postgres = pgBank.build(); Bank mariadb = mariaBank.build()) {
        for (Bank bank : new Bank[] {postgres, mariadb}) {
          bank.ensureSchema();
          bank.openAccounts(ACCOUNTS, OPENING_BALANCE);
          bank.start(address, host, UnaryOperator.identity());
        }
        Bank source = fromPostgres ? postgres : mariadb;
        Bank target = fromPostgres ? mariadb : postgres;
        Transfer transfer = new Transfer(ACCOUNT, ACCOUNT, amount);
        System.out.printf("before: %s account %d has %d, %s account %d has %d%n", source.name(), ACCOUNT,
            source.balance(ACCOUNT), target.name(), ACCOUNT, target.balance(ACCOUNT));

        Transfers.Started started = new Transfers(client).start(mode, source, target, transfer);
        System.out.printf("%s %s: moving %d from %s to %s%s%n", mode.wire(), started.gid(), amount, source.name(),
            target.name(), started.refusal() == null ? "" : " (refused: " + started.refusal() + ")");
        TransactionInfo done = client.awaitFinal(started.gid(), Duration.ofSeconds(120));

        System.out.printf("%s %s ended %s%s%n", mode.wire(), done.gid(), done.status().wire(),
            done.rollbackReason().isEmpty() ? "" : " (" + done.rollbackReason() + ")");
        System.out.printf("after:  %s account %d has %d, %s account %d has %d%n", source.name(), ACCOUNT,
            source.balance(ACCOUNT), target.name(), ACCOUNT, target.balance(ACCOUNT));
        if (!done.isFinal()) {
          System.exit(2);
        }
      }
    }
  }

  private static void usage(String problem) {
    System.err.println(problem);
    System.err.println("""
        usage: java -jar cohort-example-transfer.jar <saga|tcc|msg|xa> [coordinator-url] [--option=value ...]
          coordinator-url    the coordinator's address (default http://127.0.0.1:36789)
          --amount=N         how much to move (default 30; more than the account holds is refused)
          --from=postgres    which bank pays: postgres or mariadb (default postgres)
          --host=NAME        the name the coordinator reaches this process under (default 127.0.0.1)
          --postgres=URL     JDBC URL of the PostgreSQL bank (default %s)
          --mariadb=URL      JDBC URL of the MariaDB bank (default %s)""".formatted(
        Databases.DEFAULT_POSTGRES_URL, Databases.DEFAULT_MARIADB_URL));
    System.exit(64);
  }
}
