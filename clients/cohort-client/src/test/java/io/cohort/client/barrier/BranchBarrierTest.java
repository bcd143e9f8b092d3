package io.cohort.client.barrier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Pure tests of the barrier's request parameters; no store involved. */
class BranchBarrierTest {
  private static Map<String, Object> query() {
    Map<String, Object> q = new HashMap<>();
    q.put("trans_type", "tcc");
    q.put("gid", "g1");
    q.put("branch_id", "01");
    q.put("op", "try");
    return q;
  }

  @ParameterizedTest
  @ValueSource(strings = {"trans_type", "gid", "branch_id", "op"})
  void aMissingBranchParameterIsRefusedByName(String name) {
    Map<String, Object> q = query();
    q.remove(name);
    assertThatThrownBy(() -> BranchBarrier.fromQuery(q))
        .isInstanceOf(InvalidBranchException.class)
        .hasMessageContaining("'" + name + "' is missing")
        .satisfies(e -> {
          assertThat(((InvalidBranchException) e).parameter()).isEqualTo(name);
          assertThat(((InvalidBranchException) e).retryable()).isFalse();
        });
    q.put(name, " ");
    assertThatThrownBy(() -> BranchBarrier.fromQuery(q)).isInstanceOf(InvalidBranchException.class);
  }

  @Test
  void multiValuedQueryMapsAreAccepted() {
    Map<String, Object> q = new HashMap<>();
    q.put("trans_type", new String[] {"saga"});
    q.put("gid", List.of("g2"));
    q.put("branch_id", "02");
    q.put("op", List.of("compensate", "ignored"));
    BranchBarrier b = BranchBarrier.fromQuery(q);
    assertThat(b.transType()).isEqualTo("saga");
    assertThat(b.gid()).isEqualTo("g2");
    assertThat(b.op()).isEqualTo("compensate");
    assertThat(b.originOp()).isEqualTo("action");
  }

  @Test
  void barrierIdsCountFromOneWithTwoDigits() {
    BranchBarrier b = BranchBarrier.of("tcc", "g", "01", "try");
    for (int i = 1; i < 10; i++) {
      assertThat(b.nextBarrierId()).isEqualTo("0" + i);
    }
    assertThat(b.nextBarrierId()).isEqualTo("10");
  }

  @Test
  void originOps() {
    assertThat(BranchBarrier.of("tcc", "g", "01", "cancel").originOp()).isEqualTo("try");
    assertThat(BranchBarrier.of("saga", "g", "01", "compensate").originOp()).isEqualTo("action");
    assertThat(BranchBarrier.of("workflow", "g", "01", "rollback").originOp()).isEqualTo("action");
    assertThat(BranchBarrier.of("tcc", "g", "01", "confirm").originOp()).isNull();
    assertThat(BranchBarrier.forMsg("g").branchId()).isEqualTo("00");
  }

  @Test
  void badTableNamesAreRefused() {
    assertThatThrownBy(() -> JdbcBarrier.builder().table("x; drop table y"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(JdbcBarrier.builder().table("s.t").build().table()).isEqualTo("s.t");
  }
}
