package io.cohort.store.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.cohort.core.codec.RecordCodec;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The embedded store's index keys sort by time, whatever the gid. */
class KeysTest {
  private static final long SEED = 0xC0DEC0DEL;

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
}
