package io.cohort.compat.dtmcli;

import static org.assertj.core.api.Assertions.assertThat;

import feign.Feign;
import feign.jackson.JacksonDecoder;
import feign.jackson.JacksonEncoder;
import org.junit.jupiter.api.Test;
import pub.dtm.client.model.responses.DtmResponse;
import pub.dtm.client.stub.DtmFeignClient;

/**
 * The SDK's Feign stub of the coordinator API ({@code DtmFeignClient}), built the way {@code new DtmClient(endpoint)}
 * builds it, for the calls {@code DtmClient} does not expose on its own: {@code ping} and a bare {@code newGid}.
 */
class DtmcliServerStubTest extends DtmcliTestBase {
  private DtmFeignClient stub() {
    return Feign.builder()
        .decoder(new JacksonDecoder())
        .encoder(new JacksonEncoder())
        .target(DtmFeignClient.class, "http://" + cohort.endpoint());
  }

  @Test
  void newGidAnswersSuccessAndAFreshGidEachTime() {
    DtmResponse first = stub().newGid();
    DtmResponse second = stub().newGid();

    assertThat(first.getDtmResult()).isEqualTo("SUCCESS");
    assertThat(first.getGid()).isNotBlank();
    assertThat(second.getGid()).isNotBlank().isNotEqualTo(first.getGid());
  }

  @Test
  void pingIsAnsweredAndDecodes() {
    // DTM answers {"msg":"pong"}; the stub decodes it into a DtmResponse with neither field set.
    DtmResponse pong = stub().ping();

    assertThat(pong).isNotNull();
    assertThat(pong.getDtmResult()).isNull();
  }

  @Test
  void aGidFromNewGidIsAcceptedByTheSdk() throws Exception {
    String gid = stub().newGid().getGid();

    assertThat(client.newSaga(gid).add(bankA.url("/TransOut"), bankA.url("/TransOutCompensate"),
        new Transfer("alice", 1)).enableWaitResult().submit()).isEqualTo(gid);

    assertThat(cohort.status(gid)).isEqualTo("succeed");
    assertThat(log.briefs(gid)).containsExactly("bank-a POST /TransOut action 01 saga");
  }
}
