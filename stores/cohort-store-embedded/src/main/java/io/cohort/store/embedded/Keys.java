package io.cohort.store.embedded;

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
 * m/format                           → u8       the key layout version (1)
 * m/last-id                          → i64      the last id handed out (ids never go back, even after a purge)
 * </pre>
 *
 * <p>{@code <gid>} is the gid's UTF-8 bytes; {@code <id:8>} is the id, big-endian. Times {@code <wake:8>} and
 * {@code <finish:8>} are epoch milliseconds big-endian with the sign bit flipped, so that unsigned byte order (the
 * order RocksDB keeps) is time order for instants before 1970 too. The fixed-width time comes first, so an index
 * sorts by time, then by gid; scanning it from the start is "earliest first".
 */
final class Keys {
  static final byte RECORD = 't';
  static final byte WAKE = 'w';
  static final byte ID = 'i';
  static final byte FINISH = 'f';
  static final int PREFIX = 2;
  static final int TIMED_HEADER = PREFIX + 8;

  static final byte[] FORMAT = "m/format".getBytes(StandardCharsets.US_ASCII);
  static final byte[] LAST_ID = "m/last-id".getBytes(StandardCharsets.US_ASCII);
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

  static byte[] longValue(long v) {
    byte[] b = new byte[8];
    LONG.set(b, 0, v);
    return b;
  }

  static long longOf(byte[] value) {
    return (long) LONG.get(value, 0);
  }
}
