package io.cohort.store.embedded;

import io.cohort.core.codec.Millis;
import io.cohort.core.codec.KvCodec;
import io.cohort.core.codec.RecordCodec;
import io.cohort.core.model.Transaction;
import io.cohort.core.port.TransactionStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.CompressionType;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Snapshot;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteOptions;

/**
 * The default durable store: RocksDB inside the coordinator's process, no external service.
 *
 * <p><b>Model.</b> One key per transaction, {@code t/<gid>}, holding the whole aggregate (transaction, options,
 * branches) in the versioned binary form of {@link RecordCodec}; a write replaces it as a whole. Three secondary
 * indexes live in the same keyspace and are changed in the same atomic batch as the record they describe: the wake
 * index ({@code w/<nextWake><gid>}, non-final transactions with a wake time only) that {@link #claimDue} scans from
 * its start up to {@code now}; the id index ({@code i/<id>} → gid) that {@link #list} walks backwards; the finish
 * index ({@code f/<finishTime><gid>}, final transactions only) that {@link #purgeFinished} scans. {@link Keys} has the
 * exact layout. The last id handed out is kept under {@code m/last-id} and recovered on open, so ids keep increasing
 * across restarts even after the newest transactions were purged. Key-value entries live apart, one key each under
 * {@code k/<category>\0<key>} ({@link KvCodec}), sorted so that one category is one contiguous range in key order;
 * their ids have their own counter, {@code m/last-kv-id}.
 *
 * <p><b>Concurrency.</b> Callers are virtual threads, and a virtual thread inside a JNI call pins its carrier: with
 * two carriers, two callers waiting for a disk sync would stop every other virtual thread in the server. So callers
 * never write. {@link #insert}, {@link #update}, {@link #claimDue} and {@link #purgeFinished} encode their record on
 * the caller's thread (cheap, parallel), enqueue a request and park on its future; one platform thread, the
 * {@link GroupCommitWriter}, drains the queue, decides every request in order (insert-if-absent, compare-and-set on the
 * version, claim, key-value compare-and-set), folds the effects of the whole batch into one {@code WriteBatch} and
 * writes it with one synced
 * write. Under load a batch holds as many requests as arrived during the previous sync, so the sync cost is shared;
 * at low load a lone request is written at once, without waiting for company. Because the writer is the only thread
 * that writes, deciding a request needs no locks: the stored state plus the batch's own earlier effects (an overlay
 * map) is the truth. Reads ({@link #find}, {@link #list}, {@link #wakingAfter}, {@link #kvFind}, {@link #kvScan}) go
 * to RocksDB directly on the caller's thread: they are short and never wait for a sync.
 *
 * <p><b>Crash safety.</b> A request is answered only after the batch holding it was written with {@code sync=true}
 * (RocksDB's write-ahead log is fsynced), so an acknowledged write survives a crash of the process or the machine;
 * RocksDB replays the log on open (point-in-time recovery: a torn tail, never acknowledged, is dropped). A batch is
 * atomic, so a record and its index entries never disagree. A batch whose write fails fails all its requests; as with
 * any failed sync, such a write may or may not be found after a restart, and callers must treat the failure as "outcome
 * unknown" (the engine does: it re-reads before acting again). With {@code syncWrites=false} (tests, benchmarks) a
 * write survives a process crash but not a machine crash.
 *
 * <p><b>Ordering.</b> Requests are decided in queue order, and a later request in a batch sees the earlier ones'
 * effects, so the result is the same as if they had run one by one in that order. Ids are handed out by the writer in
 * that order too: strictly increasing in insertion order, with gaps only where a batch failed. {@link #claimDue} takes
 * the earliest wake times first (ties by gid bytes); {@link #purgeFinished} the earliest finish times. A read sees
 * every write acknowledged before it started, and {@link #list} reads one consistent snapshot.
 *
 * <p><b>Precision.</b> Instants and durations are kept to the millisecond, as the store contract requires; finer
 * parts are truncated on write. The transaction {@link #insert} returns is the caller's, with its id set.
 */
public final class EmbeddedTransactionStore implements TransactionStore {
  private static final System.Logger LOG = System.getLogger(EmbeddedTransactionStore.class.getName());

