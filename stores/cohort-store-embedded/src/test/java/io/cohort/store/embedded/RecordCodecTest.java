package io.cohort.store.embedded;

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
    assertThat(record[0]).isEqualTo((byte) RecordCodec.SCHEMA_V1);
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
  void indexKeysSortInTimeOrder() {
    Random r = new Random(SEED + 3);
    long[] edges = {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE};
    for (int i = 0; i < 2000; i++) {
      long a = i < 25 ? edges[i / 5] : r.nextLong();
      long b = i < 25 ? edges[i % 5] : r.nextLong();
      keysSort(a, b, anyString(r));
    }
  }

  private static void keysSort(long a, long b, String gid) {
    byte[] ka = Keys.wake(a, RecordCodec.utf8(gid));
    byte[] kb = Keys.wake(b, RecordCodec.utf8(gid));
    assertThat(Integer.signum(Arrays.compareUnsigned(ka, kb))).isEqualTo(Long.signum(Long.compare(a, b)));
    assertThat(Keys.timeOf(ka)).isEqualTo(a);
    assertThat(RecordCodec.decodeChars(Keys.gidOf(ka), 0, Keys.gidOf(ka).length)).isEqualTo(gid);
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
    record[0] = 2;
    assertThatThrownBy(() -> RecordCodec.decode(record))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("schema version 2")
        .hasMessageContaining("reads schema version 1 only");
    assertThatThrownBy(() -> RecordCodec.decode(new byte[0])).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("schema version");
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
          duration(r));
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
