package io.cohort.core.codec;

import io.cohort.core.model.Branch;
import io.cohort.core.model.TransOptions;
import io.cohort.core.model.Transaction;
import io.cohort.protocol.BranchStatus;
import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.TransType;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The stored form of a {@link Transaction}: compact, versioned, built from stable codes only.
 *
 * <p><b>Schema version 2</b>, the one written (all integers big-endian):
 *
 * <pre>
 * header (fixed offsets, read without decoding the rest)
 *   u8   schema version = 2
 *   i64  id                  @1
 *   i64  version             @9
 *   u8   GlobalStatus.code() @17
 *   i64  nextWake millis     @18   (NULL = Long.MIN_VALUE means absent, for every instant and duration)
 *   i64  finishTime millis   @26
 * body
 *   str  gid, str TransType.wire(), str protocol, str queryPrepared, str customData
 *   u8   options present (0/1), then: dur timeoutToFail, dur requestTimeout, dur retryInterval, zint retryLimit,
 *        varint n + n x (str key, str value) branchHeaders, u8 concurrent,
 *        varint n + n x (zint step, varint m + m x zint dependency) orders, dur delay,
 *        nstr workflowName, nstr workflowData
 *   varint n + n x branch: str branchId, str op, str url, varint length + payload bytes, u8 BranchStatus.code(),
 *        zint attempts, instant createTime, instant updateTime, instant finishTime, nstr lastError
 *   instant createTime, instant updateTime, instant rollbackTime, nstr rollbackReason, nstr result,
 *   dur retryInterval, zint failures, str owner
 * </pre>
 *
 * <p><b>Schema version 1</b> is the same but for the options block, which ends at {@code dur delay}: it has no
 * workflow fields, and they decode as {@code null}. Both versions have the same header, so code that reads only the
 * header ({@link #checkSchema} and the accessors below) needs no version switch. A v1 record is rewritten as v2 the
 * next time its transaction is written; nothing migrates records in bulk.
 *
 * <p>{@code str} is an unsigned varint of (byte length + 1) then the bytes; a length field of 0 means {@code null}
 * ({@code nstr}; where a string is required a 0 fails decoding). Strings are UTF-8; a lone surrogate, which a Java
 * {@code String} may hold, is written as its 3-byte generalized UTF-8 form so that every String round-trips exactly.
 * {@code zint} is a zig-zag varint. Instants and durations are whole milliseconds: finer precision is truncated
 * (floor) on write, which is the precision the store contract promises.
 *
 * <p>Enum {@code name()} and {@code ordinal()} are never written. A change of layout takes a new schema version and
 * a decoder for every older one; an unknown version fails loudly instead of being misread.
 *
 * <p>Encoding sizes the record first, then fills exactly one array of that size: a write allocates its record and
 * nothing else.
 */
public final class RecordCodec {
  public static final int SCHEMA_V1 = 1;
  /** Adds {@link TransOptions#workflowName()} and {@link TransOptions#workflowData()} to the options block. */
  public static final int SCHEMA_V2 = 2;
  /** The version every record is written with. */
  public static final int SCHEMA_CURRENT = SCHEMA_V2;

  public static final int OFF_ID = 1;
  public static final int OFF_VERSION = 9;
  public static final int OFF_STATUS = 17;
  public static final int OFF_NEXT_WAKE = 18;
  public static final int OFF_FINISH = 26;
  public static final int HEADER_LENGTH = 34;

  /** The absent-value marker for instants and durations (as millis), and for index times. */
  public static final long NULL = Long.MIN_VALUE;

  private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

  private RecordCodec() {}

  // ------------------------------------------------------------------------------------------------- encoding

  public static byte[] encode(Transaction t) {
    byte[] out = new byte[size(t)];
    Encoder e = new Encoder(out);
    e.transaction(t);
    if (e.pos != out.length) {
      throw new IllegalStateException("record codec sized " + out.length + " bytes but wrote " + e.pos);
    }
    return out;
  }

  /** The UTF-8 bytes of {@code s} as this codec writes them (used for keys too). */
  public static byte[] utf8(String s) {
    int length = utf8Length(s);
    byte[] out = new byte[length];
    Encoder e = new Encoder(out);
    e.chars(s, length);
    return out;
  }

  // Sizing: the exact length of the record, so encoding fills one array of the right size.

  private static int size(Transaction t) {
    int n = HEADER_LENGTH;
    n += stringSize(t.gid()) + stringSize(t.type() == null ? null : t.type().wire()) + stringSize(t.protocol())
        + stringSize(t.queryPrepared()) + stringSize(t.customData());
    n += optionsSize(t.options());
    n += varintSize(t.branches().size());
    for (Branch b : t.branches()) {
      n += stringSize(b.branchId()) + stringSize(b.op()) + stringSize(b.url());
      n += varintSize(b.payload().length) + b.payload().length;
      n += 1 + varintSize(zigzag(b.attempts())) + 3 * 8 + stringSize(b.lastError());
    }
    n += 3 * 8 + stringSize(t.rollbackReason()) + stringSize(t.result()) + 8 + varintSize(zigzag(t.failures()))
        + stringSize(t.owner());
    return n;
  }

  private static int optionsSize(TransOptions o) {
    if (o == null) {
      return 1;
    }
    int n = 1 + 3 * 8 + varintSize(zigzag(o.retryLimit()));
    n += varintSize(o.branchHeaders().size());
    for (Map.Entry<String, String> e : o.branchHeaders().entrySet()) {
      n += stringSize(e.getKey()) + stringSize(e.getValue());
    }
    n += 1 + varintSize(o.orders().size());
    for (Map.Entry<Integer, List<Integer>> e : o.orders().entrySet()) {
      n += varintSize(zigzag(e.getKey())) + varintSize(e.getValue().size());
      for (int step : e.getValue()) {
        n += varintSize(zigzag(step));
      }
    }
    return n + 8 + stringSize(o.workflowName()) + stringSize(o.workflowData());
  }

  private static int stringSize(String s) {
    if (s == null) {
      return 1;
    }
    int length = utf8Length(s);
    return varintSize(length + 1) + length;
  }

  private static int varintSize(int v) {
    return v >>> 7 == 0 ? 1 : v >>> 14 == 0 ? 2 : v >>> 21 == 0 ? 3 : v >>> 28 == 0 ? 4 : 5;
  }

  private static int zigzag(int v) {
    return (v << 1) ^ (v >> 31);
  }

  /** Generalized UTF-8 length: standard for well-formed text, 3 bytes for a lone surrogate. */
  private static int utf8Length(String s) {
    int n = s.length();
    int length = n;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        if (c < 0x800) {
          length += 1;
        } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
          length += 2; // 4 bytes for the two chars of the pair
          i++;
        } else {
          length += 2;
        }
      }
    }
    return length;
  }

  /** Fills an array sized by {@link #size}. */
  private static final class Encoder {
    private final byte[] buf;
    int pos;

    Encoder(byte[] buf) {
      this.buf = buf;
    }

    void transaction(Transaction t) {
      buf[pos++] = SCHEMA_CURRENT;
      i64(t.id());
      i64(t.version());
      buf[pos++] = (byte) required(t.status(), "status").code();
      instant(t.nextWake());
      instant(t.finishTime());
      string(required(t.gid(), "gid"));
      string(required(t.type(), "type").wire());
      string(t.protocol());
      string(t.queryPrepared());
      string(t.customData());
      options(t.options());
      varint(t.branches().size());
      for (Branch b : t.branches()) {
        branch(b);
      }
      instant(t.createTime());
      instant(t.updateTime());
      instant(t.rollbackTime());
      string(t.rollbackReason());
      string(t.result());
      duration(t.retryInterval());
      varint(zigzag(t.failures()));
      string(t.owner());
    }

    private void options(TransOptions o) {
      if (o == null) {
        buf[pos++] = 0;
        return;
      }
      buf[pos++] = 1;
      duration(o.timeoutToFail());
      duration(o.requestTimeout());
      duration(o.retryInterval());
      varint(zigzag(o.retryLimit()));
      varint(o.branchHeaders().size());
      for (Map.Entry<String, String> e : o.branchHeaders().entrySet()) {
        string(e.getKey());
        string(e.getValue());
      }
      buf[pos++] = (byte) (o.concurrent() ? 1 : 0);
      varint(o.orders().size());
      for (Map.Entry<Integer, List<Integer>> e : o.orders().entrySet()) {
        varint(zigzag(e.getKey()));
        varint(e.getValue().size());
        for (int step : e.getValue()) {
          varint(zigzag(step));
        }
      }
      duration(o.delay());
      string(o.workflowName());
      string(o.workflowData());
    }

    private void branch(Branch b) {
      string(required(b.branchId(), "branch id"));
      string(required(b.op(), "branch op"));
      string(b.url());
      byte[] payload = b.payload();
      varint(payload.length);
      System.arraycopy(payload, 0, buf, pos, payload.length);
      pos += payload.length;
      buf[pos++] = (byte) required(b.status(), "branch status").code();
      varint(zigzag(b.attempts()));
      instant(b.createTime());
      instant(b.updateTime());
      instant(b.finishTime());
      string(b.lastError());
    }

    private void i64(long v) {
      LONG.set(buf, pos, v);
      pos += 8;
    }

    private void instant(Instant i) {
      i64(i == null ? NULL : millis(i));
    }

    private void duration(Duration d) {
      long v = d == null ? NULL : d.toMillis();
      if (d != null && v == NULL) {
        throw new IllegalArgumentException("duration " + d + " is out of the storable range");
      }
      i64(v);
    }

    /** Unsigned LEB128. */
    private void varint(int v) {
      while ((v & ~0x7F) != 0) {
        buf[pos++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      buf[pos++] = (byte) v;
    }

    private void string(String s) {
      if (s == null) {
        buf[pos++] = 0;
        return;
      }
      int length = utf8Length(s);
      varint(length + 1);
      chars(s, length);
    }

    /** Writes {@code s}, whose generalized UTF-8 length is {@code length}. */
    void chars(String s, int length) {
      int n = s.length();
      byte[] b = buf;
      int p = pos;
      if (length == n) { // ASCII, the common case
        for (int i = 0; i < n; i++) {
          b[p + i] = (byte) s.charAt(i);
        }
        pos = p + n;
        return;
      }
      for (int i = 0; i < n; i++) {
        char c = s.charAt(i);
        if (c < 0x80) {
          b[p++] = (byte) c;
        } else if (c < 0x800) {
          b[p++] = (byte) (0xC0 | (c >> 6));
          b[p++] = (byte) (0x80 | (c & 0x3F));
        } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
          int cp = Character.toCodePoint(c, s.charAt(++i));
          b[p++] = (byte) (0xF0 | (cp >> 18));
          b[p++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
          b[p++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
          b[p++] = (byte) (0x80 | (cp & 0x3F));
        } else {
          b[p++] = (byte) (0xE0 | (c >> 12));
          b[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
          b[p++] = (byte) (0x80 | (c & 0x3F));
        }
      }
      pos = p;
    }

    private static <T> T required(T value, String what) {
      if (value == null) {
        throw new IllegalArgumentException("a stored transaction needs a " + what);
      }
      return value;
    }
  }

  /** Epoch millis, floored; refuses the one instant that would read back as "absent". */
  public static long millis(Instant i) {
    long v = i.toEpochMilli();
    if (v == NULL) {
      throw new IllegalArgumentException("instant " + i + " is out of the storable range");
    }
    return v;
  }

  // ------------------------------------------------------------------------------------------------- decoding

  public static Transaction decode(byte[] record) {
    checkSchema(record);
    Decoder d = new Decoder(record);
    try {
      Transaction t = d.transaction();
      if (d.pos != record.length) {
        throw corrupt(record, (record.length - d.pos) + " trailing bytes");
      }
      return t;
    } catch (IndexOutOfBoundsException e) {
      throw corrupt(record, "truncated", e);
    } catch (IllegalArgumentException e) {
      throw corrupt(record, e.getMessage(), e);
    }
  }

  private static final class Decoder {
    private final byte[] buf;
    private final int schema;
    int pos = HEADER_LENGTH;

    Decoder(byte[] buf) {
      this.buf = buf;
      this.schema = buf[0];
    }

    Transaction transaction() {
      long id = id(buf);
      long version = version(buf);
      GlobalStatus status = GlobalStatus.fromCode(buf[OFF_STATUS]);
      Instant nextWake = toInstant(nextWakeMillis(buf));
      Instant finishTime = toInstant(finishMillis(buf));
      String gid = requiredString("gid");
      String typeCode = requiredString("type");
      TransType type = TransType.fromWire(typeCode);
      if (type == null) {
        throw new IllegalArgumentException("unknown transaction type code '" + typeCode + "'");
      }
      String protocol = requiredString("protocol");
      String queryPrepared = requiredString("queryPrepared");
      String customData = requiredString("customData");
      TransOptions options = options();
      int n = count();
      List<Branch> branches = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        branches.add(branch());
      }
      Instant createTime = instant();
      Instant updateTime = instant();
      Instant rollbackTime = instant();
      String rollbackReason = string();
      String result = string();
      Duration retryInterval = duration();
      int failures = zint();
      String owner = requiredString("owner");
      return new Transaction(id, gid, type, status, protocol, queryPrepared, customData, options, branches,
          createTime, updateTime, finishTime, rollbackTime, rollbackReason, result, nextWake, retryInterval, failures,
          owner, version);
    }

    private TransOptions options() {
      int present = u8();
      if (present == 0) {
        return null;
      }
      if (present != 1) {
        throw new IllegalArgumentException("bad options marker " + present);
      }
      Duration timeoutToFail = duration();
      Duration requestTimeout = duration();
      Duration retryInterval = duration();
      int retryLimit = zint();
      int headerCount = count();
      Map<String, String> headers = HashMap.newHashMap(headerCount);
      for (int i = 0; i < headerCount; i++) {
        headers.put(requiredString("header name"), requiredString("header value"));
      }
      boolean concurrent = bool();
      int orderCount = count();
      Map<Integer, List<Integer>> orders = HashMap.newHashMap(orderCount);
      for (int i = 0; i < orderCount; i++) {
        int step = zint();
        int m = count();
        Integer[] deps = new Integer[m];
        for (int k = 0; k < m; k++) {
          deps[k] = zint();
        }
        orders.put(step, List.of(deps));
      }
      Duration delay = duration();
      String workflowName = schema >= SCHEMA_V2 ? string() : null;
      String workflowData = schema >= SCHEMA_V2 ? string() : null;
      return new TransOptions(timeoutToFail, requestTimeout, retryInterval, retryLimit, headers, concurrent, orders,
          delay, workflowName, workflowData);
    }

    private Branch branch() {
      String branchId = requiredString("branch id");
      String op = requiredString("branch op");
      String url = requiredString("branch url");
      int length = count();
      byte[] payload = java.util.Arrays.copyOfRange(buf, pos, checkedEnd(length));
      pos += length;
      BranchStatus status = BranchStatus.fromCode(u8());
      int attempts = zint();
      Instant createTime = instant();
      Instant updateTime = instant();
      Instant finishTime = instant();
      String lastError = string();
      return new Branch(branchId, op, url, payload, status, attempts, createTime, updateTime, finishTime, lastError);
    }

    private int u8() {
      return buf[pos++] & 0xFF;
    }

    private boolean bool() {
      int v = u8();
      if (v > 1) {
        throw new IllegalArgumentException("bad boolean " + v);
      }
      return v == 1;
    }

    private long i64() {
      long v = (long) LONG.get(buf, pos);
      pos += 8;
      return v;
    }

    private Instant instant() {
      return toInstant(i64());
    }

    private Duration duration() {
      long v = i64();
      return v == NULL ? null : Duration.ofMillis(v);
    }

    private int varint() {
      int v = 0;
      for (int shift = 0; shift < 35; shift += 7) {
        int b = u8();
        v |= (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return v;
        }
      }
      throw new IllegalArgumentException("varint longer than 5 bytes");
    }

    private int count() {
      int n = varint();
      if (n < 0 || n > buf.length - pos) {
        throw new IllegalArgumentException("length " + n + " exceeds the record");
      }
      return n;
    }

    private int zint() {
      int v = varint();
      return (v >>> 1) ^ -(v & 1);
    }

    private int checkedEnd(int length) {
      int end = pos + length;
      if (length < 0 || end > buf.length || end < pos) {
        throw new IllegalArgumentException("length " + length + " exceeds the record");
      }
      return end;
    }

    private String requiredString(String what) {
      String s = string();
      if (s == null) {
        throw new IllegalArgumentException("missing " + what);
      }
      return s;
    }

    private String string() {
      int lengthPlusOne = varint();
      if (lengthPlusOne == 0) {
        return null;
      }
      int length = lengthPlusOne - 1;
      int end = checkedEnd(length);
      String s = decodeChars(buf, pos, end);
      pos = end;
      return s;
    }
  }

  /** Decodes what {@link Encoder#chars} wrote; ASCII (the common case) takes the fast path. */
  public static String decodeChars(byte[] b, int from, int to) {
    int i = from;
    while (i < to && b[i] >= 0) {
      i++;
    }
    if (i == to) {
      return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
    }
    char[] out = new char[to - from];
    int n = 0;
    for (int k = from; k < i; k++) {
      out[n++] = (char) b[k];
    }
    while (i < to) {
      int c = b[i++] & 0xFF;
      if (c < 0x80) {
        out[n++] = (char) c;
      } else if ((c & 0xE0) == 0xC0) {
        out[n++] = (char) (((c & 0x1F) << 6) | continuation(b, i++, to));
      } else if ((c & 0xF0) == 0xE0) {
        int c1 = continuation(b, i++, to);
        int c2 = continuation(b, i++, to);
        out[n++] = (char) (((c & 0x0F) << 12) | (c1 << 6) | c2);
      } else if ((c & 0xF8) == 0xF0) {
        int c1 = continuation(b, i++, to);
        int c2 = continuation(b, i++, to);
        int c3 = continuation(b, i++, to);
        int cp = ((c & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3;
        if (cp < Character.MIN_SUPPLEMENTARY_CODE_POINT || cp > Character.MAX_CODE_POINT) {
          throw new IllegalArgumentException("bad 4-byte sequence");
        }
        out[n++] = Character.highSurrogate(cp);
        out[n++] = Character.lowSurrogate(cp);
      } else {
        throw new IllegalArgumentException("bad UTF-8 lead byte 0x" + Integer.toHexString(c));
      }
    }
    return new String(out, 0, n);
  }

  private static int continuation(byte[] b, int i, int to) {
    if (i >= to || (b[i] & 0xC0) != 0x80) {
      throw new IllegalArgumentException("bad UTF-8 continuation");
    }
    return b[i] & 0x3F;
  }

  // ------------------------------------------------------------------------------------ header, without decoding

  /** Refuses a record of a schema version this build cannot read (or one too short to hold the header). */
  public static void checkSchema(byte[] record) {
    if (record.length == 0 || record[0] < SCHEMA_V1 || record[0] > SCHEMA_CURRENT) {
      int v = record.length == 0 ? -1 : record[0] & 0xFF;
      throw new IllegalStateException("stored transaction record has schema version " + v
          + "; this build of Cohort reads schema versions " + SCHEMA_V1 + " to " + SCHEMA_CURRENT
          + " only (was the store written by a newer Cohort?)");
    }
    if (record.length < HEADER_LENGTH) {
      throw corrupt(record, "shorter than its header");
    }
  }

  public static long id(byte[] record) {
    return (long) LONG.get(record, OFF_ID);
  }

  public static void patchId(byte[] record, long id) {
    LONG.set(record, OFF_ID, id);
  }

  public static long version(byte[] record) {
    return (long) LONG.get(record, OFF_VERSION);
  }

  public static boolean isFinal(byte[] record) {
    return GlobalStatus.fromCode(record[OFF_STATUS]).isFinal();
  }

  public static int statusCode(byte[] record) {
    return record[OFF_STATUS];
  }

  public static long nextWakeMillis(byte[] record) {
    return (long) LONG.get(record, OFF_NEXT_WAKE);
  }

  public static long finishMillis(byte[] record) {
    return (long) LONG.get(record, OFF_FINISH);
  }

  /** The wake time the wake index holds for this record: only non-final records with a wake time have one. */
  public static long indexedWake(byte[] record) {
    return isFinal(record) ? NULL : nextWakeMillis(record);
  }

  /** The finish time the finish index holds: only final records with a finish time have one. */
  public static long indexedFinish(byte[] record) {
    return isFinal(record) ? finishMillis(record) : NULL;
  }

  private static Instant toInstant(long millis) {
    return millis == NULL ? null : Instant.ofEpochMilli(millis);
  }

  private static IllegalStateException corrupt(byte[] record, String why) {
    return corrupt(record, why, null);
  }

  private static IllegalStateException corrupt(byte[] record, String why, Throwable cause) {
    return new IllegalStateException("stored transaction record (" + record.length + " bytes) is corrupt: " + why,
        cause);
  }
}
