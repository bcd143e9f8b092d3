package io.cohort.store.embedded;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.zip.CRC32;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;

/**
 * Loads RocksDB's native library from a stable cache directory.
 *
 * <p>RocksDB's own loader copies its 17 MB library to a new temporary file at every start and deletes it only on a
 * clean exit, so every killed coordinator (a crash, a SIGKILL in the crash tests, an OOM kill) leaves one behind in
 * {@code /tmp}. Here the library is extracted once per content (the directory name carries its CRC) into
 * {@code cohort.native.dir}, else {@code $XDG_CACHE_HOME/cohort}, else {@code ~/.cache/cohort}, atomically, and
 * loaded from there. Any failure falls back to RocksDB's loader.
 */
final class NativeLibrary {
  private static boolean loaded;

  private NativeLibrary() {}

  static synchronized void load() {
    if (loaded) {
      return;
    }
    try {
      String name = Environment.getJniLibraryFileName("rocksdb");
      byte[] lib;
      try (InputStream in = RocksDB.class.getResourceAsStream("/" + name)) {
        if (in == null) {
          throw new IOException("no " + name + " in the RocksDB jar");
        }
        lib = in.readAllBytes();
      }
      CRC32 crc = new CRC32();
      crc.update(lib);
      Path dir = cacheRoot().resolve("rocksdbjni-" + Long.toHexString(crc.getValue()));
      Path target = dir.resolve(name);
      if (!Files.exists(target) || Files.size(target) != lib.length) {
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "lib", ".part");
        try {
          Files.write(tmp, lib);
          Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
          Files.deleteIfExists(tmp);
        }
      }
      RocksDB.loadLibrary(List.of(dir.toString()));
    } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
      RocksDB.loadLibrary();
    }
    loaded = true;
  }

  private static Path cacheRoot() {
    String configured = System.getProperty("cohort.native.dir");
    if (configured != null && !configured.isBlank()) {
      return Path.of(configured);
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank()) {
      return Path.of(xdg, "cohort");
    }
    return Path.of(System.getProperty("user.home"), ".cache", "cohort");
  }
}
