package io.cohort.client.testing;

import io.cohort.client.CohortClient;
import io.cohort.testkit.CohortTestServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The setting of most end-to-end SDK tests: a real coordinator in process (manual clock), one loopback participant
 * service and a client, fresh for every test.
 */
public abstract class CoordinatorFixture {
  protected CohortTestServer cohort;
  protected LoopbackParticipant bank;
  protected CohortClient client;

  /** The coordinator's settings; override to change them. */
  protected CohortTestServer.Builder coordinator() {
    return CohortTestServer.builder();
  }

  @BeforeEach
  void startFixture() {
    cohort = coordinator().start();
    bank = LoopbackParticipant.start();
    client = CohortClient.create(cohort.baseUrl());
  }

  @AfterEach
  void stopFixture() {
    client.close();
    bank.close();
    cohort.close();
  }
}
