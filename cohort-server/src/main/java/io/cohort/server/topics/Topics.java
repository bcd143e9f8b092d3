package io.cohort.server.topics;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cohort.core.port.TopicDirectory;
import io.cohort.core.port.TransactionStore;
import io.cohort.core.port.TransactionStore.KvEntry;
import io.cohort.protocol.BranchUrls;
import io.cohort.protocol.CohortException;
import io.cohort.protocol.ErrorCode;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Topics for 2-phase messages: a msg step whose action is {@code topic://name} is delivered to every URL subscribed
 * to {@code name}. A topic is one key-value entry in category {@code topics} whose value is the subscriber list as
 * JSON ({@code [{"url":...,"remark":...}]}, DTM's layout, so listings look the same). Every change is a
 * compare-and-set on the entry's version, so two coordinators sharing a store never lose a subscription.
 */
public final class Topics implements TopicDirectory {
  public static final String CATEGORY = "topics";
  static final int MAX_NAME = 128;
  static final int MAX_SUBSCRIBERS = 100;
  private static final TypeReference<List<Subscriber>> LIST = new TypeReference<>() {};

  /** One subscriber, as stored. */
  public record Subscriber(String url, String remark) {}

  private final TransactionStore store;
  private final ObjectMapper json;
  private final InstantSource clock;

  public Topics(TransactionStore store, ObjectMapper json, InstantSource clock) {
    this.store = store;
    this.json = json;
    this.clock = clock;
  }

  @Override
  public List<String> subscribers(String topic) {
    return store.kvFind(CATEGORY, topic).map(e -> decode(e).stream().map(Subscriber::url).toList()).orElse(List.of());
  }

  /** Adds {@code url} to {@code topic}, creating the topic if needed; a URL already subscribed is refused. */
  public void subscribe(String topic, String url, String remark) {
    checkName(topic);
    if (url == null || url.isEmpty()) {
      throw CohortException.badRequest("url is required");
    }
    BranchUrls.check(url, "url");
    String note = remark == null ? "" : remark;
    if (note.length() > 256) {
      throw CohortException.badRequest("remark is longer than 256 characters");
    }
    for (int attempt = 0; attempt < 20; attempt++) {
      Instant now = clock.instant();
      Optional<KvEntry> found = store.kvFind(CATEGORY, topic);
      List<Subscriber> subs = found.map(this::decode).orElseGet(ArrayList::new);
      for (Subscriber s : subs) {
        if (s.url().equals(url)) {
          throw CohortException.failure("url " + url + " already subscribes to topic '" + topic + "'");
        }
      }
      if (subs.size() >= MAX_SUBSCRIBERS) {
        throw CohortException.failure("topic '" + topic + "' has " + subs.size() + " subscribers; the limit is "
            + MAX_SUBSCRIBERS);
      }
      subs.add(new Subscriber(url, note));
      if (put(topic, subs, found, now)) {
        return;
      }
    }
    throw new CohortException(ErrorCode.UNAVAILABLE, "topic '" + topic + "' is changing too fast; retry");
  }

  /** Removes {@code url} from {@code topic}; the topic stays, possibly empty, until it is deleted. */
  public void unsubscribe(String topic, String url) {
    checkName(topic);
    if (url == null || url.isEmpty()) {
      throw CohortException.badRequest("url is required");
    }
    for (int attempt = 0; attempt < 20; attempt++) {
      Instant now = clock.instant();
      KvEntry found = store.kvFind(CATEGORY, topic).orElseThrow(() -> noTopic(topic));
      List<Subscriber> subs = decode(found);
      if (!subs.removeIf(s -> s.url().equals(url))) {
        throw new CohortException(ErrorCode.NOT_FOUND, "url " + url + " does not subscribe to topic '" + topic + "'");
      }
      if (put(topic, subs, Optional.of(found), now)) {
        return;
      }
    }
    throw new CohortException(ErrorCode.UNAVAILABLE, "topic '" + topic + "' is changing too fast; retry");
  }

  /** Deletes a topic and its subscriptions. Messages created earlier keep the branches they fanned out to. */
  public void delete(String topic) {
    checkName(topic);
    for (int attempt = 0; attempt < 20; attempt++) {
      KvEntry found = store.kvFind(CATEGORY, topic).orElseThrow(() -> noTopic(topic));
      if (store.kvDelete(CATEGORY, topic, found.version())) {
        return;
      }
    }
    throw new CohortException(ErrorCode.UNAVAILABLE, "topic '" + topic + "' is changing too fast; retry");
  }

  private boolean put(String topic, List<Subscriber> subs, Optional<KvEntry> found, Instant now) {
    String value;
    try {
      value = json.writeValueAsString(subs);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    if (found.isEmpty()) {
      return store.kvPut(new KvEntry(0, CATEGORY, topic, value, 1, now, now), 0);
    }
    KvEntry old = found.get();
    return store.kvPut(new KvEntry(old.id(), CATEGORY, topic, value, old.version() + 1, old.createTime(), now),
        old.version());
  }

  private List<Subscriber> decode(KvEntry e) {
    try {
      List<Subscriber> subs = json.readValue(e.value(), LIST);
      return subs == null ? new ArrayList<>() : new ArrayList<>(subs);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException("topic '" + e.key() + "' holds a value that is not a subscriber list", ex);
    }
  }

  static void checkName(String topic) {
    if (topic == null || topic.isEmpty()) {
      throw CohortException.badRequest("topic is required");
    }
    if (topic.length() > MAX_NAME) {
      throw CohortException.badRequest("topic is longer than " + MAX_NAME + " characters");
    }
    for (int i = 0; i < topic.length(); i++) {
      char c = topic.charAt(i);
      if (Character.isISOControl(c) || c == '/') {
        throw CohortException.badRequest("topic contains a forbidden character (code " + (int) c + ") at position " + i
            + "; control characters and '/' are not allowed");
      }
    }
  }

  private static CohortException noTopic(String topic) {
    return new CohortException(ErrorCode.NOT_FOUND, "no topic '" + topic + "'");
  }
}
