package io.cohort.server.support;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A fresh in-memory coordinator ({@code dtm}) and a participant ({@code rm}) for each test. */
public abstract class CoordinatorTest {
  protected TestCoordinator dtm;
  protected Participant rm;

  @BeforeEach
  void startCoordinatorAndParticipant() throws Exception {
    dtm = TestCoordinator.inMemory();
    rm = new Participant();
  }

  @AfterEach
  void stopCoordinatorAndParticipant() {
    dtm.close();
    rm.close();
  }
}
