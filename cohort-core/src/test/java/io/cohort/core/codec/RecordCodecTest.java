package io.cohort.core.codec;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cohort.core.model.Branch;
import io.cohort.core.model.TransOptions;
import io.cohort.core.model.Transaction;
import io.cohort.protocol.BranchStatus;
import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.TransType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RecordCodecTest {
  private static final long YEAR_1 = Instant.parse("0001-01-01T00:00:00Z").toEpochMilli();
  private static final long YEAR_9999 = Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli();

  /** Seeded random cases: reproducible, and each failure names its seed. */
  private static final long SEED = 0xC0DEC0DEL;

  @Test
  void everyTransactionRoundTrips() {
    Random r = new Random(SEED);
    for (int i = 0; i < 2000; i++) {
      Transaction t = transaction(r);
      byte[] record = RecordCodec.encode(t);
      assertThat(RecordCodec.decode(record)).as("case %d", i).isEqualTo(t);
    }
  }

  @Test
  void theHeaderAgreesWithTheBody() {
    Random r = new Random(SEED + 1);
    for (int i = 0; i < 500; i++) {
      headerAgrees(transaction(r));
    }
  }

  private static void headerAgrees(Transaction t) {
    byte[] record = RecordCodec.encode(t);
    assertThat(record[0]).isEqualTo((byte) RecordCodec.SCHEMA_CURRENT);
    assertThat(RecordCodec.id(record)).isEqualTo(t.id());
    assertThat(RecordCodec.version(record)).isEqualTo(t.version());
    assertThat(RecordCodec.statusCode(record)).isEqualTo(t.status().code());
    assertThat(RecordCodec.isFinal(record)).isEqualTo(t.isFinal());
    assertThat(RecordCodec.nextWakeMillis(record))
        .isEqualTo(t.nextWake() == null ? RecordCodec.NULL : t.nextWake().toEpochMilli());
    assertThat(RecordCodec.finishMillis(record))
        .isEqualTo(t.finishTime() == null ? RecordCodec.NULL : t.finishTime().toEpochMilli());
    RecordCodec.patchId(record, 424242);
    assertThat(RecordCodec.decode(record)).isEqualTo(t.withId(424242));
  }

  @Test
  void everyStringRoundTripsAndWellFormedOnesAreStandardUtf8() {
    Random r = new Random(SEED + 2);
    for (int i = 0; i < 2000; i++) {
      String s = anyString(r);
      byte[] bytes = RecordCodec.utf8(s);
      assertThat(RecordCodec.decodeChars(bytes, 0, bytes.length)).isEqualTo(s);
      if (isWellFormed(s)) {
        assertThat(bytes).isEqualTo(s.getBytes(UTF_8));
      }
    }
  }

  @Test
  void loneSurrogatesAndNonBmpCharactersRoundTrip() {
    for (String s : List.of("\uD800", "a\uDC00b", "\uDBFF\uDFFF", "\uD83D\uDE00\uD83D", "\u0000", "\uFFFF")) {
      byte[] bytes = RecordCodec.utf8(s);
      assertThat(RecordCodec.decodeChars(bytes, 0, bytes.length)).isEqualTo(s);
    }
  }

  @Test
  void subMillisecondPrecisionIsTruncatedTowardsThePast() {
    Instant fine = Instant.parse("2025-01-01T00:00:00.123456789Z");
    Instant beforeEpoch = Instant.parse("1969-12-31T23:59:59.999500Z");
    Transaction t = sample().withSchedule(fine, Duration.ofNanos(1_999_999), 0, "")
        .transition(GlobalStatus.FAILED, beforeEpoch, "x");

    Transaction back = RecordCodec.decode(RecordCodec.encode(t));

    assertThat(back.nextWake()).isEqualTo(Instant.parse("2025-01-01T00:00:00.123Z"));
    assertThat(back.finishTime()).isEqualTo(Instant.parse("1969-12-31T23:59:59.999Z"));
    assertThat(back.retryInterval()).isEqualTo(Duration.ofMillis(1));
  }

  @Test
  void anUnknownSchemaVersionFailsClearly() {
    byte[] record = RecordCodec.encode(sample());
    for (int unknown : new int[] {0, 3, 0xFF}) {
      record[0] = (byte) unknown;
      assertThatThrownBy(() -> RecordCodec.decode(record))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("schema version " + unknown + ";")
          .hasMessageContaining("reads schema versions 1 to 2 only");
    }
    assertThatThrownBy(() -> RecordCodec.decode(new byte[0])).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("schema version");
  }

  /**
   * Written by the schema-1 encoder before workflow fields existed (options present, one branch), kept as bytes so
   * that this test pins what old stores really hold, not what a v1 encoder kept in the tests believes they hold.
   */
  private static final String V1_RECORD = "0100000000000000070000000000000003020000019551269dbb8000000000000000076769642d"
      + "76310573616761056874747001087b226b223a317d01000000000000753000000000000009c400000000000027100a0109582d54656e"
      + "616e740474c3bc0101020100000000000002bf200103303107616374696f6e0f687474703a2f2f7376632f616374030102ff02040000"
      + "01955126017b00000195512601800000019551260180094854545020353033000001955126017b000001955126018280000000000000"
      + "000000000000000000271002076e6f64652d31";

  /** The same encoder's record of a transaction without options. */
  private static final String V1_RECORD_WITHOUT_OPTIONS = "010000000000000008000000000000000101800000000000000080"
      + "000000000000000e6769642d76312d737061727365046d7367056874747001010000000001955126017b000001955126017b80000000"
      + "00000000000080000000000000000001";

  @Test
  void aSchemaVersion1RecordDecodesWithoutWorkflowFields() {
    Instant t0 = Instant.parse("2025-03-01T10:00:00.123Z");
    TransOptions options = new TransOptions(Duration.ofSeconds(30), Duration.ofMillis(2500), Duration.ofSeconds(10), 5,
        Map.of("X-Tenant", "t\u00fc"), true, Map.of(1, List.of(0)), Duration.ofMinutes(3));
    Transaction expected = new Transaction(7, "gid-v1", TransType.SAGA, GlobalStatus.SUBMITTED, "http", "",
        "{\"k\":1}", options, List.of(new Branch("01", "action", "http://svc/act", new byte[] {1, 2, (byte) 0xFF},
            BranchStatus.SUCCEED, 2, t0, t0.plusMillis(5), t0.plusMillis(5), "HTTP 503")),
        t0, t0.plusMillis(7), null, null, null, null, t0.plusSeconds(40), Duration.ofSeconds(10), 1, "node-1", 3);
    byte[] v1 = HexFormat.of().parseHex(V1_RECORD);

    Transaction decoded = RecordCodec.decode(v1);

    assertThat(decoded).isEqualTo(expected);
    assertThat(decoded.options().workflowName()).isNull();
    assertThat(decoded.options().workflowData()).isNull();
    assertThat(RecordCodec.version(v1)).isEqualTo(3);
    assertThat(RecordCodec.nextWakeMillis(v1)).isEqualTo(t0.plusSeconds(40).toEpochMilli());

    // Written again, it becomes a v2 record: the same but for the two absent workflow strings (one byte each).
    byte[] v2 = RecordCodec.encode(decoded);
    assertThat(v2[0]).isEqualTo((byte) RecordCodec.SCHEMA_V2);
    assertThat(v2).hasSize(v1.length + 2);
    assertThat(RecordCodec.decode(v2)).isEqualTo(expected);
  }

  @Test
  void aSchemaVersion1RecordWithoutOptionsDecodes() {
    Instant t0 = Instant.parse("2025-03-01T10:00:00.123Z");
    Transaction expected = new Transaction(8, "gid-v1-sparse", TransType.MSG, GlobalStatus.PREPARED, "http", "", "",
        null, List.of(), t0, t0, null, null, null, null, null, null, 0, "", 1);
    byte[] v1 = HexFormat.of().parseHex(V1_RECORD_WITHOUT_OPTIONS);

    assertThat(RecordCodec.decode(v1)).isEqualTo(expected);
    assertThat(RecordCodec.encode(expected)).hasSize(v1.length).startsWith((byte) RecordCodec.SCHEMA_V2);
  }

  @Test
  void workflowFieldsRoundTripIncludingEmptyAndAbsent() {
    TransOptions base = sample().options();
    for (String[] wf : new String[][] {{"transfer", "eyJhIjoxfQ=="}, {"", ""}, {null, "x"}, {"x", null}, {null, null},
        {"\u5de5\u4f5c\uD83D\uDE00", "\uD800"}}) {
      Transaction s = sample();
      Transaction t = new Transaction(s.id(), s.gid(), TransType.WORKFLOW, s.status(), s.protocol(), s.queryPrepared(),
          s.customData(), base.withWorkflow(wf[0], wf[1]), s.branches(), s.createTime(), s.updateTime(),
          s.finishTime(), s.rollbackTime(), s.rollbackReason(), s.result(), s.nextWake(), s.retryInterval(),
          s.failures(), s.owner(), s.version());
      Transaction back = RecordCodec.decode(RecordCodec.encode(t));
      assertThat(back).isEqualTo(t);
      assertThat(back.options().workflowName()).isEqualTo(wf[0]);
      assertThat(back.options().workflowData()).isEqualTo(wf[1]);
    }
  }

  @Test
  void aTruncatedOrPaddedRecordIsReportedCorrupt() {
    byte[] record = RecordCodec.encode(sample());
    for (int length : new int[] {RecordCodec.HEADER_LENGTH - 1, RecordCodec.HEADER_LENGTH, record.length - 1}) {
      assertThatThrownBy(() -> RecordCodec.decode(Arrays.copyOf(record, length)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("corrupt");
    }
    assertThatThrownBy(() -> RecordCodec.decode(Arrays.copyOf(record, record.length + 1)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("trailing");
  }

  @Test
  void anUnknownStatusCodeIsReportedCorrupt() {
    byte[] record = RecordCodec.encode(sample());
    record[RecordCodec.OFF_STATUS] = 9;
    assertThatThrownBy(() -> RecordCodec.decode(record))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("unknown global status code 9");
  }

  @Test
  void theOneInstantThatWouldReadBackAsAbsentIsRefused() {
    Transaction t = sample().withSchedule(Instant.ofEpochMilli(Long.MIN_VALUE), null, 0, "");
    assertThatThrownBy(() -> RecordCodec.encode(t)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("out of the storable range");
  }

  @Test
  void recordsAreCompact() {
    // A typical two-step saga (four branches, small JSON payloads) stays well under a kilobyte.
    byte[] record = RecordCodec.encode(sample());
    assertThat(record.length).isLessThan(600);
  }

  // ---------------------------------------------------------------------------------------------- generators

  private static boolean isWellFormed(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return false;
      }
    }
    return true;
  }

  static String anyString(Random r) {
    int kind = r.nextInt(3);
    int len = r.nextInt(kind == 2 ? 11 : 31);
    StringBuilder sb = new StringBuilder(len);
    for (int i = 0; i < len; i++) {
      sb.append(switch (kind) {
        case 0 -> (char) r.nextInt(0x10000);
        case 1 -> (char) r.nextInt(0x80);
        default -> r.nextBoolean() ? (char) (0x80 + r.nextInt(0x780)) : (char) (0xD800 + r.nextInt(0x800));
      });
    }
    return sb.toString();
  }

  private static String nullableText(Random r) {
    return r.nextInt(10) < 3 ? null : anyString(r);
  }

  private static Instant instant(Random r) {
    if (r.nextInt(50) == 0) {
      return Instant.EPOCH.minusMillis(1);
    }
    return Instant.ofEpochMilli(YEAR_1 + (long) (r.nextDouble() * (YEAR_9999 - YEAR_1)));
  }

  private static Instant nullableInstant(Random r) {
    return r.nextInt(10) < 3 ? null : instant(r);
  }

  private static Duration duration(Random r) {
    if (r.nextInt(10) < 3) {
      return null;
    }
    long v = r.nextLong();
    return Duration.ofMillis(v == Long.MIN_VALUE ? 0 : v);
  }

  static Transaction transaction(Random r) {
    TransOptions options = null;
    if (r.nextInt(20) != 0) {
      Map<String, String> headers = new HashMap<>();
      for (int i = r.nextInt(5); i > 0; i--) {
        headers.put(anyString(r), anyString(r));
      }
      Map<Integer, List<Integer>> orders = new HashMap<>();
      for (int i = r.nextInt(5); i > 0; i--) {
        List<Integer> deps = new ArrayList<>();
        for (int j = r.nextInt(5); j > 0; j--) {
          deps.add(r.nextInt());
        }
        orders.put(r.nextInt(), deps);
      }
      options = new TransOptions(duration(r), duration(r), duration(r), r.nextInt(), headers, r.nextBoolean(), orders,
          duration(r), nullableText(r), nullableText(r));
    }
    List<Branch> branches = new ArrayList<>();
    for (int i = r.nextInt(7); i > 0; i--) {
      byte[] payload = new byte[r.nextInt(65)];
      r.nextBytes(payload);
      branches.add(new Branch(anyString(r), anyString(r), nullableText(r), payload,
          BranchStatus.values()[r.nextInt(BranchStatus.values().length)], r.nextInt(), nullableInstant(r),
          nullableInstant(r), nullableInstant(r), nullableText(r)));
    }
    return new Transaction(r.nextLong(), anyString(r), TransType.values()[r.nextInt(TransType.values().length)],
        GlobalStatus.values()[r.nextInt(GlobalStatus.values().length)], nullableText(r), nullableText(r),
        nullableText(r), options, branches, nullableInstant(r), nullableInstant(r), nullableInstant(r),
        nullableInstant(r), nullableText(r), nullableText(r), nullableInstant(r), duration(r), r.nextInt(),
        nullableText(r), r.nextLong());
  }

  private static Transaction sample() {
    Instant now = Instant.parse("2025-03-01T10:00:00.123Z");
    List<Branch> branches = List.of(
        Branch.create("01", "compensate", "http://svc-a:8080/api/trans/out/compensate",
            "{\"amount\":30,\"user\":\"u-1\"}".getBytes(UTF_8), now),
        Branch.create("01", "action", "http://svc-a:8080/api/trans/out", "{\"amount\":30,\"user\":\"u-1\"}"
            .getBytes(UTF_8), now),
        Branch.create("02", "compensate", "http://svc-b:8080/api/trans/in/compensate",
            "{\"amount\":30,\"user\":\"u-2\"}".getBytes(UTF_8), now),
        Branch.create("02", "action", "http://svc-b:8080/api/trans/in", "{\"amount\":30,\"user\":\"u-2\"}"
            .getBytes(UTF_8), now));
    return new Transaction(0, "gid-3f9a1c2e-5b7d-4e8f", TransType.SAGA, GlobalStatus.SUBMITTED, "http", "", "",
        new TransOptions(null, Duration.ofSeconds(3), Duration.ofSeconds(10), 0, Map.of(), false, Map.of(), null),
        branches, now, now, null, null, null, null, now.plusSeconds(13), Duration.ofSeconds(10), 0, "node-1", 1);
  }
}
