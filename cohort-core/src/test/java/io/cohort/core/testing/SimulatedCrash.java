package io.cohort.core.testing;

/**
 * Thrown by test fakes to model the coordinator process dying at that point: everything in memory is lost, only what
 * the store holds survives. An {@link Error}, so no {@code catch (RuntimeException)} in the engine swallows it.
 */
public final class SimulatedCrash extends Error {
  private static final long serialVersionUID = 1L;

  public SimulatedCrash(String where) {
    super("simulated crash " + where, null, false, false);
  }
}
