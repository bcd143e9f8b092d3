package io.cohort.client.xa;

/** The body of an XA global transaction: calls each resource manager's action; throwing rolls everything back. */
@FunctionalInterface
public interface XaBody<R> {
  R run(XaGlobal xa) throws Exception;
}
