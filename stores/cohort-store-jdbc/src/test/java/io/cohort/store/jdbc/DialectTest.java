package io.cohort.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DialectTest {
  @Test
  void serversWithoutSkipLockedAreRefusedByName() {
    assertThat(Dialect.POSTGRESQL.checkServer("PostgreSQL", 9, 6, "9.6.24")).isEqualTo("PostgreSQL 9.6.24 is too old"
        + " for the JDBC store: it needs PostgreSQL 10.0 or newer (FOR UPDATE SKIP LOCKED, identity columns)");
    assertThat(Dialect.POSTGRESQL.checkServer("PostgreSQL", 10, 0, "10.0")).isNull();
    assertThat(Dialect.MYSQL.checkServer("MariaDB", 10, 5, "10.5.21-MariaDB")).isEqualTo("MariaDB 10.5.21-MariaDB is"
        + " too old for the JDBC store: it needs MariaDB 10.6 or newer (FOR UPDATE SKIP LOCKED)");
    assertThat(Dialect.MYSQL.checkServer("MariaDB", 10, 6, "10.6.0")).isNull();
    assertThat(Dialect.MYSQL.checkServer("MariaDB", 11, 0, "11.0.2")).isNull();
    assertThat(Dialect.MYSQL.checkServer("MySQL", 5, 7, "5.7.44")).isEqualTo("MySQL 5.7.44 is too old for the JDBC"
        + " store: it needs MySQL 8.0 or newer (FOR UPDATE SKIP LOCKED)");
    assertThat(Dialect.MYSQL.checkServer("MySQL", 8, 0, "8.0.36")).isNull();
  }

  @Test
  void theUrlChoosesTheDialect() {
    assertThat(Dialect.ofUrl("jdbc:postgresql://h/db")).isEqualTo(Dialect.POSTGRESQL);
    assertThat(Dialect.ofUrl(" jdbc:mariadb://h/db")).isEqualTo(Dialect.MYSQL);
    assertThat(Dialect.ofUrl("jdbc:mysql://h/db")).isEqualTo(Dialect.MYSQL);
    assertThat(Dialect.ofUrl("jdbc:h2:mem:x")).isNull();
  }

  @Test
  void kvKeysAreStoredInStringCompareToOrder() {
    String[] keys = {"", "a", "a\u0000", "ab", "\u00e9", "\uD7FF", "\uD83D\uDE00", "\uDC00", "\uE000", "\uFFFF"};
    for (String a : keys) {
      assertThat(JdbcTransactionStore.fromUtf16(JdbcTransactionStore.utf16(a))).isEqualTo(a);
      for (String b : keys) {
        assertThat(Integer.signum(java.util.Arrays.compareUnsigned(JdbcTransactionStore.utf16(a),
            JdbcTransactionStore.utf16(b)))).as("%s vs %s", a, b).isEqualTo(Integer.signum(a.compareTo(b)));
      }
    }
  }
}
