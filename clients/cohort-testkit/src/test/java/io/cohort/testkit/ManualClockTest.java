package io.cohort.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class ManualClockTest {

  @Test
  void startsAtAFixedInstantAndMovesOnlyWhenTold() {
    ManualClock clock = new ManualClock();
    assertThat(clock.instant()).isEqualTo(Instant.parse("2026-01-01T00:00:00Z")).isEqualTo(ManualClock.DEFAULT_START);
    assertThat(clock.instant()).isEqualTo(clock.instant());
    assertThat(clock.advance(Duration.ofSeconds(90))).isEqualTo(Instant.parse("2026-01-01T00:01:30Z"));
    assertThat(clock.advance(Duration.ZERO)).isEqualTo(Instant.parse("2026-01-01T00:01:30Z"));
    assertThat(clock.set(Instant.parse("2026-06-01T12:00:00Z"))).isEqualTo(clock.instant());
    assertThat(clock.set(clock.instant())).isEqualTo(Instant.parse("2026-06-01T12:00:00Z"));
    assertThat(clock.millis()).isEqualTo(Instant.parse("2026-06-01T12:00:00Z").toEpochMilli());
  }

  @Test
  void startsWhereItIsTold() {
    assertThat(new ManualClock(Instant.parse("2030-02-03T04:05:06.007Z")).instant())
        .isEqualTo(Instant.parse("2030-02-03T04:05:06.007Z"));
  }

  @Test
  void refusesANegativeAdvanceAndChangesNothing() {
    ManualClock clock = new ManualClock();
    assertThatThrownBy(() -> clock.advance(Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a manual clock only moves forward; cannot advance by PT-0.001S");
    assertThat(clock.instant()).isEqualTo(ManualClock.DEFAULT_START);
  }

  @Test
  void refusesToBeSetBackwardsAndChangesNothing() {
    ManualClock clock = new ManualClock();
    clock.advance(Duration.ofMinutes(1));
    assertThatThrownBy(() -> clock.set(ManualClock.DEFAULT_START))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a manual clock only moves forward; it is at 2026-01-01T00:01:00Z, cannot set it to "
            + "2026-01-01T00:00:00Z");
    assertThat(clock.instant()).isEqualTo(Instant.parse("2026-01-01T00:01:00Z"));
  }

  @Test
  void keepsToWholeMillisecondsAsStoresDo() {
    ManualClock clock = new ManualClock();
    assertThatThrownBy(() -> clock.advance(Duration.ofNanos(1_500_000)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whole milliseconds");
    assertThatThrownBy(() -> clock.set(Instant.parse("2027-01-01T00:00:00.0000001Z")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whole millisecond");
    assertThatThrownBy(() -> new ManualClock(Instant.parse("2027-01-01T00:00:00.0000001Z")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("whole millisecond");
    assertThat(clock.instant()).isEqualTo(ManualClock.DEFAULT_START);
  }

  @Test
  void concurrentAdvancesAreNeverLost() throws Exception {
    ManualClock clock = new ManualClock();
    int threads = 8;
    int steps = 10_000;
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> started = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      started.add(Thread.ofPlatform().start(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          return;
        }
        for (int s = 0; s < steps; s++) {
          clock.advance(Duration.ofMillis(1));
        }
      }));
    }
    go.countDown();
    for (Thread t : started) {
      t.join();
    }
    assertThat(clock.instant()).isEqualTo(ManualClock.DEFAULT_START.plusMillis((long) threads * steps));
  }
}
