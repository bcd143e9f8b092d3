package io.cohort.store.jdbc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * The schema's version and its migrations.
 *
 * <p>Flyway applies the migrations ({@code io/cohort/store/jdbc/migration/<dialect>/V<n>__*.sql}) and records them in
 * its history table, {@code cohort_schema_history}. The version of a database is the newest successful migration
 * there. Reading it is one query, so opening a store whose schema is current (every restart) never starts Flyway;
 * Flyway runs only when something is to be applied. Flyway takes a database lock while it migrates, so coordinators
 * starting together against an empty database apply each migration once.
 *
 * <p>Flyway on its own ignores migrations in the history that it does not know ("future" ones) and carries on; a
 * Cohort older than its database must not, because it would write rows the newer schema does not expect. So the
 * version is checked here before Flyway runs, and a newer one is refused.
 */
final class Schema {
  /**
   * The newest schema version this build knows: the highest {@code V<n>} in both migration folders (a test keeps
   * them in step).
   */
  static final int CURRENT_VERSION = 1;
  static final String HISTORY_TABLE = "cohort_schema_history";

  /** PostgreSQL: undefined_table. */
  private static final String PG_UNDEFINED_TABLE = "42P01";
  /** MySQL/MariaDB: ER_NO_SUCH_TABLE (SQLSTATE 42S02). */
  private static final String MYSQL_NO_SUCH_TABLE = "42S02";

  private Schema() {}

  /** The schema version of the database: the newest successful migration, 0 when there is no history table. */
  static int installedVersion(DataSource ds, String database) {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      int newest = 0;
      try (ResultSet rs = s.executeQuery("select version from " + HISTORY_TABLE + " where success = true")) {
        while (rs.next()) {
          String v = rs.getString(1);
          if (v != null) {
            newest = Math.max(newest, parse(v, database));
          }
        }
      } catch (SQLException e) {
        String state = e.getSQLState();
        if (PG_UNDEFINED_TABLE.equals(state) || MYSQL_NO_SUCH_TABLE.equals(state)) {
          return 0;
        }
        throw e;
      }
      return newest;
    } catch (SQLException e) {
      throw JdbcTransactionStore.failure(database, "reading the schema version", e);
    }
  }

  private static int parse(String version, String database) {
    try {
      return Integer.parseInt(version.strip());
    } catch (NumberFormatException e) {
      throw new SchemaVersionException("the database at " + database + " has schema version '" + version + "' in "
          + HISTORY_TABLE + ", which no Cohort writes; this Cohort knows versions 1 to " + CURRENT_VERSION);
    }
  }

  /** Refuses a schema newer than this build. */
  static void refuseNewer(int installed, String database) {
    if (installed > CURRENT_VERSION) {
      throw new SchemaVersionException("the database at " + database + " has schema version " + installed
          + ", newer than this Cohort (knows up to " + CURRENT_VERSION + "): upgrade Cohort");
    }
  }

  /** Brings the schema to {@link #CURRENT_VERSION}; {@code installed} is what {@link #installedVersion} just read. */
  static SchemaMigration migrate(DataSource ds, Dialect dialect, String database, int installed) {
    refuseNewer(installed, database);
    MigrateResult result;
    try {
      result = Flyway.configure(Schema.class.getClassLoader())
          .dataSource(ds)
          .locations(dialect.migrationLocation())
          .table(HISTORY_TABLE)
          .failOnMissingLocations(true)
          .load()
          .migrate();
    } catch (FlywayException e) {
      throw new SchemaVersionException("migrating the schema of the database at " + database + " failed: "
          + e.getMessage(), e);
    }
    int after = installedVersion(ds, database);
    refuseNewer(after, database);
    if (after != CURRENT_VERSION) {
      throw new SchemaVersionException("migrating the schema of the database at " + database + " ended at version "
          + after + ", expected " + CURRENT_VERSION);
    }
    return new SchemaMigration(database, installed, after, result.migrationsExecuted);
  }

  /** Why a database whose schema is behind cannot be used without migrating, and what to do. */
  static SchemaVersionException behind(int installed, String database) {
    String found = installed == 0 ? "has no Cohort schema (no " + HISTORY_TABLE + " table)"
        : "has schema version " + installed + ", older than this Cohort needs (" + CURRENT_VERSION + ")";
    return new SchemaVersionException("the database at " + database + " " + found
        + ", and migrations on start are off: run the migrate command, or turn migrate-on-start on");
  }
}