  private final Path dir;
  private final EmbeddedStoreOptions settings;
  private final RocksDB db;
  private final Resources resources;
  private final GroupCommitWriter writer;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Reads hold the read lock; close() takes the write lock so no read is inside RocksDB when it is closed. */
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private boolean dbClosed;

  private EmbeddedTransactionStore(Path dir, EmbeddedStoreOptions settings, RocksDB db, Resources resources,
      long lastId, long lastKvId) {
    this.dir = dir;
    this.settings = settings;
    this.db = db;
    this.resources = resources;
    this.writer = new GroupCommitWriter(db, resources.writeOptions, settings, lastId, lastKvId, dir.toString());
    writer.start();
  }

  /**
   * Opens (creating if needed) the store in {@code dir}. One store at a time may have a directory open.
   *
   * @throws IllegalStateException when another open store (in this process or another) holds the directory, or the
   *     directory holds data this build cannot read
   * @throws UncheckedIOException when the directory cannot be created or opened
   */
  public static EmbeddedTransactionStore open(Path dir, EmbeddedStoreOptions options) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(options, "options");
    Path absolute = dir.toAbsolutePath();
    try {
      Files.createDirectories(absolute);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the embedded store directory " + absolute + ": " + e, e);
    }
    NativeLibrary.load();
    Resources resources = new Resources(options);
    RocksDB db;
    try {
      db = RocksDB.open(resources.options, absolute.toString());
    } catch (RocksDBException e) {
      resources.close();
      throw openFailure(absolute, e);
    }
    try {
      checkLayout(db, absolute);
      long lastId = recoverLastId(db);
      // Written in the same atomic batch as every entry that takes a new id, so it is never behind them.
      byte[] lastKvIdValue = db.get(Keys.LAST_KV_ID);
      long lastKvId = lastKvIdValue == null ? 0 : Keys.longOf(lastKvIdValue);
      LOG.log(System.Logger.Level.INFO, "embedded store opened at {0} (last id {1}, {2})", absolute, lastId,
          options);
      return new EmbeddedTransactionStore(absolute, options, db, resources, lastId, lastKvId);
    } catch (RocksDBException | RuntimeException e) {
      db.close();
      resources.close();
      if (e instanceof RocksDBException r) {
        throw openFailure(absolute, r);
      }
      throw (RuntimeException) e;
    }
  }

  private static RuntimeException openFailure(Path dir, RocksDBException e) {
    String message = String.valueOf(e.getMessage());
    // RocksDB names its lock file: "While lock file: <dir>/LOCK: Resource temporarily unavailable" (another
    // process), "lock hold by current process ... lock file: <dir>/LOCK" (this one). Not just "lock": "block".
    if (message.contains("LOCK") || message.contains("lock hold")) {
      return new IllegalStateException("cannot open the embedded store at " + dir
          + ": the directory is locked by another open store (in this process or another); close it first ("
          + message + ")", e);
    }
    return new UncheckedIOException("cannot open the embedded store at " + dir + ": " + message, new IOException(e));
  }

  /** Marks a new store with the key layout version, and refuses a directory written with another layout. */
  private static void checkLayout(RocksDB db, Path dir) throws RocksDBException {
    byte[] format = db.get(Keys.FORMAT);
    if (format == null) {
      try (RocksIterator it = db.newIterator()) {
        it.seekToFirst();
        if (it.isValid()) {
          throw new IllegalStateException("cannot open the embedded store at " + dir
              + ": the directory holds a RocksDB database that is not a Cohort embedded store");
        }
        it.status();
      }
      try (WriteOptions sync = new WriteOptions().setSync(true)) {
        db.put(sync, Keys.FORMAT, new byte[] {(byte) Keys.LAYOUT_VERSION});
      }
    } else if (format.length != 1 || format[0] != Keys.LAYOUT_VERSION) {
      throw new IllegalStateException("cannot open the embedded store at " + dir + ": its key layout version is "
          + (format.length == 1 ? format[0] : "unreadable") + "; this build of Cohort reads version "
          + Keys.LAYOUT_VERSION + " only (was it written by a newer Cohort?)");
    }
  }

  /** The larger of the recorded last id and the newest id in the id index. */
  private static long recoverLastId(RocksDB db) throws RocksDBException {
    byte[] recorded = db.get(Keys.LAST_ID);
    long lastId = recorded == null ? 0 : Keys.longOf(recorded);
    try (RocksIterator it = db.newIterator()) {
      it.seekForPrev(Keys.end(Keys.ID));
      if (it.isValid() && Keys.hasPrefix(it.key(), Keys.ID)) {
        lastId = Math.max(lastId, Keys.idOf(it.key()));
      }
      it.status();
    }
    return lastId;
  }

  // ----------------------------------------------------------------------------------------------- writes

  @Override
  public InsertResult insert(Transaction t) {
    Objects.requireNonNull(t, "transaction");
    byte[] gid = RecordCodec.utf8(Objects.requireNonNull(t.gid(), "gid"));
    return writer.submit(new GroupCommitWriter.Insert(t, gid, RecordCodec.encode(t)));
  }

  @Override
  public boolean update(Transaction next, long expectedVersion) {
    Objects.requireNonNull(next, "next");
    if (next.version() != expectedVersion + 1) {
      throw new IllegalArgumentException("next version must be " + (expectedVersion + 1) + ", got " + next.version());
    }
    byte[] gid = RecordCodec.utf8(Objects.requireNonNull(next.gid(), "gid"));
    return writer.submit(new GroupCommitWriter.Update(next.gid(), gid, RecordCodec.encode(next), expectedVersion));
  }

  @Override
  public List<Transaction> claimDue(Instant now, int limit, String ownerToken, Instant leaseUntil) {
    if (!TransactionStore.checkClaim(now, limit, ownerToken, leaseUntil)) {
      return List.of();
    }
    // The lease as it will be stored, so the claimed copies returned equal what find() reads.
    Instant lease = Instant.ofEpochMilli(RecordCodec.millis(leaseUntil));
    return writer.submit(new GroupCommitWriter.Claim(now, limit, ownerToken, lease));
  }

  @Override
  public int purgeFinished(Instant finishedBefore, int limit) {
    Objects.requireNonNull(finishedBefore, "finishedBefore");
    if (!TransactionStore.checkLimit("purge limit", limit)) {
      return 0;
    }
    return writer.submit(new GroupCommitWriter.Purge(finishedBefore, limit));
  }

  @Override
  public boolean kvPut(KvEntry entry, long expectedVersion) {
    Objects.requireNonNull(entry, "entry");
    checkKvName("category", entry.category());
    checkKvName("key", entry.key());
    if (expectedVersion < 0) {
      throw new IllegalArgumentException("expected version must not be negative, got " + expectedVersion);
    }
    if (expectedVersion == 0 ? entry.version() < 1 : entry.version() != expectedVersion + 1) {
      throw new IllegalArgumentException((expectedVersion == 0 ? "a new entry's version must be at least 1"
          : "next version must be " + (expectedVersion + 1)) + ", got " + entry.version());
    }
    return writer.submit(new GroupCommitWriter.KvPut(entry.category(), entry.key(), KvCodec.encode(entry),
        expectedVersion));
  }

  @Override
  public boolean kvDelete(String category, String key, long expectedVersion) {
    checkKvName("category", category);
    checkKvName("key", key);
    return writer.submit(new GroupCommitWriter.KvDelete(category, key, expectedVersion));
  }

  /** A {@code \0} would end the category early in the entry's key ({@link Keys}): refuse it instead of misfiling. */
  private static void checkKvName(String what, String name) {
    Objects.requireNonNull(name, what);
    if (name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("a key-value " + what + " must not contain \\0, got " + quoted(name));
    }
  }

  private static String quoted(String s) {
    return "\"" + s.replace("\0", "\\0") + "\"";
  }

  // ------------------------------------------------------------------------------------------------ reads

  @Override
  public Optional<Transaction> find(String gid) {
    Objects.requireNonNull(gid, "gid");
    byte[] key = Keys.record(RecordCodec.utf8(gid));
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      byte[] record = db.get(key);
      return record == null ? Optional.empty() : Optional.of(RecordCodec.decode(record));
    } catch (RocksDBException e) {
      throw readFailure(e);
    } finally {
      lifecycle.readLock().unlock();
    }
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
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      return listById(q);
    } catch (RocksDBException e) {
      throw readFailure(e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** Walks the id index backwards from {@code beforeId}, in one snapshot, until a row past the page is found. */
  private Page listById(ListQuery q) throws RocksDBException {
    List<Transaction> rows = new ArrayList<>(Math.min(q.limit() + 1, 256));
    Snapshot snapshot = db.getSnapshot();
    try (ReadOptions point = new ReadOptions().setSnapshot(snapshot);
        Slice lower = new Slice(Keys.start(Keys.ID));
        Slice upper = new Slice(q.beforeId() > 0 ? Keys.id(q.beforeId()) : Keys.end(Keys.ID));
        ReadOptions range = new ReadOptions().setSnapshot(snapshot).setIterateLowerBound(lower)
            .setIterateUpperBound(upper);
        RocksIterator it = db.newIterator(range)) {
      int wantedStatus = q.status() == null ? -1 : q.status().code();
      for (it.seekToLast(); it.isValid(); it.prev()) {
        long id = Keys.idOf(it.key());
        byte[] record = db.get(point, Keys.record(it.value()));
        if (record == null) {
          continue;
        }
        RecordCodec.checkSchema(record);
        // A gid purged and inserted again has a new id: its old id entry is stale, skip it.
        if (RecordCodec.id(record) != id
            || (wantedStatus >= 0 && RecordCodec.statusCode(record) != wantedStatus)) {
          continue;
        }
        Transaction t = RecordCodec.decode(record);
        if (q.matches(t)) {
          rows.add(t);
          if (rows.size() > q.limit()) {
            break;
          }
        }
      }
      it.status();
    } finally {
      db.releaseSnapshot(snapshot);
    }
    return Page.ofOverfetched(rows, q.limit());
  }

  @Override
  public List<Transaction> wakingAfter(Instant after, int limit) {
    Objects.requireNonNull(after, "after");
    TransactionStore.checkLimit("limit", limit);
    // Stored wake times are whole milliseconds: "after" is from the next whole millisecond on.
    long afterMillis = Millis.floor(after);
    if (limit == 0 || afterMillis == Long.MAX_VALUE) {
      return List.of();
    }
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      return wakingFrom(afterMillis + 1, limit);
    } catch (RocksDBException e) {
      throw readFailure(e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** Walks the wake index from {@code fromMillis}, in one snapshot so that every entry's record matches it. */
  private List<Transaction> wakingFrom(long fromMillis, int limit) throws RocksDBException {
    List<Transaction> out = new ArrayList<>(Math.min(limit, 256));
    Snapshot snapshot = db.getSnapshot();
    try (ReadOptions point = new ReadOptions().setSnapshot(snapshot);
        Slice upper = new Slice(Keys.end(Keys.WAKE));
        ReadOptions range = new ReadOptions().setSnapshot(snapshot).setIterateUpperBound(upper);
        RocksIterator it = db.newIterator(range)) {
      for (it.seek(Keys.timeBound(Keys.WAKE, fromMillis)); it.isValid() && out.size() < limit; it.next()) {
        byte[] key = it.key();
        byte[] record = db.get(point, Keys.record(Keys.gidOf(key)));
        // The index and the records are written in one batch and read in one snapshot, so they agree; a mismatch
        // would be damage, and the claim path logs it.
        if (record == null) {
          continue;
        }
        RecordCodec.checkSchema(record);
        if (RecordCodec.indexedWake(record) == Keys.timeOf(key)) {
          out.add(RecordCodec.decode(record));
        }
      }
      it.status();
    } finally {
      db.releaseSnapshot(snapshot);
    }
    return out;
  }

  @Override
  public Optional<KvEntry> kvFind(String category, String key) {
    checkKvName("category", category);
    checkKvName("key", key);
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      byte[] stored = db.get(Keys.kv(category, key));
      return stored == null ? Optional.empty() : Optional.of(KvCodec.decode(category, key, stored));
    } catch (RocksDBException e) {
      throw readFailure(e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  @Override
  public List<KvEntry> kvScan(String category, String afterKey, int limit) {
    checkKvName("category", category);
    Objects.requireNonNull(afterKey, "afterKey");
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative, got " + limit);
    }
    if (limit == 0) {
      return List.of();
    }
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      return kvRange(category, afterKey, limit);
    } catch (RocksDBException e) {
      throw readFailure(e);
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  private List<KvEntry> kvRange(String category, String afterKey, int limit) throws RocksDBException {
    // The first key sorting after afterKey's is afterKey's bytes and one 0 byte, the smallest continuation. (A \0 in
    // afterKey, which no stored key has, does not change that.)
    byte[] after = Keys.kv(category, afterKey);
    byte[] from = Arrays.copyOf(after, after.length + 1);
    List<KvEntry> out = new ArrayList<>(Math.min(limit, 256));
    try (Slice upper = new Slice(Keys.kvEnd(category));
        ReadOptions range = new ReadOptions().setIterateUpperBound(upper);
        RocksIterator it = db.newIterator(range)) {
      for (it.seek(from); it.isValid() && out.size() < limit; it.next()) {
        out.add(KvCodec.decode(category, Keys.kvKeyOf(it.key()), it.value()));
      }
      it.status();
    }
    return out;
  }

  private void ensureOpen() {
    if (dbClosed) {
      throw new IllegalStateException("the embedded store at " + dir + " is closed");
    }
  }

  private UncheckedIOException readFailure(RocksDBException e) {
    return new UncheckedIOException("embedded store at " + dir + ": read failed: " + e.getMessage(),
        new IOException(e));
  }

  // ------------------------------------------------------------------------------------------- life cycle

  /** Finishes the queued writes, stops the writer and closes RocksDB. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    writer.stop();
    lifecycle.writeLock().lock();
    try {
      dbClosed = true;
      if (!settings.syncWrites()) {
        try {
          db.syncWal();
        } catch (RocksDBException e) {
          LOG.log(System.Logger.Level.WARNING, "embedded store at {0}: final WAL sync failed: {1}", dir, e);
        }
      }
      try {
        db.closeE();
      } catch (RocksDBException e) {
        LOG.log(System.Logger.Level.WARNING, "embedded store at {0}: close reported: {1}", dir, e);
      }
      resources.close();
    } finally {
      lifecycle.writeLock().unlock();
    }
    LOG.log(System.Logger.Level.DEBUG, "embedded store at {0} closed", dir);
  }

  /** The writer, for tests and measurements in this package. */
  GroupCommitWriter writer() {
    return writer;
  }

  Path directory() {
    return dir;
  }

  /**
   * The native option objects a RocksDB instance uses; they must outlive it and be closed after it.
   *
   * <p>Tuning: a write-heavy, small-record workload. Memtables of {@code writeBufferBytes} (three at most), LZ4,
   * dynamic level sizes, two background jobs (the machine may have two cores), whole-key Bloom filters so that an
   * insert's "is this gid taken?" lookup rarely touches a file, index and filter blocks held by the table readers. Table
   * files are synced every MiB as they are written ({@code bytes_per_sync}), so a flush or compaction never leaves a
   * large heap of dirty pages for the next log sync to wait behind. The write-ahead log stays on, with point-in-time
   * recovery and no log recycling.
   */
  private static final class Resources implements AutoCloseable {
    final LRUCache cache;
    final BloomFilter filter;
    final Options options;
    final WriteOptions writeOptions;

    Resources(EmbeddedStoreOptions settings) {
      cache = new LRUCache(settings.blockCacheBytes());
      filter = new BloomFilter(10);
      BlockBasedTableConfig table = new BlockBasedTableConfig()
          .setBlockCache(cache)
          .setFilterPolicy(filter)
          .setWholeKeyFiltering(true)
          // Index and filter blocks live with their table readers, not in the block cache: once compaction builds a
          // file whose index or filter block is larger than one cache shard, a cached block is never kept, and every
          // insert's "is this gid taken?" lookup re-read about 2.7 MB (150 µs instead of 1 µs: the single writer
          // then capped the coordinator near 6.5k transactions/s). The cost is memory proportional to the data:
          // about 3 MB per million keys.
          .setCacheIndexAndFilterBlocks(false);
      options = new Options()
          .setCreateIfMissing(true)
          .setWriteBufferSize(settings.writeBufferBytes())
          .setMaxWriteBufferNumber(3)
          .setMaxBackgroundJobs(2)
          .setCompressionType(CompressionType.LZ4_COMPRESSION)
          .setLevelCompactionDynamicLevelBytes(true)
          .setTableFormatConfig(table)
          .setWalRecoveryMode(WALRecoveryMode.PointInTimeRecovery)
          .setRecycleLogFileNum(0)
          .setBytesPerSync(1L << 20)
          .setKeepLogFileNum(5);
      writeOptions = new WriteOptions().setSync(settings.syncWrites());
    }

    @Override
    public void close() {
      writeOptions.close();
      options.close();
      filter.close();
      cache.close();
    }
  }
}
