package io.cohort.store.embedded;

import io.cohort.core.codec.KvCodec;
import io.cohort.core.codec.RecordCodec;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The key layout, in one keyspace (RocksDB's default column family), one prefix per kind of key:
 *
 * <pre>
 * t/&lt;gid&gt;                          → the transaction record ({@link RecordCodec})
 * w/&lt;wake:8&gt;&lt;gid&gt;                 → (empty)  wake index: non-final transactions with a nextWake
 * i/&lt;id:8&gt;                           → gid      id index: every transaction, for listing newest first
 * f/&lt;finish:8&gt;&lt;gid&gt;               → (empty)  finish index: final transactions with a finishTime, for purging
 * k/&lt;category&gt;\0&lt;key&gt;              → the key-value entry ({@link KvCodec})
 * m/format                           → u8       the key layout version (1)
 * m/last-id                          → i64      the last id handed out (ids never go back, even after a purge)
 * m/last-kv-id                       → i64      the last key-value entry id handed out (never goes back either)
 * </pre>
 *
 * <p>{@code <gid>} is the gid's UTF-8 bytes; {@code <id:8>} is the id, big-endian. Times {@code <wake:8>} and
 * {@code <finish:8>} are epoch milliseconds big-endian with the sign bit flipped, so that unsigned byte order (the
 * order RocksDB keeps) is time order for instants before 1970 too. The fixed-width time comes first, so an index
 * sorts by time, then by gid; scanning it from the start is "earliest first".
 *
 * <p>In a key-value key, {@code <category>} and {@code <key>} are written by {@link #ordered}: one to three bytes per
 * UTF-16 char (CESU-8), so that unsigned byte order is {@link String#compareTo} order, which is the order
 * {@code kvScan} promises. (Standard UTF-8 would sort a character outside the BMP after U+E000..U+FFFF, while
 * {@code compareTo} sorts its surrogates before them.) Neither may contain {@code \0}: the single 0 byte ends the
 * category, and since it is the smallest byte, every key of category {@code a} sorts before every key of category
 * {@code ab}, so one category is one contiguous range, {@code k/<category>\0} up to {@code k/<category>\1}.
 *
 * <p>The {@code k/} and {@code m/last-kv-id} keys came after layout 1 was first written and did not change it: they
 * are new prefixes, which a build that does not know them never reads, so the layout version stayed 1.
 */
final class Keys {
  static final byte RECORD = 't';
  static final byte WAKE = 'w';
  static final byte ID = 'i';
  static final byte FINISH = 'f';
  static final byte KV = 'k';
  static final int PREFIX = 2;
  static final int TIMED_HEADER = PREFIX + 8;

  static final byte[] FORMAT = "m/format".getBytes(StandardCharsets.US_ASCII);
  static final byte[] LAST_ID = "m/last-id".getBytes(StandardCharsets.US_ASCII);
  static final byte[] LAST_KV_ID = "m/last-kv-id".getBytes(StandardCharsets.US_ASCII);
  static final int LAYOUT_VERSION = 1;

  private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private Keys() {}

  static byte[] record(byte[] gid) {
    byte[] k = new byte[PREFIX + gid.length];
    k[0] = RECORD;
    k[1] = '/';
    System.arraycopy(gid, 0, k, PREFIX, gid.length);
    return k;
  }

  static byte[] wake(long millis, byte[] gid) {
    return timed(WAKE, millis, gid);
  }

  static byte[] finish(long millis, byte[] gid) {
    return timed(FINISH, millis, gid);
  }

  static byte[] id(long id) {
    byte[] k = new byte[PREFIX + 8];
    k[0] = ID;
    k[1] = '/';
    LONG.set(k, PREFIX, id);
    return k;
  }

  /** The smallest key of an index: {@code <kind>/}. */
  static byte[] start(byte kind) {
    return new byte[] {kind, '/'};
  }

  /** The first key after every key of an index: {@code <kind>0} ({@code '0'} follows {@code '/'}). */
  static byte[] end(byte kind) {
    return new byte[] {kind, '/' + 1};
  }

  /** The first index key at or after time {@code millis}. */
  static byte[] timeBound(byte kind, long millis) {
    return timed(kind, millis, new byte[0]);
  }

  private static byte[] timed(byte kind, long millis, byte[] gid) {
    byte[] k = new byte[TIMED_HEADER + gid.length];
    k[0] = kind;
    k[1] = '/';
    LONG.set(k, PREFIX, millis ^ Long.MIN_VALUE);
    System.arraycopy(gid, 0, k, TIMED_HEADER, gid.length);
    return k;
  }

  static boolean hasPrefix(byte[] key, byte kind) {
    return key.length >= PREFIX && key[0] == kind && key[1] == '/';
  }

  /** The time of a wake or finish index key. */
  static long timeOf(byte[] timedKey) {
    return (long) LONG.get(timedKey, PREFIX) ^ Long.MIN_VALUE;
  }

  /** The gid bytes of a wake or finish index key. */
  static byte[] gidOf(byte[] timedKey) {
    return Arrays.copyOfRange(timedKey, TIMED_HEADER, timedKey.length);
  }

  /** The id of an id index key. */
  static long idOf(byte[] idKey) {
    return (long) LONG.get(idKey, PREFIX);
  }

  /** The key of a key-value entry; {@code category} and {@code key} must not contain {@code \0}. */
  static byte[] kv(String category, String key) {
    byte[] c = ordered(category);
    byte[] k = ordered(key);
    byte[] out = new byte[PREFIX + c.length + 1 + k.length];
    out[0] = KV;
    out[1] = '/';
    System.arraycopy(c, 0, out, PREFIX, c.length);
    // out[PREFIX + c.length] stays 0: the end of the category
    System.arraycopy(k, 0, out, PREFIX + c.length + 1, k.length);
    return out;
  }

  /** The first key of {@code category}'s range: {@code k/<category>\0}. */
  static byte[] kvStart(String category) {
    return kv(category, "");
  }

  /** The first key after {@code category}'s range: {@code k/<category>\1}. */
  static byte[] kvEnd(String category) {
    byte[] k = kvStart(category);
    k[k.length - 1] = 1;
    return k;
  }

  /** The category of a key-value key. */
  static String kvCategoryOf(byte[] kvKey) {
    return RecordCodec.decodeChars(kvKey, PREFIX, kvSeparator(kvKey));
  }

  /** The entry key of a key-value key. */
  static String kvKeyOf(byte[] kvKey) {
    return RecordCodec.decodeChars(kvKey, kvSeparator(kvKey) + 1, kvKey.length);
  }

  private static int kvSeparator(byte[] kvKey) {
    for (int i = PREFIX; i < kvKey.length; i++) {
      if (kvKey[i] == 0) {
        return i;
      }
    }
    throw new IllegalStateException("key-value key without a category end: " + Arrays.toString(kvKey));
  }

  /**
   * CESU-8: each UTF-16 char on its own, in one to three bytes as UTF-8 would write a code point of that value.
   * Unsigned byte order of the result is {@link String#compareTo} order; well-formed BMP text comes out as plain UTF-8,
   * and {@link RecordCodec#decodeChars} reads it back (it decodes a three-byte surrogate as the char).
   */
  static byte[] ordered(String s) {
    int length = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      length += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
    }
    byte[] out = new byte[length];
    int p = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        out[p++] = (byte) c;
      } else if (c < 0x800) {
        out[p++] = (byte) (0xC0 | (c >> 6));
        out[p++] = (byte) (0x80 | (c & 0x3F));
      } else {
        out[p++] = (byte) (0xE0 | (c >> 12));
        out[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
        out[p++] = (byte) (0x80 | (c & 0x3F));
      }
    }
    return out;
  }

  static byte[] longValue(long v) {
    byte[] b = new byte[8];
    LONG.set(b, 0, v);
    return b;
  }

  static long longOf(byte[] value) {
    return (long) LONG.get(value, 0);
  }
}
