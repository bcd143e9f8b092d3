package io.cohort.client.xa;

import java.nio.charset.StandardCharsets;
import javax.transaction.xa.Xid;

/**
 * The identity of one XA branch: the global transaction's {@code gid} and the branch's {@code branch_id}, as the
 * coordinator sends them. {@link XaParticipant#recover()} returns these for the branches still in doubt.
 *
 * <p>The pair is the whole key of the database's XA transaction (see {@link XaParticipant} for the Xid layout), so it
 * is validated here, once: each part must be non-empty and at most {@value #MAX_BYTES} bytes in UTF-8, the XA
 * limits on a global transaction id and a branch qualifier ({@link Xid#MAXGTRIDSIZE}, {@link Xid#MAXBQUALSIZE}).
 *
 * @param gid the global transaction id
 * @param branchId the branch id within it
 */
public record XaBranchId(String gid, String branchId) {
  /** The most bytes (UTF-8) each of {@code gid} and {@code branchId} may have. */
  public static final int MAX_BYTES = 64;

  /**
   * Validates both parts.
   *
   * @throws IllegalArgumentException naming the offending part ({@code gid} or {@code branch_id})
   */
  public XaBranchId {
    check("gid", gid);
    check("branch_id", branchId);
  }

  private static void check(String name, String value) {
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException(name + " must not be empty: it is part of the XA transaction id");
    }
    int bytes = value.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_BYTES) {
      throw new IllegalArgumentException(name + " is " + bytes + " bytes in UTF-8, but an XA transaction id allows at "
          + "most " + MAX_BYTES + " per part: '" + value + "'");
    }
  }

  /** The Xid of this branch under {@link XaParticipant#FORMAT_ID}. */
  Xid xid() {
    return new BranchXid(gid.getBytes(StandardCharsets.UTF_8), branchId.getBytes(StandardCharsets.UTF_8));
  }

  /** The branch an Xid of this SDK stands for, or {@code null} for an Xid of another format or not decodable. */
  static XaBranchId fromXid(Xid xid) {
    if (xid == null || xid.getFormatId() != XaParticipant.FORMAT_ID) {
      return null;
    }
    try {
      return new XaBranchId(new String(xid.getGlobalTransactionId(), StandardCharsets.UTF_8),
          new String(xid.getBranchQualifier(), StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  @Override
  public String toString() {
    return "gid=" + gid + ", branch_id=" + branchId;
  }
}
