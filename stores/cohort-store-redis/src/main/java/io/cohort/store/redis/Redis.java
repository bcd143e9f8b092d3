package io.cohort.store.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One Lettuce client and its one connection, standalone or cluster, behind the command interface both share; the
 * scripts; and the one place where a Redis failure becomes an exception of the store.
 *
 * <p>One multiplexed connection serves every caller: Lettuce pipelines the commands of concurrent callers on it, which
 * is what makes many small scripts per second cheap. Callers (virtual threads) park on the futures; nothing blocks a
 * carrier or a Netty event loop.
 *
 * <p><b>Failures.</b> Every failed command (no connection, a timeout, an error reply) becomes an
 * {@link UncheckedIOException} naming the server (never its password) and the operation. As with any remote store,
 * a write that failed this way may or may not have been applied; callers treat it as "outcome unknown".
 */
final class Redis implements AutoCloseable {
  private final ClientResources resources;
  private final AbstractRedisClient client;
  private final StatefulConnection<byte[], byte[]> connection;
  /** Standalone and cluster connections both offer this interface; cluster commands route by key slot. */
  final RedisClusterAsyncCommands<byte[], byte[]> commands;
  final boolean clustered;
  /** The servers, as they may be shown: no credentials. */
  final String where;

  private Redis(ClientResources resources, AbstractRedisClient client, StatefulConnection<byte[], byte[]> connection,
      RedisClusterAsyncCommands<byte[], byte[]> commands, boolean clustered, String where) {
    this.resources = resources;
    this.client = client;
    this.connection = connection;
    this.commands = commands;
    this.clustered = clustered;
    this.where = where;
  }

