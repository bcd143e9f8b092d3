package io.cohort.store.redis;

import io.cohort.core.codec.RecordCodec;
import io.lettuce.core.cluster.SlotHash;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The key layout of a {@link RedisTransactionStore}: which key holds what, and which cluster slot it lands in.
 *
 * <p>With key prefix {@code P} and {@code N} partitions ({@code T(p)} is partition {@code p}'s hash tag, below):
 *
 * <pre>
 *   {P}:meta              hash: layout = 1, partitions = N. Written once, checked on every open.
 *   {P}:seq               string: the last transaction id handed out (INCR)
 *   {P}:kvseq             string: the last key-value entry id handed out (INCR)
 *   {T(p)}:t:&lt;gid&gt;        hash: r = the transaction record (RecordCodec), o = the byte length of its last field
 *                         (the owner string), so a script can rewrite the owner without decoding the record
 *   {T(p)}:due            zset gid → next wake (epoch millis); non-final transactions with a wake time only
 *   {T(p)}:fin            zset gid → finish time (epoch millis); final transactions with a finish time only
 *   {T(p)}:ids            zset gid → id; every transaction of the partition
 *   {P:kv:&lt;category&gt;}:e  hash: UTF-16BE key → the entry (KvCodec)
 *   {P:kv:&lt;category&gt;}:k  zset, all scores 0: the UTF-16BE keys, whose byte order is String.compareTo order
 * </pre>
 *
 * <p><b>Partitions.</b> A transaction lives in partition {@code crc32c(utf8(gid)) mod N}. Everything one operation on
 * one transaction touches (its record and the three indexes of its partition) carries the partition's hash tag, so it
 * lies in one cluster slot and one Lua script can change it atomically. Partitions are spread over the slot space
 * evenly on purpose: {@code T(p)} is {@code P:p.s} with the smallest salt {@code s >= 0} that puts it in the
 * {@code p}-th of {@code N} equal slot ranges, so no two partitions share a slot and a cluster whose masters hold equal
 * slot ranges holds equal numbers of partitions. The tags are derived, never stored: the meta hash records the layout
 * version and {@code N}, which is all it takes to derive them again.
 *
 * <p><b>Scores.</b> Sorted-set scores are doubles, exact for integers up to 2<sup>53</sup>. Times are clamped into
 * ±2<sup>53</sup> ms (about 285,000 years either side of 1970), ids stay far below it.
 *
 * <p>Names (gids, categories) enter keys as {@link RecordCodec#utf8} bytes; key-value keys are UTF-16BE in fields and
 * members, so that Redis's byte order ({@code ZRANGEBYLEX}) equals {@link String#compareTo} order, which
 * {@code kvScan} promises and UTF-8 does not give (a surrogate pair sorts below U+E000 in UTF-16, above it in UTF-8).
 */
final class Layout {
  /** The key layout version, stored in the meta hash. A change of layout takes a new version. */
  static final int VERSION = 1;
  static final int MAX_PARTITIONS = 1024;
  /** The largest score whose integer value a double holds exactly. */
  static final long MAX_SCORE = 1L << 53;

  final String prefix;
  final int partitions;
  final byte[] meta;
  final byte[] sequence;
  final byte[] kvSequence;
  private final String[] tags;
  private final byte[][] due;
  private final byte[][] finished;
  private final byte[][] ids;
  private final byte[][] recordPrefix;

  Layout(String prefix, int partitions) {
    if (partitions < 1 || partitions > MAX_PARTITIONS) {
      throw new IllegalArgumentException("partitions must be between 1 and " + MAX_PARTITIONS + ", got " + partitions);
    }
    this.prefix = prefix;
    this.partitions = partitions;
    this.meta = ascii("{" + prefix + "}:meta");
    this.sequence = ascii("{" + prefix + "}:seq");
    this.kvSequence = ascii("{" + prefix + "}:kvseq");
    this.tags = new String[partitions];
    this.due = new byte[partitions][];
    this.finished = new byte[partitions][];
    this.ids = new byte[partitions][];
    this.recordPrefix = new byte[partitions][];
    for (int p = 0; p < partitions; p++) {
      String tag = tag(prefix, p, partitions);
      tags[p] = tag;
      due[p] = ascii("{" + tag + "}:due");
      finished[p] = ascii("{" + tag + "}:fin");
      ids[p] = ascii("{" + tag + "}:ids");
      recordPrefix[p] = ascii("{" + tag + "}:t:");
    }
  }

  /** {@code P:p.s} with the smallest salt {@code s} whose slot falls in the {@code p}-th of {@code n} slot ranges. */
  static String tag(String prefix, int p, int n) {
    int from = (int) ((long) p * SlotHash.SLOT_COUNT / n);
    int to = (int) ((long) (p + 1) * SlotHash.SLOT_COUNT / n);
    for (int salt = 0; salt < 1 << 24; salt++) {
      String tag = prefix + ":" + p + "." + salt;
      int slot = SlotHash.getSlot(ascii(tag));
      if (slot >= from && slot < to) {
        return tag;
      }
    }
    throw new IllegalStateException("no hash tag found for partition " + p + " of " + n);
  }

  /** The partition of a gid, given as {@link RecordCodec#utf8} bytes. */
  int partitionOf(byte[] gid) {
    CRC32C crc = new CRC32C();
    crc.update(gid);
    return Integer.remainderUnsigned((int) crc.getValue(), partitions);
  }

  String tag(int partition) {
    return tags[partition];
  }

  /** The slot every key of {@code partition} lands in. */
  int slot(int partition) {
    return SlotHash.getSlot(ascii(tags[partition]));
  }

  byte[] due(int partition) {
    return due[partition];
  }

  byte[] finished(int partition) {
    return finished[partition];
  }

  byte[] ids(int partition) {
    return ids[partition];
  }

  /** The common start of the record keys of a partition; a record key is this and the gid's bytes. */
  byte[] recordPrefix(int partition) {
    return recordPrefix[partition];
  }

  byte[] record(int partition, byte[] gid) {
    byte[] start = recordPrefix[partition];
    byte[] key = Arrays.copyOf(start, start.length + gid.length);
    System.arraycopy(gid, 0, key, start.length, gid.length);
    return key;
  }

  byte[] kvEntries(String category) {
    return kvKey(category, ":e");
  }

  byte[] kvOrder(String category) {
    return kvKey(category, ":k");
  }

  private byte[] kvKey(String category, String suffix) {
    // The category sits inside the hash tag: one category, one slot, so one script sees its hash and its order.
    byte[] start = ascii("{" + prefix + ":kv:");
    byte[] name = RecordCodec.utf8(category);
    byte[] end = ascii("}" + suffix);
    byte[] key = Arrays.copyOf(start, start.length + name.length + end.length);
    System.arraycopy(name, 0, key, start.length, name.length);
    System.arraycopy(end, 0, key, start.length + name.length, end.length);
    return key;
  }

  // ---------------------------------------------------------------------------------------------- encodings

  /** A key-value key as stored in fields and members: UTF-16BE, every char as is (lone surrogates included). */
  static byte[] kvField(String key) {
    byte[] out = new byte[key.length() * 2];
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      out[2 * i] = (byte) (c >> 8);
      out[2 * i + 1] = (byte) c;
    }
    return out;
  }

  static String kvKeyOf(byte[] field) {
    if (field.length % 2 != 0) {
      throw new IllegalStateException("stored key-value key has an odd byte length " + field.length);
    }
    char[] chars = new char[field.length / 2];
    for (int i = 0; i < chars.length; i++) {
      chars[i] = (char) (((field[2 * i] & 0xFF) << 8) | (field[2 * i + 1] & 0xFF));
    }
    return new String(chars);
  }

  /** A time or id as a sorted-set score argument, clamped into the exactly representable range. */
  static byte[] score(long value) {
    return ascii(Long.toString(clamp(value)));
  }

  static long clamp(long value) {
    return Math.max(-MAX_SCORE, Math.min(MAX_SCORE, value));
  }

  /** Eight bytes, big-endian: how records hold their numbers, so scripts compare and splice them as strings. */
  static byte[] be64(long v) {
    byte[] out = new byte[8];
    for (int i = 7; i >= 0; i--) {
      out[i] = (byte) v;
      v >>>= 8;
    }
    return out;
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
