package io.cohort.server;

import io.cohort.server.config.ConfigException;
import io.cohort.server.config.ConfigKey;
import io.cohort.server.config.ServerConfig;
import io.cohort.store.jdbc.JdbcTransactionStore;
import io.cohort.store.jdbc.SchemaMigration;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code cohort-server [--config FILE] [--KEY=VALUE ...]}: starts the coordinator. The flags are generated from
 * {@link ConfigKey}, so {@code --help} always lists every key with its environment variable and default.
 */
public final class Main {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) throws Exception {
    boolean migrate = args.length > 0 && args[0].equals("migrate");
    if (migrate) {
      args = java.util.Arrays.copyOfRange(args, 1, args.length);
    }
    CommandSpec spec = CommandSpec.create().name(migrate ? "cohort-server migrate" : "cohort-server")
        .mixinStandardHelpOptions(true)
        .version("Cohort " + CohortServer.VERSION);
    spec.usageMessage().description(migrate
        ? "Applies the jdbc store's schema migrations to the database the configuration names, then exits."
        : "Cohort distributed transaction coordinator (DTM wire-compatible). 'cohort-server migrate [...]' applies the"
            + " jdbc store's schema migrations and exits.",
        "Precedence: flags > environment (COHORT_*) > YAML file > defaults.");
    spec.addOption(OptionSpec.builder("--config", "-c").paramLabel("FILE").type(Path.class)
        .description("YAML configuration file").build());
    for (ConfigKey k : ConfigKey.values()) {
      String[] names = switch (k) {
        case HTTP_PORT -> new String[] {k.flag(), "--port"};
        case STORE_DIR -> new String[] {k.flag(), "--data-dir"};
        default -> new String[] {k.flag()};
      };
      spec.addOption(OptionSpec.builder(names).paramLabel("VALUE").type(String.class)
          .description(k.doc() + " (env " + k.envName() + ", default '" + k.defaultValue() + "')").build());
    }
    CommandLine cl = new CommandLine(spec);
    CommandLine.ParseResult parsed;
    try {
      parsed = cl.parseArgs(args);
    } catch (CommandLine.ParameterException e) {
      System.err.println(e.getMessage());
      cl.usage(System.err);
      System.exit(2);
      return;
    }
    if (CommandLine.printHelpIfRequested(parsed)) {
      return;
    }
    Map<String, String> flags = new LinkedHashMap<>();
    for (ConfigKey k : ConfigKey.values()) {
      if (parsed.hasMatchedOption(k.flag())) {
        flags.put(k.key(), parsed.matchedOptionValue(k.flag(), ""));
      }
    }
    Path file = parsed.matchedOptionValue("--config", null);
    ServerConfig config;
    try {
      config = ServerConfig.load(file, System.getenv(), flags);
    } catch (ConfigException e) {
      System.err.println("cohort-server: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (migrate) {
      System.exit(migrate(config));
      return;
    }
    LOG.info(config.describe());
    CohortServer server;
    try {
      server = CohortServer.start(config);
    } catch (Exception e) {
      LOG.error("cannot start: {}", e.toString(), e);
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      stopped.countDown();
    }, "shutdown"));
    stopped.await();
  }

  /** The migrate command: 0 when the schema is current afterwards, 1 (with the reason on stderr) otherwise. */
  static int migrate(ServerConfig config) {
    if (!config.storeType().equals("jdbc")) {
      System.err.println("cohort-server migrate: only the jdbc store has a schema to migrate (store.type is "
          + config.storeType() + ")");
      return 1;
    }
    try {
      SchemaMigration m = JdbcTransactionStore.migrate(CohortServer.jdbcOptions(config));
      System.out.println("schema of " + m.database() + ": version " + m.versionBefore() + " -> " + m.versionAfter()
          + " (" + m.applied() + " migration(s) applied)");
      return 0;
    } catch (RuntimeException e) {
      System.err.println("cohort-server migrate: " + e.getMessage());
      return 1;
    }
  }
}
