package io.cohort.core.port;

import java.util.List;

/**
 * Where a msg step addressed to {@code topic://name} is delivered: the subscriber URLs of that topic, in subscription
 * order. Looked up once, when the msg's branches are created (its first prepare or submit); later subscriptions do
 * not change a msg that already exists.
 */
public interface TopicDirectory {
  TopicDirectory NONE = topic -> List.of();

  List<String> subscribers(String topic);
}
