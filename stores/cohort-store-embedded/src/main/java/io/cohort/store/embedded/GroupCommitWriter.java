package io.cohort.store.embedded;

import static io.cohort.core.codec.RecordCodec.NULL;

import io.cohort.core.codec.Millis;
import io.cohort.core.codec.KvCodec;
import io.cohort.core.codec.RecordCodec;
import io.cohort.core.model.Transaction;
import io.cohort.core.port.TransactionStore.InsertResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The one thread that writes. Callers enqueue a {@link Request} and park on it (it is a {@link CompletableFuture});
 * the writer drains whatever is queued (up to {@code maxBatch}), decides each request in queue order against the
 * stored state plus the effects of the requests before it in the same batch (the {@link #overlay}), folds all the
 * effects into one {@link WriteBatch}, writes it with one synced {@code db.write}, and only then completes the
 * futures. A failed write fails every request of its batch; nothing of it was acknowledged.
 *
 * <p>Everything but {@link #submit} and {@link #stop} runs on the writer thread, so the fields below need no locks.
 *
 * <p>Key-value entries ({@link KvPut}, {@link KvDelete}) go through the same queue and batches as transactions, for
 * the same reasons: their compare-and-set is decided here, in order, against the stored entry plus the batch's own
 * earlier effects (a second overlay, {@link #kvOverlay}), and they are acknowledged only once synced. Their ids come
 * from their own counter, kept under {@code m/last-kv-id} in the batch that hands one out.
 *
 * <p><b>Index floors.</b> Deleted index keys linger as tombstones until compaction, and the wake index churns (every
 * lease renewal moves a key), so scanning it from its first key would walk over every recent deletion. The writer
 * keeps, per time index, a floor below which it knows no live key exists: a scan seeks to the floor, and after a scan
 * the floor rises to the first key found (or past the scanned range). Every put lowers the floor to its time. A
 * failed write resets the floors to "scan from the start".
 */
final class GroupCommitWriter {
  private static final System.Logger LOG = System.getLogger(GroupCommitWriter.class.getName());
  /** The overlay value of a transaction deleted earlier in the batch (compared by identity). */
  private static final byte[] DELETED = new byte[0];
  private static final byte[] EMPTY = new byte[0];

  private final RocksDB db;
  private final WriteOptions writeOptions;
  private final String description;
  private final int maxBatch;
  private final ArrayBlockingQueue<Request<?>> queue;
  private final Thread thread;
  private volatile boolean closing;

  // Writer-thread state.
  private final Map<String, byte[]> overlay = new HashMap<>();
  /** Like {@link #overlay}, for key-value entries: their encoded value as of this point of the batch, or DELETED. */
  private final Map<String, byte[]> kvOverlay = new HashMap<>();
  private final WriteBatch batch = new WriteBatch();
  private final byte[] header = new byte[RecordCodec.HEADER_LENGTH];
  private long lastId;
  private long lastIdWritten;
  private long lastKvId;
  private long lastKvIdWritten;
  private long wakeFloor = NULL;
  private long finishFloor = NULL;
  private long batchMinWake;
  private long batchMinFinish;
  private boolean mutating;

  // Counters, written by the writer thread only; read for tests and measurements.
  private volatile long batches;
  private volatile long requests;
  private volatile int largestBatch;

  GroupCommitWriter(RocksDB db, WriteOptions writeOptions, EmbeddedStoreOptions options, long lastId, long lastKvId,
      String description) {
    this.db = db;
    this.writeOptions = writeOptions;
    this.description = description;
    this.maxBatch = options.maxBatch();
    this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
    this.lastId = lastId;
    this.lastIdWritten = lastId;
    this.lastKvId = lastKvId;
    this.lastKvIdWritten = lastKvId;
    this.thread = Thread.ofPlatform().name("cohort-store-writer").daemon(true).unstarted(this::run);
  }

  void start() {
    thread.start();
  }

  // ------------------------------------------------------------------------------------------------ requests

  /** A queued write; the writer sets {@link #outcome} or {@link #failure} while deciding it. */
  abstract static sealed class Request<R> extends CompletableFuture<R>
      permits Insert, Update, Claim, Purge, KvPut, KvDelete, Stop {
    R outcome;
    RuntimeException failure;

    void finish() {
      if (failure != null) {
        completeExceptionally(failure);
      } else {
        complete(outcome);
      }
    }
  }

  /** Insert-if-absent; {@code record} is the encoded transaction, its id patched in by the writer. */
  static final class Insert extends Request<InsertResult> {
    final Transaction transaction;
    final String gid;
    final byte[] gidBytes;
    final byte[] key;
    final byte[] record;

    Insert(Transaction transaction, byte[] gidBytes, byte[] record) {
      this.transaction = transaction;
      this.gid = transaction.gid();
      this.gidBytes = gidBytes;
      this.key = Keys.record(gidBytes);
      this.record = record;
    }
  }

  /** Compare-and-set on the stored version; {@code record} is the encoded next state, its id patched in. */
  static final class Update extends Request<Boolean> {
    final String gid;
    final byte[] gidBytes;
    final byte[] key;
    final byte[] record;
    final long expectedVersion;

    Update(String gid, byte[] gidBytes, byte[] record, long expectedVersion) {
      this.gid = gid;
      this.gidBytes = gidBytes;
      this.key = Keys.record(gidBytes);
      this.record = record;
      this.expectedVersion = expectedVersion;
    }
  }

  static final class Claim extends Request<List<Transaction>> {
    final long nowMillis;
    final int limit;
    final String owner;
    final Instant leaseUntil;

    Claim(Instant now, int limit, String owner, Instant leaseUntil) {
      this.nowMillis = Millis.floor(now);
      this.limit = limit;
      this.owner = owner;
      this.leaseUntil = leaseUntil;
    }
  }

  static final class Purge extends Request<Integer> {
    /** The latest finish time purged (inclusive), in millis. */
    final long lastFinishMillis;
    final int limit;

    Purge(Instant finishedBefore, int limit) {
      long floor = Millis.floor(finishedBefore);
      // finish < finishedBefore: whole milliseconds strictly before it, or up to it when it has a sub-ms part.
      boolean whole = floor == Long.MIN_VALUE || Instant.ofEpochMilli(floor).equals(finishedBefore);
      this.lastFinishMillis = whole && floor != Long.MIN_VALUE ? floor - 1 : floor;
      this.limit = limit;
    }
  }


  /**
   * A key-value create ({@code expectedVersion == 0}: only if absent; the writer patches in the new id) or
   * compare-and-set replace (the writer patches in the stored id and create time); {@code value} is encoded by
   * {@link KvCodec}.
   */
  static final class KvPut extends Request<Boolean> {
    final String entry;
    final byte[] key;
    final byte[] value;
    final long expectedVersion;

    KvPut(String category, String key, byte[] value, long expectedVersion) {
      this.entry = overlayKey(category, key);
      this.key = Keys.kv(category, key);
      this.value = value;
      this.expectedVersion = expectedVersion;
    }
  }

  /** Deletes a key-value entry if its stored version is {@code expectedVersion}. */
  static final class KvDelete extends Request<Boolean> {
    final String entry;
    final byte[] key;
    final long expectedVersion;

    KvDelete(String category, String key, long expectedVersion) {
      this.entry = overlayKey(category, key);
      this.key = Keys.kv(category, key);
      this.expectedVersion = expectedVersion;
    }
  }

  /** One string per entry: neither part holds {@code \0} (the store refuses it), so this is unambiguous. */
  private static String overlayKey(String category, String key) {
    return category + '\0' + key;
  }

  /** Tells the writer to finish what is queued and exit. */
  static final class Stop extends Request<Void> {}

  // ----------------------------------------------------------------------------------------- caller side

  /** Enqueues {@code r} and parks until the writer decided it and its batch is durable. */
  <R> R submit(Request<R> r) {
    if (closing) {
      throw closed();
    }
    boolean interrupted = putUninterruptibly(r);
    try {
      // close() may have raced us: if the writer is gone (or going) and has not taken r, take it back.
      if (closing && queue.remove(r)) {
        throw closed();
      }
      return r.join();
    } catch (CompletionException e) {
      throw rethrow(e.getCause());
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Stops accepting requests, lets the writer finish the queued ones, and waits for it to exit. */
  void stop() {
    closing = true;
    boolean interrupted = putUninterruptibly(new Stop());
    while (true) {
      try {
        thread.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    batch.close();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private boolean putUninterruptibly(Request<?> r) {
    boolean interrupted = false;
    while (true) {
      try {
        queue.put(r);
        return interrupted;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
  }

  private IllegalStateException closed() {
    return new IllegalStateException("the embedded store at " + description + " is closed");
  }

  /** A fresh exception in the caller's thread (for its stack trace), caused by what the writer saw. */
  private static RuntimeException rethrow(Throwable cause) {
    if (cause instanceof Error error) {
      throw error;
    }
    if (cause instanceof IOException io) {
      return new UncheckedIOException(io.getMessage(), io);
    }
    if (cause instanceof IllegalArgumentException) {
      return new IllegalArgumentException(cause.getMessage(), cause);
    }
    return new IllegalStateException(cause.getMessage(), cause);
  }

  long batches() {
    return batches;
  }

  long requests() {
    return requests;
  }

  int largestBatch() {
    return largestBatch;
  }

  // ----------------------------------------------------------------------------------------- writer thread

  private void run() {
    List<Request<?>> drained = new ArrayList<>(maxBatch);
    boolean stopping = false;
    while (true) {
      try {
        Request<?> first = stopping ? queue.poll() : queue.take();
        if (first == null) {
          return;
        }
        drained.add(first);
        queue.drainTo(drained, maxBatch - 1);
        for (Iterator<Request<?>> it = drained.iterator(); it.hasNext(); ) {
          if (it.next() instanceof Stop stop) {
            stopping = true;
            stop.complete(null);
            it.remove();
          }
        }
        if (!drained.isEmpty()) {
          commit(drained);
        }
      } catch (InterruptedException e) {
        // Nobody interrupts the writer; if someone does, keep serving until stopped.
      } catch (Throwable t) {
        LOG.log(System.Logger.Level.ERROR, "embedded store writer failed a batch", t);
        resetFloors();
        for (Request<?> r : drained) {
          r.completeExceptionally(t);
        }
      } finally {
        drained.clear();
      }
    }
  }

  /** Decides every request of the batch, writes their effects with one synced write, then answers them. */
  void commit(List<Request<?>> requests) {
    overlay.clear();
    kvOverlay.clear();
    batch.clear();
    batchMinWake = Long.MAX_VALUE;
    batchMinFinish = Long.MAX_VALUE;
    try {
      for (Request<?> r : requests) {
        mutating = false;
        try {
          decide(r);
        } catch (RuntimeException e) {
          if (mutating) {
            throw e; // the batch holds part of this request's effects: fail the whole batch
          }
          r.failure = e; // nothing of it was applied: fail this request alone
        }
      }
      if (lastId != lastIdWritten) {
        batch.put(Keys.LAST_ID, Keys.longValue(lastId));
      }
      if (lastKvId != lastKvIdWritten) {
        batch.put(Keys.LAST_KV_ID, Keys.longValue(lastKvId));
      }
      if (batch.count() > 0) {
        db.write(writeOptions, batch);
      }
      lastIdWritten = lastId;
      lastKvIdWritten = lastKvId;
    } catch (RocksDBException | RuntimeException e) {
      resetFloors();
      Exception failure = e instanceof RocksDBException
          ? new IOException("embedded store at " + description + ": write failed: " + e.getMessage(), e)
          : new IllegalStateException("embedded store at " + description + ": batch failed: " + e, e);
      for (Request<?> r : requests) {
        r.completeExceptionally(failure);
      }
      return;
    } finally {
      overlay.clear();
      kvOverlay.clear();
    }
    // Count before answering, so a caller that got its answer sees its batch counted.
    batches++;
    this.requests += requests.size();
    if (requests.size() > largestBatch) {
      largestBatch = requests.size();
    }
    for (Request<?> r : requests) {
      r.finish();
    }
  }

  /** After a failure nothing is known about what the indexes hold: scan them from the start again. */
  private void resetFloors() {
    wakeFloor = NULL;
    finishFloor = NULL;
  }

  private void decide(Request<?> r) throws RocksDBException {
    switch (r) {
      case Insert insert -> insert(insert);
      case Update update -> update(update);
      case Claim claim -> claim(claim);
      case Purge purge -> purge(purge);
      case KvPut put -> kvPut(put);
      case KvDelete delete -> kvDelete(delete);
      case Stop stop -> throw new IllegalStateException("stop is not a write");
    }
  }

  /** The record as of this point of the batch: the overlay first, then the database; null when absent. */
  private byte[] current(String gid, byte[] key) throws RocksDBException {
    byte[] pending = overlay.get(gid);
    if (pending != null) {
      return pending == DELETED ? null : pending;
    }
    byte[] stored = db.get(key);
    if (stored != null) {
      RecordCodec.checkSchema(stored); // header offsets are only known for the current schema
    }
    return stored;
  }

  /**
   * Like {@link #current}, but when the record comes from the database only its header is read, into a buffer reused
   * by the next call: what compare-and-set and re-indexing need, without copying the whole record out of RocksDB.
   */
  private byte[] currentHeader(String gid, byte[] key) throws RocksDBException {
    byte[] pending = overlay.get(gid);
    if (pending != null) {
      return pending == DELETED ? null : pending;
    }
    int length = db.get(key, header);
    if (length == RocksDB.NOT_FOUND) {
      return null;
    }
    if (length < RecordCodec.HEADER_LENGTH) {
      RecordCodec.checkSchema(Arrays.copyOf(header, length)); // fails, naming what is wrong
    }
    RecordCodec.checkSchema(header);
    return header;
  }

  private void insert(Insert r) throws RocksDBException {
    if (currentHeader(r.gid, r.key) != null) {
      r.outcome = new InsertResult(false, RecordCodec.decode(current(r.gid, r.key)));
      return;
    }
    long id = lastId + 1;
    long wake = RecordCodec.indexedWake(r.record);
    long finish = RecordCodec.indexedFinish(r.record);
    mutating = true;
    lastId = id;
    RecordCodec.patchId(r.record, id);
    batch.put(r.key, r.record);
    batch.put(Keys.id(id), r.gidBytes);
    reindex(r.gidBytes, NULL, NULL, wake, finish);
    overlay.put(r.gid, r.record);
    r.outcome = new InsertResult(true, r.transaction.withId(id));
  }

  private void update(Update r) throws RocksDBException {
    byte[] stored = currentHeader(r.gid, r.key);
    if (stored == null || RecordCodec.version(stored) != r.expectedVersion) {
      r.outcome = Boolean.FALSE;
      return;
    }
    long id = RecordCodec.id(stored);
    long oldWake = RecordCodec.indexedWake(stored);
    long oldFinish = RecordCodec.indexedFinish(stored);
    long newWake = RecordCodec.indexedWake(r.record);
    long newFinish = RecordCodec.indexedFinish(r.record);
    mutating = true;
    RecordCodec.patchId(r.record, id);
    batch.put(r.key, r.record);
    reindex(r.gidBytes, oldWake, oldFinish, newWake, newFinish);
    overlay.put(r.gid, r.record);
    r.outcome = Boolean.TRUE;
  }

  /** Moves the wake and finish index entries of one transaction from the old times to the new ones. */
  private void reindex(byte[] gid, long oldWake, long oldFinish, long newWake, long newFinish)
      throws RocksDBException {
    if (oldWake != newWake) {
      if (oldWake != NULL) {
        batch.delete(Keys.wake(oldWake, gid));
      }
      if (newWake != NULL) {
        batch.put(Keys.wake(newWake, gid), EMPTY);
        wakeFloor = Math.min(wakeFloor, newWake);
        batchMinWake = Math.min(batchMinWake, newWake);
      }
    }
    if (oldFinish != newFinish) {
      if (oldFinish != NULL) {
        batch.delete(Keys.finish(oldFinish, gid));
      }
      if (newFinish != NULL) {
        batch.put(Keys.finish(newFinish, gid), EMPTY);
        finishFloor = Math.min(finishFloor, newFinish);
        batchMinFinish = Math.min(batchMinFinish, newFinish);
      }
    }
  }

  private void claim(Claim r) throws RocksDBException {
    List<Candidate> due = scan(Keys.WAKE, r.nowMillis, r.limit);
    // Decide everything first (reads, decodes, encodes), then apply: a failure leaves the batch untouched.
    List<Transaction> claimed = new ArrayList<>(due.size());
    List<byte[]> records = new ArrayList<>(due.size());
    List<Candidate> taken = new ArrayList<>(due.size());
    for (Candidate c : due) {
      byte[] stored = c.record != null ? c.record : current(c.gid, Keys.record(c.gidBytes));
      if (stored == null || RecordCodec.indexedWake(stored) != c.time) {
        LOG.log(System.Logger.Level.WARNING, "wake index entry of {0} does not match its record; skipped", c.gid);
        continue;
      }
      Transaction t = RecordCodec.decode(stored);
      Transaction next = t.withSchedule(r.leaseUntil, t.retryInterval(), t.failures(), r.owner)
          .withVersion(t.version() + 1);
      claimed.add(next);
      records.add(RecordCodec.encode(next));
      taken.add(c);
    }
    mutating = true;
    for (int i = 0; i < taken.size(); i++) {
      Candidate c = taken.get(i);
      byte[] record = records.get(i);
      batch.put(Keys.record(c.gidBytes), record);
      reindex(c.gidBytes, c.time, NULL, RecordCodec.indexedWake(record), NULL);
      overlay.put(c.gid, record);
    }
    r.outcome = claimed;
  }

  private void purge(Purge r) throws RocksDBException {
    List<Candidate> finished = scan(Keys.FINISH, r.lastFinishMillis, r.limit);
    List<Candidate> taken = new ArrayList<>(finished.size());
    List<byte[]> stored = new ArrayList<>(finished.size());
    for (Candidate c : finished) {
      byte[] record = c.record != null ? c.record : current(c.gid, Keys.record(c.gidBytes));
      if (record == null || RecordCodec.indexedFinish(record) != c.time) {
        LOG.log(System.Logger.Level.WARNING, "finish index entry of {0} does not match its record; skipped", c.gid);
        continue;
      }
      taken.add(c);
      stored.add(record);
    }
    mutating = true;
    for (int i = 0; i < taken.size(); i++) {
      Candidate c = taken.get(i);
      byte[] record = stored.get(i);
      batch.delete(Keys.record(c.gidBytes));
      batch.delete(Keys.id(RecordCodec.id(record)));
      reindex(c.gidBytes, RecordCodec.indexedWake(record), c.time, NULL, NULL);
      overlay.put(c.gid, DELETED);
    }
    r.outcome = taken.size();
  }

  /** The stored key-value entry as of this point of the batch: the overlay first, then the database; null when absent. */
  private byte[] currentKv(String entry, byte[] key) throws RocksDBException {
    byte[] pending = kvOverlay.get(entry);
    if (pending != null) {
      return pending == DELETED ? null : pending;
    }
    byte[] stored = db.get(key);
    if (stored != null) {
      KvCodec.checkSchema(stored);
    }
    return stored;
  }

  private void kvPut(KvPut r) throws RocksDBException {
    byte[] stored = currentKv(r.entry, r.key);
    if (r.expectedVersion == 0 ? stored != null : stored == null || KvCodec.version(stored) != r.expectedVersion) {
      r.outcome = Boolean.FALSE;
      return;
    }
    mutating = true;
    if (stored == null) {
      KvCodec.patchId(r.value, ++lastKvId);
    } else {
      KvCodec.keepIdentity(r.value, stored);
    }
    batch.put(r.key, r.value);
    kvOverlay.put(r.entry, r.value);
    r.outcome = Boolean.TRUE;
  }

  private void kvDelete(KvDelete r) throws RocksDBException {
    byte[] stored = currentKv(r.entry, r.key);
    if (stored == null || KvCodec.version(stored) != r.expectedVersion) {
      r.outcome = Boolean.FALSE;
      return;
    }
    mutating = true;
    batch.delete(r.key);
    kvOverlay.put(r.entry, DELETED);
    r.outcome = Boolean.TRUE;
  }

  /** One index entry, as of this point of the batch; {@code record} is set when it comes from the overlay. */
  private record Candidate(long time, byte[] gidBytes, String gid, byte[] record) {}

  /**
   * The first {@code limit} entries of a time index (wake or finish) with time at most {@code lastMillis}, by time
   * then gid, as of this point of the batch: the stored index, minus transactions the batch already changed, plus
   * those transactions' current entries from the overlay.
   */
  private List<Candidate> scan(byte kind, long lastMillis, int limit) throws RocksDBException {
    List<Candidate> out = new ArrayList<>();
    if (limit <= 0) {
      return out;
    }
    for (Map.Entry<String, byte[]> e : overlay.entrySet()) {
      byte[] record = e.getValue();
      if (record == DELETED) {
        continue;
      }
      long time = kind == Keys.WAKE ? RecordCodec.indexedWake(record) : RecordCodec.indexedFinish(record);
      if (time != NULL && time <= lastMillis) {
        out.add(new Candidate(time, RecordCodec.utf8(e.getKey()), e.getKey(), record));
      }
    }

    long floor = kind == Keys.WAKE ? wakeFloor : finishFloor;
    byte[] upper = lastMillis == Long.MAX_VALUE ? Keys.end(kind) : Keys.timeBound(kind, lastMillis + 1);
    long firstStored = NULL;
    int fromStore = 0;
    try (Slice upperBound = new Slice(upper);
        ReadOptions ro = new ReadOptions().setIterateUpperBound(upperBound);
        RocksIterator it = db.newIterator(ro)) {
      it.seek(floor == NULL ? Keys.start(kind) : Keys.timeBound(kind, floor));
      for (; it.isValid() && fromStore < limit; it.next()) {
        byte[] key = it.key();
        long time = Keys.timeOf(key);
        if (firstStored == NULL) {
          firstStored = time;
        }
        byte[] gidBytes = Keys.gidOf(key);
        String gid = RecordCodec.decodeChars(gidBytes, 0, gidBytes.length);
        if (!overlay.containsKey(gid)) {
          out.add(new Candidate(time, gidBytes, gid, null));
          fromStore++;
        }
      }
      it.status();
    }

    // No stored entry lies below the first one found, or below the scanned range when none was found.
    long raised = firstStored != NULL ? firstStored : (lastMillis == Long.MAX_VALUE ? floor : lastMillis + 1);
    if (kind == Keys.WAKE) {
      wakeFloor = Math.min(raised, batchMinWake);
    } else {
      finishFloor = Math.min(raised, batchMinFinish);
    }

    out.sort((a, b) -> a.time != b.time ? Long.compare(a.time, b.time) : Arrays.compareUnsigned(a.gidBytes, b.gidBytes));
    return out.size() > limit ? out.subList(0, limit) : out;
  }
}
