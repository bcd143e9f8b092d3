package io.cohort.client.xa;

import java.util.Arrays;
import javax.transaction.xa.Xid;

/**
 * The Xid of a branch: {@link XaParticipant#FORMAT_ID}, gtrid = the gid's UTF-8 bytes, bqual = the branch id's.
 * Value semantics, because drivers compare Xids with {@code equals}.
 */
final class BranchXid implements Xid {
  private final byte[] gtrid;
  private final byte[] bqual;

  BranchXid(byte[] gtrid, byte[] bqual) {
    this.gtrid = gtrid.clone();
    this.bqual = bqual.clone();
  }

  @Override
  public int getFormatId() {
    return XaParticipant.FORMAT_ID;
  }

  @Override
  public byte[] getGlobalTransactionId() {
    return gtrid.clone();
  }

  @Override
  public byte[] getBranchQualifier() {
    return bqual.clone();
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof Xid)) {
      return false;
    }
    Xid other = (Xid) o;
    return other.getFormatId() == XaParticipant.FORMAT_ID && Arrays.equals(gtrid, other.getGlobalTransactionId())
        && Arrays.equals(bqual, other.getBranchQualifier());
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(gtrid) + Arrays.hashCode(bqual);
  }

  @Override
  public String toString() {
    XaBranchId id = XaBranchId.fromXid(this);
    return "Xid[" + XaParticipant.FORMAT_ID + ", " + (id == null ? "?" : id) + "]";
  }
}
