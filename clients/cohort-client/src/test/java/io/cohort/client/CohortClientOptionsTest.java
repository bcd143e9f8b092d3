package io.cohort.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CohortClientOptionsTest {
  @Test
  void theCoordinatorUrlMayBeGivenInEveryFormDtmUsersWrite() {
    assertThat(CohortClientOptions.of("http://h:36789/api/dtmsvr").coordinator()).hasToString(
        "http://h:36789/api/dtmsvr");
    assertThat(CohortClientOptions.of("http://h:36789/api/dtmsvr/").coordinator()).hasToString(
        "http://h:36789/api/dtmsvr");
    assertThat(CohortClientOptions.of("http://h:36789").coordinator()).hasToString("http://h:36789/api/dtmsvr");
    assertThat(CohortClientOptions.of("h:36789").coordinator()).hasToString("http://h:36789/api/dtmsvr");
    assertThat(CohortClientOptions.of("https://tx.example.com/base").coordinator()).hasToString(
        "https://tx.example.com/base");
  }

  @Test
  void badUrlsAndDurationsAreRefusedWithTheirName() {
    assertThatThrownBy(() -> CohortClientOptions.of("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CohortClientOptions.of("ftp://h:1")).hasMessageContaining("http or https");
    assertThatThrownBy(() -> CohortClientOptions.of("http://h:1/api?x=1")).hasMessageContaining("query");
    assertThatThrownBy(() -> CohortClientOptions.of("http:// bad")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CohortClientOptions.builder("h:1").callTimeout(Duration.ZERO))
        .hasMessageContaining("callTimeout");
    assertThatThrownBy(() -> CohortClientOptions.builder("h:1").branchCallTimeout(Duration.ofSeconds(-1)))
        .hasMessageContaining("branchCallTimeout");
  }

  @Test
  void optionsAreImmutableAndCopyable() {
    CohortClientOptions a = CohortClientOptions.builder("h:1").callTimeout(Duration.ofSeconds(3)).build();
    CohortClientOptions b = a.toBuilder().callTimeout(Duration.ofSeconds(4)).build();
    assertThat(a.callTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(b.callTimeout()).isEqualTo(Duration.ofSeconds(4));
    assertThat(b.coordinator()).isEqualTo(a.coordinator());
    assertThatThrownBy(() -> a.interceptors().add(chain -> null)).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void anUnreachableCoordinatorIsARetryableErrorNamingIt() {
    try (CohortClient client = CohortClient.create(CohortClientOptions.builder("127.0.0.1:1")
        .connectTimeout(Duration.ofSeconds(2)).build())) {
      assertThatThrownBy(client::newGid).isInstanceOf(CoordinatorException.class)
          .hasMessageContaining("cannot reach the coordinator at http://127.0.0.1:1/api/dtmsvr")
          .satisfies(e -> assertThat(((CoordinatorException) e).retryable()).isTrue());
    }
  }
}