  /**
   * Connects, or fails with an {@link UncheckedIOException} naming the servers.
   */
  static Redis connect(RedisStoreOptions options) {
    String where = options.redactedUris();
    SocketOptions socket = SocketOptions.builder().connectTimeout(options.connectTimeout()).keepAlive(true).build();
    TimeoutOptions timeouts = TimeoutOptions.enabled(options.commandTimeout());
    List<RedisURI> uris = options.uris().stream().map(u -> {
      RedisURI uri = RedisURI.create(u);
      uri.setTimeout(options.commandTimeout());
      return uri;
    }).toList();
    ClientResources resources = ClientResources.builder().nettyCustomizer(new NettyCustomizer() {
      @Override
      public void afterChannelInitialized(Channel channel) {
        // Many callers share the connection: let the event loop write what they queued with one flush (one system
        // call) instead of one each. Under load (RedisThroughputProbe) this saves about a quarter of the client's CPU
        // per command.
        channel.pipeline().addFirst(new FlushConsolidationHandler(256, true));
      }
    }).build();
    AbstractRedisClient client = null;
    try {
      if (options.cluster()) {
        RedisClusterClient cluster = RedisClusterClient.create(resources, uris);
        client = cluster;
        cluster.setOptions(ClusterClientOptions.builder()
            .socketOptions(socket)
            .timeoutOptions(timeouts)
            // Follow failovers and resharding: Lettuce 7 refreshes the topology on MOVED/ASK, unknown nodes and
            // persistent reconnects by default; a periodic refresh also notices changes no command ran into.
            .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                .enablePeriodicRefresh(Duration.ofSeconds(30))
                .build())
            .build());
        StatefulRedisClusterConnection<byte[], byte[]> c = cluster.connect(ByteArrayCodec.INSTANCE);
        return new Redis(resources, cluster, c, c.async(), true, where);
      }
      RedisClient standalone = RedisClient.create(resources, uris.get(0));
      client = standalone;
      standalone.setOptions(ClientOptions.builder().socketOptions(socket).timeoutOptions(timeouts).build());
      StatefulRedisConnection<byte[], byte[]> c = standalone.connect(ByteArrayCodec.INSTANCE);
      return new Redis(resources, standalone, c, c.async(), false, where);
    } catch (RuntimeException e) {
      if (client != null) {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      }
      resources.shutdown(0, 2, TimeUnit.SECONDS);
      throw new UncheckedIOException("cannot connect to Redis at " + where + ": " + rootMessage(e),
          new IOException(e));
    }
  }

  // --------------------------------------------------------------------------------------------------- scripts

  /** A Lua script of this store: its text (a resource next to this class) and its SHA-1. */
  enum Script {
    INSERT("insert.lua"),
    UPDATE("update.lua"),
    CLAIM("claim.lua"),
    PURGE("purge.lua"),
    KV_PUT("kv_put.lua"),
    KV_DELETE("kv_delete.lua"),
    KV_SCAN("kv_scan.lua"),
    META("meta.lua");

    final byte[] text;
    final String sha;

    Script(String resource) {
      try (InputStream in = Redis.class.getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("missing script resource " + resource);
        }
        this.text = in.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read script resource " + resource, e);
      }
      this.sha = sha1(text);
    }
  }

  /**
   * Loads every script into the server's script cache (every master's, on a cluster). Only an optimisation: a server
   * that lost its cache (a restart, a failover, {@code SCRIPT FLUSH}) gets the script again on first use.
   */
  void loadScripts() {
    for (Script s : Script.values()) {
      String sha = await(commands.scriptLoad(s.text), "load script " + s);
      if (!s.sha.equals(sha)) {
        throw new IllegalStateException("Redis at " + where + " names script " + s + " " + sha + ", expected "
            + s.sha);
      }
    }
  }

  /** Runs a script by its SHA-1, sending its text instead when the server does not know it (NOSCRIPT). */
  <T> CompletionStage<T> run(Script script, ScriptOutputType type, byte[][] keys, byte[]... args) {
    CompletionStage<T> bySha = commands.evalsha(script.sha, type, keys, args);
    return bySha.exceptionallyCompose(e -> {
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      if (cause instanceof RedisNoScriptException) {
        return commands.<T>eval(script.text, type, keys, args);
      }
      return CompletableFuture.failedStage(cause);
    });
  }

  // ------------------------------------------------------------------------------------------------- waiting

  /** Waits for {@code future}; every failure becomes an {@link UncheckedIOException} naming {@code operation}. */
  <T> T await(CompletionStage<T> future, String operation) {
    try {
      // Untimed: Lettuce fails every command after the command timeout itself (TimeoutOptions), and a second timer
      // per call here would only cost.
      return future.toCompletableFuture().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      InterruptedIOException cause = new InterruptedIOException("interrupted");
      cause.initCause(e);
      throw new UncheckedIOException("Redis store at " + where + ": " + operation + " interrupted", cause);
    } catch (ExecutionException e) {
      throw failure(operation, e.getCause());
    }
  }

  UncheckedIOException failure(String operation, Throwable cause) {
    String why = cause instanceof RedisCommandTimeoutException
        ? "timed out (" + rootMessage(cause) + ")"
        : "failed: " + rootMessage(cause);
    return new UncheckedIOException("Redis store at " + where + ": " + operation + " " + why, new IOException(cause));
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    String message = String.valueOf(t.getMessage());
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
      if (t.getMessage() != null) {
        message = message + " (" + t.getMessage() + ")";
      }
    }
    return message;
  }

  @Override
  public void close() {
    try {
      connection.close();
    } finally {
      try {
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      } finally {
        resources.shutdown(0, 2, TimeUnit.SECONDS);
      }
    }
  }

  private static String sha1(byte[] text) {
    try {
      byte[] digest = java.security.MessageDigest.getInstance("SHA-1").digest(text);
      StringBuilder hex = new StringBuilder(40);
      for (byte b : digest) {
        hex.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
      }
      return hex.toString();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-1", e);
    }
  }

  static String text(byte[] ascii) {
    return new String(ascii, StandardCharsets.US_ASCII);
  }
}
