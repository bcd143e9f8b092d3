package io.cohort.client.barrier;

/** The participant's business behind a {@link RedisBarrier}; runs only when the barrier script said "go". */
@FunctionalInterface
public interface RedisWork<T> {
  T run() throws Exception;
}
