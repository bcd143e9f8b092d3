package io.cohort.store.redis;

import io.lettuce.core.ScoredValue;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletionStage;

/**
 * One index (due, finish or id) read across all partitions as if it were one sorted set: a lazy k-way merge.
 *
 * <p>Every partition is asked for a small first chunk at once (the requests are pipelined, and on a cluster they run
 * on all masters in parallel); after that a partition is asked again, for a chunk twice as large, only when the merge
 * has used up what it gave and it may hold more. So taking the first {@code k} entries overall reads about
 * {@code 2k} entries plus a few per partition, not {@code k} from every partition, however the entries are spread.
 *
 * <p>The reads are plain range reads, not a snapshot. The callers that change something (claim, purge) use the merge
 * only to decide how many entries to take from which partition; the change itself is one script per partition that
 * picks its entries again, atomically. Entries with equal scores come out in no particular order.
 */
final class PartitionMerge {
  /** One index entry: the partition it lives in, its member (a gid), its score. */
  record Entry(int partition, byte[] member, double score) {}

  /** Reads the next {@code count} entries of one partition's index in merge order. */
  interface Reader {
    /**
     * @param offset how many entries of this partition the merge has read so far
     * @param last the last of them, or {@code null} before the first read
     */
    CompletionStage<List<ScoredValue<byte[]>>> read(int partition, int offset, Entry last, int count);
  }

  private final Redis redis;
  private final String operation;
  private final Reader reader;
  private final int maxChunk;
  private final List<ArrayDeque<Entry>> buffers;
  private final int[] read;
  private final int[] chunk;
  private final boolean[] more;
  private final Entry[] last;
  private final PriorityQueue<Entry> heads;

  /**
   * Starts the merge: asks every partition for its first chunk.
   *
   * @param wanted about how many entries the caller will take (sizes the chunks)
   * @param descending highest score first (the id index, newest first) instead of lowest
   */
  PartitionMerge(Redis redis, String operation, int partitions, int wanted, boolean descending, Reader reader) {
    this.redis = redis;
    this.operation = operation;
    this.reader = reader;
    int want = Math.max(1, wanted);
    int first = (int) Math.min(want, Math.max(8, 2 * (((long) want + partitions - 1) / partitions)));
    this.maxChunk = Math.max(first, Math.min(want, 4096));
    this.buffers = new ArrayList<>(partitions);
    this.read = new int[partitions];
    this.chunk = new int[partitions];
    this.more = new boolean[partitions];
    this.last = new Entry[partitions];
    Comparator<Entry> byScore = Comparator.comparingDouble(Entry::score);
    this.heads = new PriorityQueue<>(Math.max(1, partitions),
        (descending ? byScore.reversed() : byScore).thenComparingInt(Entry::partition));
    List<CompletionStage<List<ScoredValue<byte[]>>>> firsts = new ArrayList<>(partitions);
    for (int p = 0; p < partitions; p++) {
      buffers.add(new ArrayDeque<>());
      chunk[p] = first;
      firsts.add(reader.read(p, 0, null, first));
    }
    for (int p = 0; p < partitions; p++) {
      fill(p, redis.await(firsts.get(p), operation), first);
    }
  }

  /** The next entry in merge order, or {@code null} when every partition is exhausted. */
  Entry next() {
    Entry e = heads.poll();
    if (e == null) {
      return null;
    }
    int p = e.partition();
    ArrayDeque<Entry> buffer = buffers.get(p);
    buffer.poll();
    last[p] = e;
    if (!buffer.isEmpty()) {
      heads.add(buffer.peek());
    } else if (more[p]) {
      chunk[p] = Math.min(maxChunk, chunk[p] * 2);
      fill(p, redis.await(reader.read(p, read[p], e, chunk[p]), operation), chunk[p]);
    }
    return e;
  }

  private void fill(int p, List<ScoredValue<byte[]>> values, int requested) {
    ArrayDeque<Entry> buffer = buffers.get(p);
    for (ScoredValue<byte[]> v : values) {
      buffer.add(new Entry(p, v.getValue(), v.getScore()));
    }
    read[p] += values.size();
    more[p] = values.size() >= requested;
    if (!buffer.isEmpty()) {
      heads.add(buffer.peek());
    }
  }
}
