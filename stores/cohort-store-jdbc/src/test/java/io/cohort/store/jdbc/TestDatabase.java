package io.cohort.store.jdbc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The real databases of this machine, each test area in its own PostgreSQL schema or MariaDB database (named
 * {@code cohort_store_test...}), dropped and created again by the tests that use it.
 */
enum TestDatabase {
  /** PostgreSQL on 127.0.0.1:5432, user postgres (trust), database test; one schema per test area. */
  POSTGRES("jdbc:postgresql://127.0.0.1:5432/test", "postgres") {
    @Override
    String url(String area) {
      return "jdbc:postgresql://127.0.0.1:5432/test?currentSchema=" + area;
    }

    @Override
    void recreate(String area) {
      admin("drop schema if exists " + area + " cascade", "create schema " + area);
    }

    @Override
    void empty(String area) {
      admin("truncate " + area + ".cohort_transaction, " + area + ".cohort_kv");
    }
  },

  /** MariaDB on 127.0.0.1:3306, user root without password; one database per test area. TLS is off here. */
  MARIADB("jdbc:mariadb://127.0.0.1:3306/test?sslMode=disable", "root") {
    @Override
    String url(String area) {
      return "jdbc:mariadb://127.0.0.1:3306/" + area + "?sslMode=disable";
    }

    @Override
    void recreate(String area) {
      admin("drop database if exists " + area, "create database " + area);
    }

    @Override
    void empty(String area) {
      // DELETE, not TRUNCATE: InnoDB's TRUNCATE rebuilds the table file, ten times slower on these tiny tables.
      admin("delete from " + area + ".cohort_transaction", "delete from " + area + ".cohort_kv");
    }
  };

  private final String adminUrl;
  final String user;

  TestDatabase(String adminUrl, String user) {
    this.adminUrl = adminUrl;
    this.user = user;
  }

  /** The URL of the store in {@code area} (a schema or database name). */
  abstract String url(String area);

  /** Drops {@code area} with everything in it and creates it empty. */
  abstract void recreate(String area);

  /** Deletes every transaction and key-value entry in {@code area}, whose schema must be migrated. */
  abstract void empty(String area);

  JdbcStoreOptions options(String area) {
    return JdbcStoreOptions.of(url(area)).withUser(user);
  }

  /** Runs statements on the admin connection, one by one, each committed. */
  void admin(String... sql) {
    try (Connection c = DriverManager.getConnection(adminUrl, user, null); Statement s = c.createStatement()) {
      for (String statement : sql) {
        s.execute(statement);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(this + ": " + String.join("; ", sql) + ": " + e.getMessage(), e);
    }
  }
}
