package io.cohort.client.internal;

/**
 * Internal, not API. Hands out the branch ids of TCC and XA branches the way DTM clients do, so barrier rows match:
 * two digits per level under the parent's id ({@code 01}, {@code 02}, ... at the top; {@code 0101} under {@code 01}),
 * at most 99 per level and 20 characters in all. Thread-safe.
 */
public final class BranchIds {
  static final int MAX_PER_LEVEL = 99;
  static final int MAX_LENGTH = 20;
  private final String parent;
  private int issued;

  public BranchIds(String parent) {
    this.parent = parent == null ? "" : parent;
    if (this.parent.length() + 2 > MAX_LENGTH) {
      throw new IllegalArgumentException("branch id '" + this.parent + "' is nested too deep: a child id would be "
          + "longer than " + MAX_LENGTH + " characters");
    }
  }

  public synchronized String next() {
    if (issued >= MAX_PER_LEVEL) {
      throw new IllegalStateException("more than " + MAX_PER_LEVEL + " branches under '" + parent
          + "': branch ids have two digits per level");
    }
    issued++;
    return parent + (issued < 10 ? "0" : "") + issued;
  }
}
