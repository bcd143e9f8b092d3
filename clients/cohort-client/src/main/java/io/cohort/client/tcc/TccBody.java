package io.cohort.client.tcc;

/** The body of a TCC transaction: calls branches through the handle; throwing aborts the transaction. */
@FunctionalInterface
public interface TccBody<R> {
  R run(Tcc tcc) throws Exception;
}
