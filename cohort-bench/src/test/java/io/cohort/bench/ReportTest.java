package io.cohort.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReportTest {
  @Test
  void steadinessFlagsAWindowWhoseLastThirdFell() {
    long[] steady = {100, 110, 90, 100, 105, 95};
    assertThat(BenchMain.steadiness(steady)).startsWith("105 / 95 / 100 tx/s").doesNotContain("NOT STEADY");
    long[] cliff = {24000, 24000, 8000, 8000, 5000, 5000};
    assertThat(BenchMain.steadiness(cliff)).contains("24,000 / 8,000 / 5,000").contains("NOT STEADY")
        .contains("21% of the best");
    assertThat(BenchMain.thirds(cliff)).isEqualTo("24000/8000/5000");
  }

  @Test
  void durationsReadTheCoordinatorsForms() {
    assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Durations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(Durations.parse("PT1.5S")).isEqualTo(Duration.ofMillis(1500));
    assertThatThrownBy(() -> Durations.parse("ten")).hasMessageContaining("not a duration");
  }
}
