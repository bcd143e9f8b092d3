package io.cohort.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class JdbcStoreOptionsTest {
  private static final String PG = "jdbc:postgresql://db:5432/cohort";

  @Test
  void defaults() {
    JdbcStoreOptions o = JdbcStoreOptions.of(PG);
    assertThat(o.user()).isNull();
    assertThat(o.password()).isNull();
    assertThat(o.poolSize()).isEqualTo(16);
    assertThat(o.connectionTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(o.migrateOnStart()).isTrue();
    assertThat(o.dialect()).isEqualTo(Dialect.POSTGRESQL);
    assertThat(JdbcStoreOptions.of("jdbc:mariadb://db/cohort").dialect()).isEqualTo(Dialect.MYSQL);
    assertThat(JdbcStoreOptions.of("JDBC:MySQL://db/cohort").dialect()).isEqualTo(Dialect.MYSQL);
  }

  @Test
  void aMissingOrForeignUrlIsRefusedNamingWhatWorks() {
    assertThatThrownBy(() -> JdbcStoreOptions.of(null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the JDBC store needs a url, e.g. jdbc:postgresql://localhost:5432/cohort");
    assertThatThrownBy(() -> JdbcStoreOptions.of(" ")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("the JDBC store needs a url");
    assertThatThrownBy(() -> JdbcStoreOptions.of("jdbc:h2:mem:x;PASSWORD=topsecret"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the JDBC store url must start with jdbc:postgresql:, jdbc:mariadb: or jdbc:mysql:, got"
            + " 'jdbc:h2:mem:x;PASSWORD=***'");
    assertThatThrownBy(() -> JdbcStoreOptions.of("postgresql://db/cohort"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must start with jdbc:postgresql:");
  }

  @Test
  void poolSizeAndTimeoutAreChecked() {
    JdbcStoreOptions o = JdbcStoreOptions.of(PG);
    assertThatThrownBy(() -> o.withPoolSize(1)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the JDBC store poolSize must be between 2 and 1000, got 1");
    assertThatThrownBy(() -> o.withPoolSize(1001)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the JDBC store poolSize must be between 2 and 1000, got 1001");
    assertThatThrownBy(() -> o.withConnectionTimeout(Duration.ofMillis(249)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the JDBC store connectionTimeout must be at least 250ms, got 249ms");
    assertThatThrownBy(() -> o.withConnectionTimeout(Duration.ofHours(2))).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the JDBC store connectionTimeout must be at most 1h, got PT2H");
    assertThatThrownBy(() -> o.withConnectionTimeout(null)).isInstanceOf(NullPointerException.class)
        .hasMessage("connectionTimeout");
    assertThat(o.withPoolSize(2).withConnectionTimeout(Duration.ofMillis(250)).poolSize()).isEqualTo(2);
  }

  @Test
  void passwordsNeverShow() {
    JdbcStoreOptions o = JdbcStoreOptions.of("jdbc:postgresql://db/cohort?user=u&password=p1&sslmode=require")
        .withUser("cohort").withPassword("p2");
    assertThat(o.toString()).doesNotContain("p1").doesNotContain("p2")
        .isEqualTo("JdbcStoreOptions[url=jdbc:postgresql://db/cohort?user=u&password=***&sslmode=require,"
            + " user=cohort, password=***, poolSize=16, connectionTimeout=10000ms, migrateOnStart=true]");
    assertThat(JdbcStoreOptions.of("jdbc:mariadb://u:secret@db:3306/cohort?pwd=x;sslMode=disable").redactedUrl())
        .isEqualTo("jdbc:mariadb://u:***@db:3306/cohort?pwd=***;sslMode=disable");
    assertThat(JdbcStoreOptions.of(PG).toString()).contains("password=null");
  }
}
