package io.cohort.client;

import java.nio.charset.StandardCharsets;

/** A participant's 200 answer to a call the SDK made itself (a TCC try, an XA action). */
public final class BranchReply {
  private final String branchId;
  private final byte[] body;
  private final PayloadCodec codec;

  public BranchReply(String branchId, byte[] body, PayloadCodec codec) {
    this.branchId = branchId;
    this.body = body == null ? new byte[0] : body.clone();
    this.codec = codec;
  }

  /** The branch id the call was made with ({@code 01}, {@code 0101}, ...). */
  public String branchId() {
    return branchId;
  }

  public String bodyAsString() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /** The body read as JSON into {@code type} with the client's codec. */
  public <T> T as(Class<T> type) {
    return codec.decode(bodyAsString(), type);
  }
}
