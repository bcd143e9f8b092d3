package io.cohort.client.xa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.transaction.xa.Xid;
import org.junit.jupiter.api.Test;
import org.postgresql.xa.PGXADataSource;

/** The Xid layout and the argument checks that need no database. */
class XaBranchIdTest {
  @Test
  void xidIsTheFormatIdWithTheGidAndBranchIdBytes() {
    Xid xid = new XaBranchId("gid-é", "0101").xid();

    assertThat(xid.getFormatId()).isEqualTo(XaParticipant.FORMAT_ID).isEqualTo(0x436F686F);
    assertThat(xid.getGlobalTransactionId()).isEqualTo("gid-é".getBytes(StandardCharsets.UTF_8));
    assertThat(xid.getBranchQualifier()).isEqualTo("0101".getBytes(StandardCharsets.UTF_8));
    assertThat(xid).isEqualTo(new XaBranchId("gid-é", "0101").xid()).isNotEqualTo(new XaBranchId("gid-é", "01").xid());
    assertThat(XaBranchId.fromXid(xid)).isEqualTo(new XaBranchId("gid-é", "0101"));
  }

  @Test
  void xidsOfOtherFormatsAreNotOurs() {
    Xid foreign = new Xid() {
      @Override
      public int getFormatId() {
        return 1;
      }

      @Override
      public byte[] getGlobalTransactionId() {
        return "g".getBytes(StandardCharsets.UTF_8);
      }

      @Override
      public byte[] getBranchQualifier() {
        return "b".getBytes(StandardCharsets.UTF_8);
      }
    };

    assertThat(XaBranchId.fromXid(foreign)).isNull();
  }

  @Test
  void idsAreNonEmptyAndAtMost64BytesEach() {
    assertThat(new XaBranchId("g".repeat(64), "é".repeat(32))).isNotNull();
    assertThatThrownBy(() -> new XaBranchId("", "01")).hasMessageStartingWith("gid must not be empty");
    assertThatThrownBy(() -> new XaBranchId("g".repeat(65), "01")).hasMessageStartingWith("gid is 65 bytes");
    assertThatThrownBy(() -> new XaBranchId("g", null)).hasMessageStartingWith("branch_id must not be empty");
    assertThatThrownBy(() -> new XaBranchId("g", "é".repeat(33))).hasMessageStartingWith("branch_id is 66 bytes");
  }

  @Test
  void builderOptionsAreValidatedBeforeAnyConnection() {
    XaParticipant.Builder builder = XaParticipant.builder(new PGXADataSource());

    assertThatThrownBy(() -> builder.rollbackAttempts(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rollbackAttempts");
    assertThatThrownBy(() -> builder.rollbackLockWait(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("rollbackLockWait");
    assertThatThrownBy(() -> builder.barrier(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> XaParticipant.builder(null)).isInstanceOf(NullPointerException.class);
  }
}
