package io.cohort.store.redis;

import io.cohort.core.codec.Millis;
import io.cohort.core.codec.KvCodec;
import io.cohort.core.codec.RecordCodec;
import io.cohort.core.model.Transaction;
import io.cohort.core.port.TransactionStore;
import io.cohort.store.redis.PartitionMerge.Entry;
import io.cohort.store.redis.Redis.Script;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.Range.Boundary;
import io.lettuce.core.ScriptOutputType;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A store on Redis, standalone or Cluster, shared by any number of coordinators.
 *
 * <p><b>Model.</b> Each transaction is one record, the whole aggregate in {@link RecordCodec}'s binary form, kept in a
 * hash under a key named after its gid; beside it, per partition, three sorted sets: the due index (wake time), the
 * finish index (finish time) and the id index (id, for listings). Key-value entries live in one hash and one
 * lexicographic sorted set per category. {@link Layout} has the exact key names.
 *
 * <p><b>Partitions, slots and atomicity.</b> Redis Cluster runs a Lua script only over keys of one slot, and DTM's
 * answer (one hash tag for everything: one slot, one master, no sharding) is the one to avoid. So the transactions
 * are split into {@code N} partitions by a hash of the gid, and all keys of a partition (records and its three
 * indexes) carry the partition's hash tag: one slot per partition, the partitions spread evenly over the slot space and
 * so over the masters. Every change of one transaction (insert, update) is one script over the keys of its partition:
 * the record and its index entries change together or not at all. Each script is loaded once per server and run by
 * its SHA-1 ({@code EVALSHA}, falling back to the text on {@code NOSCRIPT}):
 *
 * <ul>
 *   <li>{@code insert}: stores the record and its index entries unless the gid is taken, then returns the stored one;
 *   <li>{@code update}: compare-and-set on the version bytes of the stored header, keeps the stored id, moves the
 *       index entries;
 *   <li>{@code claim}: takes a partition's earliest due entries and patches each record in place (see below);
 *   <li>{@code purge}: deletes a partition's earliest finished records and their index entries;
 *   <li>{@code kv_put}, {@code kv_delete}: compare-and-set of one entry; {@code kv_scan}: one category in key order;
 *   <li>{@code meta}: marks a new store with its layout and partition count.
 * </ul>
 *
 * <p><b>Ids.</b> Listings need one sequence, so ids come from one counter, {@code INCR} on {@code {P}:seq}. On a
 * standalone server the insert script increments it itself (any key is reachable there), so ids follow insertion
 * order exactly and a refused insert takes none. On a cluster the counter is in its own slot: the store increments it
 * first and hands the id to the script; ids then increase in insertion order per caller and across callers up to the
 * moment both are in flight, and a refused insert leaves a gap. Both are what the port promises.
 *
 * <p><b>Claims.</b> {@link #claimDue} must return the earliest due transactions first, across all partitions. It
 * first reads the due indexes of all partitions as one merged sequence ({@link PartitionMerge}: small chunks, in
 * parallel) to learn how many of the {@code limit} earliest live in each partition; then, in each of those
 * partitions, one {@code claim} script takes that many of the partition's earliest due entries <em>as they are when
 * the script runs</em>, and rewrites each record: version + 1 and the lease as wake time are fixed-offset header
 * fields ({@link RecordCodec#OFF_VERSION}, {@link RecordCodec#OFF_NEXT_WAKE}); the owner is the record's last field,
 * whose byte length is kept beside the record ({@code o}), so the script replaces that suffix. No decoding in Lua,
 * no second copy of any field. The same script moves the entry's due score to the lease.
 *
 * <p><b>Why no two claimers get one transaction.</b> A script runs atomically on the master of its slot, and a
 * transaction's due entry and record are in that slot. A claim takes only entries whose score is at most {@code now}
 * and leaves them scored at the lease, so any later claim (by anyone) before the lease has passed does not see them;
 * and an update from a stale copy fails its compare-and-set because the claim incremented the version. Racing
 * claimers never waste their turn either: a claim script does not ask for the entries the merge saw, but for "the
 * next {@code k} due ones", so a claimer that lost some to another simply takes the following ones.
 *
 * <p><b>How work spreads.</b> Over slots: the partitions' tags are chosen so no two share a slot and they cover the
 * slot ranges evenly, so every master holds its share of records, indexes and script executions. Over coordinators:
 * every coordinator claims in batches from all partitions; concurrent claims of the same partition are serialized by
 * Redis and hand out disjoint sets, and a claim that comes back short (others took part of it) reads the indexes
 * again, up to three times, when leases are in the future.
 *
 * <p><b>Reads.</b> {@link #find} and {@link #kvFind} read one key. {@link #list}, {@link #wakingAfter} and the first
 * phase of claims and purges merge the partitions' indexes; they are not snapshots: a listing racing writes may show a
 * transaction in its state before or after them, as separate reads would.
 *
 * <p><b>Durability.</b> "Durable before return" is as durable as the Redis server is configured to be: a write is
 * acknowledged when the master applied it. Run Redis with AOF ({@code appendonly yes}) and {@code appendfsync always}
 * for the port's promise to hold across a machine crash; {@code everysec} may lose the last second. Replication is
 * asynchronous: a failover to a replica can lose the writes it had not received. This store does not configure
 * persistence; that is the operator's (see the module README).
 *
 * <p><b>Precision.</b> Instants and durations are kept to the millisecond, as the store contract requires. Index
 * scores are clamped into ±2<sup>53</sup> ms (about year ±285,000). The transaction {@link #insert} returns is the
 * caller's, with its id set.
 */
public final class RedisTransactionStore implements TransactionStore {
  private static final System.Logger LOG = System.getLogger(RedisTransactionStore.class.getName());
  private static final byte[] RECORD = {'r'};
  private static final byte[] EMPTY = {};
  /** How often a claim that came back short (others took part of it) looks again. */
  private static final int CLAIM_ATTEMPTS = 3;

  private final RedisStoreOptions options;
  private final Layout layout;
  private final Redis redis;
  private final AtomicBoolean closed = new AtomicBoolean();

  private RedisTransactionStore(RedisStoreOptions options, Layout layout, Redis redis) {
    this.options = options;
    this.layout = layout;
    this.redis = redis;
  }

  /**
   * Connects to Redis and opens the store under {@code options.keyPrefix()}, marking it with its layout and partition
   * count when it is new.
   *
   * @throws java.io.UncheckedIOException when Redis cannot be reached (the message names the server, never a password)
   * @throws IllegalStateException when the store was created with another partition count or by a newer layout
   */
  public static RedisTransactionStore open(RedisStoreOptions options) {
    Objects.requireNonNull(options, "options");
    Layout layout = new Layout(options.keyPrefix(), options.partitions());
    Redis redis = Redis.connect(options);
    try {
      redis.loadScripts();
      checkMeta(redis, layout);
      LOG.log(System.Logger.Level.INFO, "Redis store opened: {0}", options);
      return new RedisTransactionStore(options, layout, redis);
    } catch (RuntimeException e) {
      redis.close();
      throw e;
    }
  }

  private static void checkMeta(Redis redis, Layout layout) {
    List<Object> stored = redis.await(redis.run(Script.META, ScriptOutputType.MULTI, new byte[][] {layout.meta},
        Layout.ascii(Integer.toString(Layout.VERSION)), Layout.ascii(Integer.toString(layout.partitions))),
        "open");
    String version = text(stored.get(0));
    String partitions = text(stored.get(1));
    String store = "Redis store at " + redis.where + " with key prefix '" + layout.prefix + "'";
    if (!Integer.toString(Layout.VERSION).equals(version)) {
      throw new IllegalStateException("cannot open the " + store + ": its key layout version is " + version
          + "; this build of Cohort reads version " + Layout.VERSION + " only (was it written by a newer Cohort?)");
    }
    if (!Integer.toString(layout.partitions).equals(partitions)) {
      throw new IllegalStateException("cannot open the " + store + ": it was created with " + partitions
          + " partitions, and the configuration asks for " + layout.partitions + "; the partition count is fixed once"
          + " a store exists (configure " + partitions + " partitions, or use another key prefix for a new store)");
    }
  }

  // ----------------------------------------------------------------------------------------------- writes

  @Override
  public InsertResult insert(Transaction t) {
    Objects.requireNonNull(t, "transaction");
    byte[] gid = RecordCodec.utf8(Objects.requireNonNull(t.gid(), "gid"));
    byte[] record = RecordCodec.encode(t);
    ensureOpen();
    int p = layout.partitionOf(gid);
    String operation = "insert of " + t.gid();
    byte[] id = EMPTY;
    byte[][] keys;
    if (redis.clustered) {
      long next = redis.await(redis.commands.incr(layout.sequence), operation);
      RecordCodec.patchId(record, next);
      id = Layout.ascii(Long.toString(next));
      keys = new byte[][] {layout.record(p, gid), layout.ids(p), layout.due(p), layout.finished(p)};
    } else {
      keys = new byte[][] {layout.record(p, gid), layout.ids(p), layout.due(p), layout.finished(p), layout.sequence};
    }
    List<Object> result = redis.await(redis.run(Script.INSERT, ScriptOutputType.MULTI, keys, record,
        ownerLength(t.owner()), gid, id, indexScore(RecordCodec.indexedWake(record)),
        indexScore(RecordCodec.indexedFinish(record))), operation);
    if ((Long) result.get(0) == 1) {
      return new InsertResult(true, t.withId(Long.parseLong(text(result.get(1)))));
    }
    return new InsertResult(false, RecordCodec.decode((byte[]) result.get(1)));
  }

  @Override
  public boolean update(Transaction next, long expectedVersion) {
    Objects.requireNonNull(next, "next");
    if (next.version() != expectedVersion + 1) {
      throw new IllegalArgumentException("next version must be " + (expectedVersion + 1) + ", got " + next.version());
    }
    byte[] gid = RecordCodec.utf8(Objects.requireNonNull(next.gid(), "gid"));
    byte[] record = RecordCodec.encode(next);
    ensureOpen();
    int p = layout.partitionOf(gid);
    Long written = redis.await(redis.run(Script.UPDATE, ScriptOutputType.INTEGER,
        new byte[][] {layout.record(p, gid), layout.due(p), layout.finished(p)}, record, ownerLength(next.owner()),
        gid, Layout.be64(expectedVersion), indexScore(RecordCodec.indexedWake(record)),
        indexScore(RecordCodec.indexedFinish(record))), "update of " + next.gid());
    return written == 1;
  }

  @Override
  public List<Transaction> claimDue(Instant now, int limit, String ownerToken, Instant leaseUntil) {
    if (!TransactionStore.checkClaim(now, limit, ownerToken, leaseUntil)) {
      return List.of();
    }
    ensureOpen();
    long nowMillis = Layout.clamp(Millis.floor(now));
    long leaseMillis = RecordCodec.millis(leaseUntil);
    byte[] owner = RecordCodec.utf8(ownerToken);
    byte[] ownerField = new byte[varintSize(owner.length + 1) + owner.length];
    int at = writeVarint(ownerField, 0, owner.length + 1);
    System.arraycopy(owner, 0, ownerField, at, owner.length);
    byte[][] args = {Layout.ascii(Long.toString(nowMillis)), null, Layout.score(leaseMillis), Layout.be64(leaseMillis),
        ownerField, Layout.ascii(Integer.toString(ownerField.length)), null};

    List<Claimed> claimed = new ArrayList<>();
    UncheckedIOException failure = null;
    for (int attempt = 0; attempt < CLAIM_ATTEMPTS && claimed.size() < limit; attempt++) {
      int[] take = plan(limit - claimed.size(), "claim", (p, offset, last, count) ->
          redis.commands.zrangebyscoreWithScores(layout.due(p),
              Range.from(Boundary.unbounded(), Boundary.including(nowMillis)), Limit.create(offset, count)));
      List<CompletionStage<List<Object>>> runs = new ArrayList<>();
      for (int p = 0; p < take.length; p++) {
        if (take[p] > 0) {
          byte[][] a = args.clone();
          a[1] = Layout.ascii(Integer.toString(take[p]));
          a[6] = layout.recordPrefix(p);
          runs.add(redis.run(Script.CLAIM, ScriptOutputType.MULTI, new byte[][] {layout.due(p)}, a));
        }
      }
      if (runs.isEmpty()) {
        break;
      }
      boolean cameShort = false;
      int i = 0;
      for (int p = 0; p < take.length; p++) {
        if (take[p] > 0) {
          List<Object> got;
          try {
            got = redis.await(runs.get(i++), "claim");
          } catch (UncheckedIOException e) {
            // What the other partitions' scripts claimed is leased to this caller now: hand it over rather than
            // leave it idle until the lease passes. Only when nothing was claimed does the caller see the failure.
            failure = failure == null ? e : failure;
            continue;
          }
          cameShort |= got.size() / 2 < take[p];
          for (int k = 0; k < got.size(); k += 2) {
            claimed.add(new Claimed(Double.parseDouble(text(got.get(k))), RecordCodec.decode((byte[]) got.get(k + 1))));
          }
        }
      }
      // A lease not in the future leaves what was claimed due: looking again could take it twice.
      if (failure != null || !cameShort || leaseMillis <= nowMillis) {
        break;
      }
    }
    if (failure != null) {
      if (claimed.isEmpty()) {
        throw failure;
      }
      LOG.log(System.Logger.Level.WARNING, "claim: some partitions failed, returning the {0} claimed elsewhere: {1}",
          claimed.size(), failure.getMessage());
    }
    claimed.sort(Comparator.comparingDouble(Claimed::wake).thenComparingLong(c -> c.transaction().id()));
    return claimed.stream().map(Claimed::transaction).toList();
  }

  private record Claimed(double wake, Transaction transaction) {}

  @Override
  public int purgeFinished(Instant finishedBefore, int limit) {
    Objects.requireNonNull(finishedBefore, "finishedBefore");
    if (!TransactionStore.checkLimit("purge limit", limit)) {
      return 0;
    }
    ensureOpen();
    // Finish times are whole milliseconds: "before" a partial millisecond includes that millisecond.
    long bound = Layout.clamp(Millis.ceil(finishedBefore));
    int[] take = plan(limit, "purge", (p, offset, last, count) ->
        redis.commands.zrangebyscoreWithScores(layout.finished(p),
            Range.from(Boundary.unbounded(), Boundary.excluding(bound)), Limit.create(offset, count)));
    List<CompletionStage<Long>> runs = new ArrayList<>();
    for (int p = 0; p < take.length; p++) {
      if (take[p] > 0) {
        runs.add(redis.run(Script.PURGE, ScriptOutputType.INTEGER,
            new byte[][] {layout.finished(p), layout.ids(p), layout.due(p)}, Layout.ascii("(" + bound),
            Layout.ascii(Integer.toString(take[p])), layout.recordPrefix(p)));
      }
    }
    int deleted = 0;
    for (CompletionStage<Long> run : runs) {
      deleted += redis.await(run, "purge").intValue();
    }
    return deleted;
  }

  /** How many of the {@code wanted} first entries of the merged index lie in each partition. */
  private int[] plan(int wanted, String operation, PartitionMerge.Reader reader) {
    int[] take = new int[layout.partitions];
    PartitionMerge merge = new PartitionMerge(redis, operation, layout.partitions, wanted, false, reader);
    Entry e;
    for (int n = 0; n < wanted && (e = merge.next()) != null; n++) {
      take[e.partition()]++;
    }
    return take;
  }

  @Override
  public boolean kvPut(KvEntry entry, long expectedVersion) {
    Objects.requireNonNull(entry, "entry");
    if (expectedVersion < 0) {
      throw new IllegalArgumentException("expected version must not be negative, got " + expectedVersion);
    }
    if (expectedVersion == 0 ? entry.version() < 1 : entry.version() != expectedVersion + 1) {
      throw new IllegalArgumentException((expectedVersion == 0 ? "a new entry's version must be at least 1"
          : "next version must be " + (expectedVersion + 1)) + ", got " + entry.version());
    }
    byte[] encoded = KvCodec.encode(entry);
    ensureOpen();
    String operation = "put of key-value entry " + entry.category() + "/" + entry.key();
    byte[] entries = layout.kvEntries(entry.category());
    byte[] order = layout.kvOrder(entry.category());
    byte[] field = Layout.kvField(entry.key());
    Long written;
    if (expectedVersion == 0 && redis.clustered) {
      // The id sequence is in another slot: take the id first (a refused create leaves a gap).
      long id = redis.await(redis.commands.incr(layout.kvSequence), operation);
      KvCodec.patchId(encoded, id);
      written = redis.await(redis.run(Script.KV_PUT, ScriptOutputType.INTEGER, new byte[][] {entries, order}, field,
          encoded, EMPTY, Layout.ascii(Long.toString(id))), operation);
    } else if (expectedVersion == 0) {
      written = redis.await(redis.run(Script.KV_PUT, ScriptOutputType.INTEGER,
          new byte[][] {entries, order, layout.kvSequence}, field, encoded, EMPTY, EMPTY), operation);
    } else {
      written = redis.await(redis.run(Script.KV_PUT, ScriptOutputType.INTEGER, new byte[][] {entries, order}, field,
          encoded, Layout.be64(expectedVersion), EMPTY), operation);
    }
    return written == 1;
  }

  @Override
  public boolean kvDelete(String category, String key, long expectedVersion) {
    Objects.requireNonNull(category, "category");
    Objects.requireNonNull(key, "key");
    ensureOpen();
    Long deleted = redis.await(redis.run(Script.KV_DELETE, ScriptOutputType.INTEGER,
        new byte[][] {layout.kvEntries(category), layout.kvOrder(category)}, Layout.kvField(key),
        Layout.be64(expectedVersion)), "delete of key-value entry " + category + "/" + key);
    return deleted == 1;
  }

  // ------------------------------------------------------------------------------------------------ reads

  @Override
  public Optional<Transaction> find(String gid) {
    Objects.requireNonNull(gid, "gid");
    ensureOpen();
    byte[] name = RecordCodec.utf8(gid);
    byte[] record = redis.await(redis.commands.hget(layout.record(layout.partitionOf(name), name), RECORD),
        "find of " + gid);
    return record == null ? Optional.empty() : Optional.of(RecordCodec.decode(record));
  }

  @Override
  public Page list(ListQuery q) {
    Objects.requireNonNull(q, "query");
    if (q.limit() < 1) {
      throw new IllegalArgumentException("list limit must be at least 1, got " + q.limit());
    }
    if (q.gid() != null) {
      return new Page(find(q.gid()).filter(q::matches).stream().toList(), 0);
    }
    ensureOpen();
    Boundary<Long> newest = q.beforeId() > 0 ? Boundary.excluding(q.beforeId()) : Boundary.unbounded();
    int wanted = (int) Math.min(Integer.MAX_VALUE, q.limit() + 1L);
    PartitionMerge merge = new PartitionMerge(redis, "list", layout.partitions, wanted, true,
        (p, offset, last, count) -> redis.commands.zrevrangebyscoreWithScores(layout.ids(p),
            Range.from(Boundary.unbounded(), last == null ? newest : Boundary.excluding((long) last.score())),
            Limit.create(0, count)));
    int wantedStatus = q.status() == null ? -1 : q.status().code();
    List<Transaction> rows = new ArrayList<>();
    while (rows.size() <= q.limit()) {
      List<Entry> batch = take(merge, Math.max(16, wanted - rows.size()));
      if (batch.isEmpty()) {
        break;
      }
      List<byte[]> records = records(batch, "list");
      for (int i = 0; i < batch.size() && rows.size() <= q.limit(); i++) {
        byte[] record = records.get(i);
        if (record == null) {
          continue; // purged since the index was read
        }
        RecordCodec.checkSchema(record);
        if (RecordCodec.id(record) != (long) batch.get(i).score()
            || (wantedStatus >= 0 && RecordCodec.statusCode(record) != wantedStatus)) {
          continue;
        }
        Transaction t = RecordCodec.decode(record);
        if (q.matches(t)) {
          rows.add(t);
        }
      }
    }
    return Page.ofOverfetched(rows, q.limit());
  }

  @Override
  public List<Transaction> wakingAfter(Instant after, int limit) {
    Objects.requireNonNull(after, "after");
    if (!TransactionStore.checkLimit("limit", limit)) {
      return List.of();
    }
    ensureOpen();
    // Stored wake times are whole milliseconds: "after" a partial millisecond is from the next whole one on.
    long from = Layout.clamp(Millis.floor(after));
    PartitionMerge merge = new PartitionMerge(redis, "wakingAfter", layout.partitions, limit, false,
        (p, offset, last, count) -> redis.commands.zrangebyscoreWithScores(layout.due(p),
            Range.from(Boundary.excluding(from), Boundary.unbounded()), Limit.create(offset, count)));
    List<Entry> entries = take(merge, limit);
    // Ties at the last wake time are broken by id, which only the records know: take the tied ones too (bounded).
    if (entries.size() == limit) {
      double lastWake = entries.get(limit - 1).score();
      for (Entry e; entries.size() < 2 * limit && (e = merge.next()) != null && e.score() == lastWake; ) {
        entries.add(e);
      }
    }
    List<byte[]> records = records(entries, "wakingAfter");
    List<Transaction> out = new ArrayList<>(records.size());
    for (byte[] record : records) {
      if (record != null) {
        Transaction t = RecordCodec.decode(record);
        if (!t.isFinal() && t.nextWake() != null && t.nextWake().isAfter(after)) {
          out.add(t);
        }
      }
    }
    out.sort(Comparator.comparing(Transaction::nextWake).thenComparingLong(Transaction::id));
    return out.size() > limit ? List.copyOf(out.subList(0, limit)) : out;
  }

  private static List<Entry> take(PartitionMerge merge, int n) {
    List<Entry> out = new ArrayList<>(Math.min(n, 1024));
    Entry e;
    while (out.size() < n && (e = merge.next()) != null) {
      out.add(e);
    }
    return out;
  }

  /** The records of the entries' gids, read in parallel; {@code null} where one is gone. */
  private List<byte[]> records(List<Entry> entries, String operation) {
    List<CompletionStage<byte[]>> reads = new ArrayList<>(entries.size());
    for (Entry e : entries) {
      reads.add(redis.commands.hget(layout.record(e.partition(), e.member()), RECORD));
    }
    List<byte[]> out = new ArrayList<>(reads.size());
    for (CompletionStage<byte[]> read : reads) {
      out.add(redis.await(read, operation));
    }
    return out;
  }

  @Override
  public Optional<KvEntry> kvFind(String category, String key) {
    Objects.requireNonNull(category, "category");
    Objects.requireNonNull(key, "key");
    ensureOpen();
    byte[] stored = redis.await(redis.commands.hget(layout.kvEntries(category), Layout.kvField(key)),
        "find of key-value entry " + category + "/" + key);
    return stored == null ? Optional.empty() : Optional.of(KvCodec.decode(category, key, stored));
  }

  @Override
  public List<KvEntry> kvScan(String category, String afterKey, int limit) {
    Objects.requireNonNull(category, "category");
    Objects.requireNonNull(afterKey, "afterKey");
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative, got " + limit);
    }
    if (limit == 0) {
      return List.of();
    }
    ensureOpen();
    byte[] after = Layout.kvField(afterKey);
    byte[] bound = new byte[after.length + 1];
    bound[0] = '(';
    System.arraycopy(after, 0, bound, 1, after.length);
    List<Object> found = redis.await(redis.run(Script.KV_SCAN, ScriptOutputType.MULTI,
        new byte[][] {layout.kvEntries(category), layout.kvOrder(category)}, bound,
        Layout.ascii(Integer.toString(limit))), "scan of key-value category " + category);
    List<KvEntry> out = new ArrayList<>(found.size() / 2);
    for (int i = 0; i < found.size(); i += 2) {
      out.add(KvCodec.decode(category, Layout.kvKeyOf((byte[]) found.get(i)), (byte[]) found.get(i + 1)));
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------- life cycle

  /** Closes the connection and the client. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      redis.close();
      LOG.log(System.Logger.Level.DEBUG, "Redis store at {0} closed", redis.where);
    }
  }

  /** The settings this store was opened with. */
  public RedisStoreOptions options() {
    return options;
  }

  /** The key layout, for tests in this package. */
  Layout layout() {
    return layout;
  }

  /** The connection, for tests in this package. */
  Redis redis() {
    return redis;
  }

  private void ensureOpen() {
    if (closed.get()) {
      throw new IllegalStateException("the Redis store at " + redis.where + " is closed");
    }
  }

  // ---------------------------------------------------------------------------------------------- helpers

  /** A wake or finish time as an index score, or empty for "not in the index" ({@link RecordCodec#NULL}). */
  private static byte[] indexScore(long millis) {
    return millis == RecordCodec.NULL ? EMPTY : Layout.score(millis);
  }

  /** The byte length of the owner field at the end of a record: the varint of (UTF-8 length + 1), then the bytes. */
  private static byte[] ownerLength(String owner) {
    int length = RecordCodec.utf8(owner).length;
    return Layout.ascii(Integer.toString(varintSize(length + 1) + length));
  }

  private static int varintSize(int v) {
    return v >>> 7 == 0 ? 1 : v >>> 14 == 0 ? 2 : v >>> 21 == 0 ? 3 : v >>> 28 == 0 ? 4 : 5;
  }

  /** Unsigned LEB128, as {@link RecordCodec} writes it; returns the position after it. */
  private static int writeVarint(byte[] out, int at, int v) {
    while ((v & ~0x7F) != 0) {
      out[at++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out[at++] = (byte) v;
    return at;
  }



  private static String text(Object bulk) {
    return bulk == null ? "null" : new String((byte[]) bulk, StandardCharsets.US_ASCII);
  }
}
