package io.cohort.core.codec;

import static io.cohort.core.codec.RecordCodec.NULL;

import io.cohort.core.port.TransactionStore.KvEntry;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.time.Instant;

/**
 * The stored form of a {@link KvEntry}, the value under its {@code k/<category>\0<key>} key ({@link Keys}); the
 * category and key live in the key only.
 *
 * <p><b>Schema version 1</b> (integers big-endian, fixed offsets):
 *
 * <pre>
 *   u8   schema version = 1
 *   i64  id                 @1
 *   i64  version            @9
 *   i64  createTime millis  @17  (NULL = Long.MIN_VALUE means absent)
 *   i64  updateTime millis  @25
 *   the value's UTF-8 bytes @33, to the end (RecordCodec's generalized UTF-8, so every String round-trips)
 * </pre>
 *
 * <p>The header is fixed so that the writer can compare versions and patch the id and create time of an encoded
 * entry without decoding it, as it does for transaction records. Times are whole milliseconds, truncated on write.
 */
public final class KvCodec {
  public static final int SCHEMA_V1 = 1;
  public static final int OFF_ID = 1;
  public static final int OFF_VERSION = 9;
  public static final int OFF_CREATE = 17;
  public static final int OFF_UPDATE = 25;
  public static final int HEADER_LENGTH = 33;

  private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private KvCodec() {}

  public static byte[] encode(KvEntry e) {
    byte[] value = RecordCodec.utf8(e.value());
    byte[] out = new byte[HEADER_LENGTH + value.length];
    out[0] = SCHEMA_V1;
    LONG.set(out, OFF_ID, e.id());
    LONG.set(out, OFF_VERSION, e.version());
    LONG.set(out, OFF_CREATE, e.createTime() == null ? NULL : RecordCodec.millis(e.createTime()));
    LONG.set(out, OFF_UPDATE, e.updateTime() == null ? NULL : RecordCodec.millis(e.updateTime()));
    System.arraycopy(value, 0, out, HEADER_LENGTH, value.length);
    return out;
  }

  public static KvEntry decode(String category, String key, byte[] stored) {
    checkSchema(stored);
    String value;
    try {
      value = RecordCodec.decodeChars(stored, HEADER_LENGTH, stored.length);
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("stored key-value entry " + category + "/" + key + " is corrupt: "
          + e.getMessage(), e);
    }
    return new KvEntry(id(stored), category, key, value, version(stored), instant(stored, OFF_CREATE),
        instant(stored, OFF_UPDATE));
  }

  public static void checkSchema(byte[] stored) {
    if (stored.length == 0 || stored[0] != SCHEMA_V1) {
      int v = stored.length == 0 ? -1 : stored[0] & 0xFF;
      throw new IllegalStateException("stored key-value entry has schema version " + v
          + "; this build of Cohort reads schema version " + SCHEMA_V1 + " only (was the store written by a newer"
          + " Cohort?)");
    }
    if (stored.length < HEADER_LENGTH) {
      throw new IllegalStateException("stored key-value entry (" + stored.length + " bytes) is corrupt: shorter than"
          + " its header");
    }
  }

  public static long id(byte[] stored) {
    return (long) LONG.get(stored, OFF_ID);
  }

  public static long version(byte[] stored) {
    return (long) LONG.get(stored, OFF_VERSION);
  }

  public static void patchId(byte[] encoded, long id) {
    LONG.set(encoded, OFF_ID, id);
  }

  /** Gives an encoded replacement the id and create time of the stored entry it replaces. */
  public static void keepIdentity(byte[] encoded, byte[] stored) {
    LONG.set(encoded, OFF_ID, id(stored));
    LONG.set(encoded, OFF_CREATE, (long) LONG.get(stored, OFF_CREATE));
  }

  private static Instant instant(byte[] stored, int offset) {
    long millis = (long) LONG.get(stored, offset);
    return millis == NULL ? null : Instant.ofEpochMilli(millis);
  }
}
