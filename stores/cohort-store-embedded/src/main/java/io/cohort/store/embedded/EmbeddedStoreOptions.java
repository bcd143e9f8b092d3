package io.cohort.store.embedded;

/**
 * Settings of an {@link EmbeddedTransactionStore}, validated when built, immutable after.
 *
 * @param syncWrites sync the write-ahead log before acknowledging a write (default {@code true}). Only turn it off for
 *     tests and benchmarks: without it a write is acknowledged when it reached the operating system, and a machine
 *     crash may lose it (a process crash does not).
 * @param maxBatch the most requests the writer folds into one synced write (default 512). Larger batches amortize the
 *     sync further under heavy load, but every request in a batch waits for the whole batch.
 * @param queueCapacity how many requests may wait for the writer (default 8192); callers block beyond it.
 * @param writeBufferBytes the size of one RocksDB memtable (default 32 MiB; at most three exist at once)
 * @param blockCacheBytes the RocksDB block cache for reads (default 32 MiB)
 */
public record EmbeddedStoreOptions(
    boolean syncWrites, int maxBatch, int queueCapacity, long writeBufferBytes, long blockCacheBytes) {

  public static final EmbeddedStoreOptions DEFAULTS =
      new EmbeddedStoreOptions(true, 512, 8192, 32L << 20, 32L << 20);

  public EmbeddedStoreOptions {
    if (maxBatch < 1 || maxBatch > 1 << 16) {
      throw new IllegalArgumentException("maxBatch must be between 1 and 65536, got " + maxBatch);
    }
    if (queueCapacity < maxBatch) {
      throw new IllegalArgumentException(
          "queueCapacity must be at least maxBatch (" + maxBatch + "), got " + queueCapacity);
    }
    if (writeBufferBytes < 1L << 20) {
      throw new IllegalArgumentException("writeBufferBytes must be at least 1 MiB, got " + writeBufferBytes);
    }
    if (blockCacheBytes < 0) {
      throw new IllegalArgumentException("blockCacheBytes must not be negative, got " + blockCacheBytes);
    }
  }

  public static EmbeddedStoreOptions defaults() {
    return DEFAULTS;
  }

  public EmbeddedStoreOptions withSyncWrites(boolean sync) {
    return new EmbeddedStoreOptions(sync, maxBatch, queueCapacity, writeBufferBytes, blockCacheBytes);
  }

  public EmbeddedStoreOptions withMaxBatch(int batch) {
    return new EmbeddedStoreOptions(syncWrites, batch, Math.max(queueCapacity, batch), writeBufferBytes,
        blockCacheBytes);
  }

  public EmbeddedStoreOptions withQueueCapacity(int capacity) {
    return new EmbeddedStoreOptions(syncWrites, maxBatch, capacity, writeBufferBytes, blockCacheBytes);
  }

  public EmbeddedStoreOptions withWriteBufferBytes(long bytes) {
    return new EmbeddedStoreOptions(syncWrites, maxBatch, queueCapacity, bytes, blockCacheBytes);
  }

  public EmbeddedStoreOptions withBlockCacheBytes(long bytes) {
    return new EmbeddedStoreOptions(syncWrites, maxBatch, queueCapacity, writeBufferBytes, bytes);
  }
}
