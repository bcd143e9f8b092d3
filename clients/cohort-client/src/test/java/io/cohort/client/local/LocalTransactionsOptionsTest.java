package io.cohort.client.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/** Option validation and error classification, no database. */
class LocalTransactionsOptionsTest {
  private final DataSource none = (DataSource) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
      new Class<?>[] {DataSource.class}, (p, m, a) -> {
        throw new AssertionError("no connection expected");
      });

  @Test
  void invalidOptionsAreRejectedByName() {
    assertThatThrownBy(() -> LocalTransactions.builder(none).maxAttempts(0).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxAttempts");
    assertThatThrownBy(() -> LocalTransactions.builder(none).jitter(1.5).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("jitter");
    assertThatThrownBy(() -> LocalTransactions.builder(none).initialBackoff(Duration.ofSeconds(2))
        .maxBackoff(Duration.ofSeconds(1)).build()).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxBackoff");
    assertThatThrownBy(() -> LocalTransactions.builder(none).isolation(42).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("isolation");
  }

  @Test
  void retryableErrorsAreFoundInCausesAndChainedExceptions() {
    assertThat(LocalTransactions.isRetryable(new SQLException("x", "40001"))).isTrue();
    assertThat(LocalTransactions.isRetryable(new SQLException("x", "40P01"))).isTrue();
    assertThat(LocalTransactions.isRetryable(new SQLException("x", "HY000", 1205))).isTrue();
    assertThat(LocalTransactions.isRetryable(new RuntimeException(new SQLException("x", "40001", 1213)))).isTrue();
    SQLException batch = new SQLException("batch failed", "HY000");
    batch.setNextException(new SQLException("x", "40001"));
    assertThat(LocalTransactions.isRetryable(batch)).isTrue();
    assertThat(LocalTransactions.isRetryable(new SQLException("dup", "23505"))).isFalse();
    assertThat(LocalTransactions.isRetryable(new IllegalStateException())).isFalse();
    // regression: a driver error without SQLState (HikariCP's "connection is closed") threw NullPointerException
    assertThat(LocalTransactions.isRetryable(new SQLException("connection is closed"))).isFalse();
  }
}
