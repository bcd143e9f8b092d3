package io.cohort.protocol;

/** The transaction modes, with the wire code DTM clients send in {@code trans_type}. */
public enum TransType {
  SAGA("saga"),
  TCC("tcc"),
  XA("xa"),
  MSG("msg"),
  WORKFLOW("workflow");

  private final String wire;

  TransType(String wire) {
    this.wire = wire;
  }

  /** The stable wire and storage code. */
  public String wire() {
    return wire;
  }

  /** Parses a wire code; {@code null} when unknown. */
  public static TransType fromWire(String code) {
    if (code == null) {
      return null;
    }
    for (TransType t : values()) {
      if (t.wire.equals(code)) {
        return t;
      }
    }
    return null;
  }
}
