package io.cohort.examples.transfer;

import java.util.Locale;

/** The four ways the example moves money between the two banks. */
public enum TransferMode {
  /** Withdraw, then deposit; if the withdrawal is refused, the coordinator compensates. */
  SAGA,
  /** Freeze in the source and announce in the target (try), then spend and credit (confirm), or release (cancel). */
  TCC,
  /** Withdraw in the source's local transaction, then the coordinator delivers the deposit until it succeeds. */
  MSG,
  /** Both banks' steps in XA branches, prepared by the participants and committed by the coordinator. */
  XA;

  /** The mode named {@code name}, in any case ({@code saga}, {@code tcc}, {@code msg}, {@code xa}). */
  public static TransferMode parse(String name) {
    try {
      return valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown mode '" + name + "': expected saga, tcc, msg or xa", e);
    }
  }

  /** The mode's name as the command line and the wire spell it. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
