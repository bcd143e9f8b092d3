package io.cohort.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * What the extension does around a test, seen from outside: the small fixture classes below are run with the JUnit
 * launcher, and this test checks what happened to them (servers stopped, misuse reported in plain words).
 */
class CohortExtensionLifecycleTest {

  @Test
  void eachTestsServerIsStoppedWhenTheTestEnds() {
    TwoTests.seen.clear();
    TestExecutionSummary summary = run(TwoTests.class);
    assertThat(summary.getTestsSucceededCount()).isEqualTo(2);
    assertThat(TwoTests.seen).hasSize(2).doesNotHaveDuplicates().allMatch(CohortTestServer::isClosed);
  }

  @Test
  void aPerTestServerCannotGoToBeforeAll() {
    TestExecutionSummary summary = run(PerMethodInBeforeAll.class);
    assertThat(failureMessages(summary)).singleElement().asString()
        .contains("cannot supply a per-test coordinator to parameter 0 of PerMethodInBeforeAll.setUp")
        .contains("CohortExtension.builder().perClass().build()");
  }

  @Test
  void aRealClockServerCannotSupplyAManualClock() {
    TestExecutionSummary summary = run(RealClockWithManualClock.class);
    assertThat(failureMessages(summary)).singleElement().asString()
        .contains("cannot supply a ManualClock to parameter 0 of RealClockWithManualClock.test")
        .contains("runs on the real clock");
    assertThat(RealClockWithManualClock.server).isNotNull();
    assertThat(RealClockWithManualClock.server.isClosed()).isTrue();
  }

  private static TestExecutionSummary run(Class<?> fixture) {
    LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request().selectors(selectClass(fixture)).build();
    SummaryGeneratingListener listener = new SummaryGeneratingListener();
    LauncherFactory.create().execute(request, listener);
    return listener.getSummary();
  }

  private static List<String> failureMessages(TestExecutionSummary summary) {
    return summary.getFailures().stream().map(f -> String.valueOf(f.getException().getMessage())).toList();
  }

  @ExtendWith(CohortExtension.class)
  static class TwoTests {
    static final List<CohortTestServer> seen = new CopyOnWriteArrayList<>();

    @Test
    void one(CohortTestServer cohort) {
      seen.add(cohort);
    }

    @Test
    void two(CohortTestServer cohort) {
      seen.add(cohort);
    }
  }

  @ExtendWith(CohortExtension.class)
  static class PerMethodInBeforeAll {
    @BeforeAll
    static void setUp(CohortTestServer cohort) {}

    @Test
    void test() {}
  }

  static class RealClockWithManualClock {
    @RegisterExtension
    static CohortExtension cohortExtension = CohortExtension.builder().realClock().build();

    static CohortTestServer server;

    @Test
    void test(ManualClock clock) {}

    @org.junit.jupiter.api.AfterEach
    void after(CohortTestServer cohort) {
      server = cohort;
    }
  }
}
