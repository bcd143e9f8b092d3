package io.cohort.core.model;

import io.cohort.protocol.GlobalStatus;
import io.cohort.protocol.TransType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A global transaction and its branches: the unit the store keeps and the engine changes, always as a whole, always
 * with compare-and-set on {@link #version()}.
 *
 * <p>Scheduling fields: {@code nextWake} is when the scheduler should next look at the transaction. While a
 * coordinator works on it, {@code nextWake} is that coordinator's lease expiry and {@code owner} its token; another
 * coordinator may claim it only after the lease has passed. {@code retryInterval} is the current backoff interval and
 * {@code failures} the number of consecutive failed rounds.
 *
 * @param id store-assigned sequence number (0 before the first insert); orders {@code all} listings
 * @param version incremented by every write; the compare-and-set key
 */
public record Transaction(
    long id,
    String gid,
    TransType type,
    GlobalStatus status,
    String protocol,
    String queryPrepared,
    String customData,
    TransOptions options,
    List<Branch> branches,
    Instant createTime,
    Instant updateTime,
    Instant finishTime,
    Instant rollbackTime,
    String rollbackReason,
    String result,
    Instant nextWake,
    Duration retryInterval,
    int failures,
    String owner,
    long version) {

  public Transaction {
    branches = List.copyOf(branches);
    protocol = protocol == null || protocol.isEmpty() ? "http" : protocol;
    queryPrepared = queryPrepared == null ? "" : queryPrepared;
    customData = customData == null ? "" : customData;
    owner = owner == null ? "" : owner;
  }

  public boolean isFinal() {
    return status.isFinal();
  }

  /** The one place a global transaction changes status; the transition must be in the table. */
  public Transaction transition(GlobalStatus to, Instant now, String reason) {
    GlobalStatus.checkTransition(status, to);
    Instant finish = to.isFinal() ? now : finishTime;
    Instant rollback = to == GlobalStatus.ABORTING || (to == GlobalStatus.FAILED && rollbackTime == null)
        ? now : rollbackTime;
    String why = reason != null ? reason : rollbackReason;
    return new Transaction(id, gid, type, to, protocol, queryPrepared, customData, options, branches, createTime, now,
        finish, rollback, why, result, nextWake, retryInterval, failures, owner, version);
  }

  public Transaction withBranch(int index, Branch branch) {
    List<Branch> copy = new ArrayList<>(branches);
    copy.set(index, branch);
    return new Transaction(id, gid, type, status, protocol, queryPrepared, customData, options, copy, createTime,
        updateTime, finishTime, rollbackTime, rollbackReason, result, nextWake, retryInterval, failures, owner,
        version);
  }

  public Transaction withBranches(List<Branch> all) {
    return new Transaction(id, gid, type, status, protocol, queryPrepared, customData, options, all, createTime,
        updateTime, finishTime, rollbackTime, rollbackReason, result, nextWake, retryInterval, failures, owner,
        version);
  }

  /** Scheduling state: when to look again, with which interval and failure count, owned by whom. */
  public Transaction withSchedule(Instant wake, Duration interval, int failureCount, String ownerToken) {
    return new Transaction(id, gid, type, status, protocol, queryPrepared, customData, options, branches, createTime,
        updateTime, finishTime, rollbackTime, rollbackReason, result, wake, interval, failureCount, ownerToken,
        version);
  }

  public Transaction withId(long newId) {
    return new Transaction(newId, gid, type, status, protocol, queryPrepared, customData, options, branches,
        createTime, updateTime, finishTime, rollbackTime, rollbackReason, result, nextWake, retryInterval, failures,
        owner, version);
  }

  public Transaction withVersion(long newVersion) {
    return new Transaction(id, gid, type, status, protocol, queryPrepared, customData, options, branches, createTime,
        updateTime, finishTime, rollbackTime, rollbackReason, result, nextWake, retryInterval, failures, owner,
        newVersion);
  }

  /** The client-given result of a workflow (DTM keeps it as the base64 text the client sent). */
  public Transaction withResult(String newResult) {
    return new Transaction(id, gid, type, status, protocol, queryPrepared, customData, options, branches, createTime,
        updateTime, finishTime, rollbackTime, rollbackReason, newResult, nextWake, retryInterval, failures, owner,
        version);
  }

  public Transaction withReason(String reason) {
    return new Transaction(id, gid, type, status, protocol, queryPrepared, customData, options, branches, createTime,
        updateTime, finishTime, rollbackTime, reason, result, nextWake, retryInterval, failures, owner, version);
  }
}
